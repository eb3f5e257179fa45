"""The image and the compose stack, checked without a Docker engine (there is none here).

The linters are the real ones (hadolint, check-jsonschema with the compose specification's schema), each
also run on a broken file so a linter that checks nothing cannot pass. The rest are consistency checks
between docker-compose.yml and the code it runs: a compose service per process `guanwu serve` can run (the
services, the anomaly statistics stream and the console, under the profile `console`), environment
variable names that are settings fields and values the settings accept, Prometheus scraping every process,
Grafana reading the folders compose mounts, the HEALTHCHECK command working against a live /healthz, and
the Dockerfile's uv being the one scripts/uv.sh installs.
"""

from __future__ import annotations

import http.server
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import threading
import types
import typing
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest
import yaml
from pydantic import BaseModel

from guanwu.anomaly.config import AnomalySettings
from guanwu.cli.cluster import STATISTICS, Shared, database_name, env_prefix, statistics_stream
from guanwu.cli.distributed import CONSOLE, SERVABLE, SERVICES, STREAMS

pytestmark = pytest.mark.unit

ROOT = Path(__file__).resolve().parents[2]
DOCKERFILE = ROOT / "Dockerfile"
COMPOSE = ROOT / "docker-compose.yml"
PROMETHEUS = ROOT / "deploy" / "prometheus" / "prometheus.yml"
GRAFANA = ROOT / "deploy" / "grafana"
CONTAINER_PORT = 8000

NOT_DEPLOYED: dict[str, str] = {}
"""Processes `guanwu serve` runs that compose (and deploy/k8s) deliberately leave out, with the reason (none
since the console signs in through an OIDC issuer)."""
DEPLOYED = [name for name in SERVABLE if name not in NOT_DEPLOYED]
STORE_OF = {STATISTICS: "anomaly"}
"""Processes that write into another's database: the statistics stream's snapshots are what the anomaly
service's API reads (the dev-cluster sets the same, `cluster.statistics_stream`)."""

# Values for the variables compose insists on (`${VAR:?…}`): placeholders, as in docs/operations.md.
PLACEHOLDERS = {
    "GUANWU_AUTH_SECRET": "placeholder-secret-of-at-least-32-characters",
    "GUANWU_MONGO_PASSWORD": "placeholder-password",
    "GRAFANA_ADMIN_PASSWORD": "placeholder-password",
}
SINGLE_SIGN_ON = {
    "GUANWU_AUTH_MODE": "jwks",
    "GUANWU_AUTH_JWKS_URL": "https://sso.example.com/realms/guanwu/protocol/openid-connect/certs",
    "GUANWU_AUTH_ISSUER": "https://sso.example.com/realms/guanwu",
    "GUANWU_AUTH_AUDIENCE": "guanwu",
    "GUANWU_OIDC_CLIENT_SECRET": "placeholder-client-secret",
    "GUANWU_OIDC_STATE_SECRET": "placeholder-state-secret-of-at-least-32-characters",
    "GUANWU_OIDC_CONSOLE_URL": "https://console.example.com",
}
"""What .env adds for the profile `console` (docs/operations.md, "The console"): the stack on the issuer."""


def tool(name: str) -> str:
    """A command-line tool installed into the workspace's venv by `uv sync` (dev group)."""
    candidate = Path(sys.executable).parent / name
    found = str(candidate) if candidate.exists() else shutil.which(name)
    if found is None:
        pytest.fail(f"{name} not found: `bash scripts/uv.sh sync --frozen` installs it (dev dependencies)")
    return found


def run(*argv: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(argv, capture_output=True, text=True, timeout=120, check=False)


def load_yaml(path: Path) -> Any:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    return load_yaml(COMPOSE)


def guanwu_services(compose: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    """Compose services that run `guanwu serve <name>` (the image's entrypoint), by guanwu service name."""
    found: dict[str, dict[str, Any]] = {}
    for service in compose["services"].values():
        command = service.get("command")
        if "entrypoint" not in service and isinstance(command, list) and command[:1] == ["serve"]:
            found[command[1]] = service
    return found


_INTERPOLATION = re.compile(r"\$\{(?P<name>[A-Za-z_][A-Za-z0-9_]*)(?:(?P<op>:?[-?])(?P<arg>[^}]*))?\}")


def interpolate(value: str, variables: Mapping[str, str]) -> str:
    """Compose's `${VAR}`, `${VAR:-default}`, `${VAR-default}`, `${VAR:?error}` and `${VAR?error}`."""

    def one(match: re.Match[str]) -> str:
        name, op, arg = match["name"], match["op"] or "", match["arg"] or ""
        value = variables.get(name)
        unset = value is None or (op.startswith(":") and value == "")
        if not unset:
            return typing.cast(str, value)
        if op.endswith("?"):
            raise AssertionError(f"compose would refuse to start: {name} unset ({arg})")
        return arg

    return _INTERPOLATION.sub(one, value.replace("$$", "\0")).replace("\0", "$")


# ---- the linters, each shown to reject a broken file ----


def test_hadolint_passes_on_the_dockerfile() -> None:
    result = run(tool("hadolint"), str(DOCKERFILE))
    assert result.returncode == 0, result.stdout + result.stderr


def test_hadolint_rejects_a_dockerfile_with_known_faults(tmp_path: Path) -> None:
    broken = tmp_path / "Dockerfile"
    broken.write_text("FROM python\nRUN apt-get update && apt-get install -y curl\n")
    result = run(tool("hadolint"), str(broken))
    assert result.returncode != 0
    assert "DL3006" in result.stdout  # the untagged base image


def test_compose_file_validates_against_the_compose_specification() -> None:
    result = run(tool("check-jsonschema"), "--builtin-schema", "vendor.compose-spec", str(COMPOSE))
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_compose_schema_rejects_an_unknown_service_attribute(tmp_path: Path) -> None:
    broken = tmp_path / "docker-compose.yml"
    broken.write_text("services:\n  a:\n    image: x:1\n    restart_policy: always\n")
    result = run(tool("check-jsonschema"), "--builtin-schema", "vendor.compose-spec", str(broken))
    assert result.returncode != 0


# ---- compose runs every guanwu process, as the code expects ----


def test_every_servable_process_is_deployed_or_left_out_with_a_reason() -> None:
    assert set(NOT_DEPLOYED) <= set(SERVABLE), "NOT_DEPLOYED names a process `guanwu serve` does not know"
    assert not set(NOT_DEPLOYED) & {*SERVICES, *STREAMS}, "services and their streams are always deployed"
    assert set(DEPLOYED) == {*SERVICES, *CONSOLE, *STREAMS}
    assert STATISTICS in STREAMS and set(STORE_OF) <= set(STREAMS)


def test_the_statistics_stream_writes_where_the_dev_cluster_points_it() -> None:
    shared = Shared("kafka:9092", "mongodb://mongo/", "secret", database_prefix="guanwu")
    for name, owner in STORE_OF.items():
        assert statistics_stream(shared)["STORE__DATABASE"] == database_name("guanwu", owner), name


@pytest.mark.parametrize("name", DEPLOYED)
def test_every_service_runs_in_compose_with_health_and_restart(compose: dict[str, Any], name: str) -> None:
    service = guanwu_services(compose).get(name)
    assert service is not None, f"no compose service runs `serve {name}`"
    assert service["build"]["context"] == "." and service["build"]["target"] == "runtime"
    assert service["restart"] in {"always", "unless-stopped", "on-failure"}
    assert service["read_only"] is True and "/tmp" in service["tmpfs"]
    probe = " ".join(service["healthcheck"]["test"])
    assert f"127.0.0.1:{CONTAINER_PORT}/readyz" in probe
    for dependency in ("kafka", "mongo"):
        assert service["depends_on"][dependency]["condition"] == "service_healthy"
        assert compose["services"][dependency]["healthcheck"]["test"]


def test_the_compose_stack_runs_no_guanwu_service_the_code_does_not_know(compose: dict[str, Any]) -> None:
    assert set(guanwu_services(compose)) == set(DEPLOYED)


def test_the_anomaly_service_reads_the_statistics_of_the_stream_that_runs_beside_it(
    compose: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    """With anomaly-statistics in the stack the API must read its snapshots (statistics=stream); counting
    itself as well would be a second, unread count, and without the stream the API would show nothing new."""
    assert STATISTICS in guanwu_services(compose)
    for variable in [v for v in os.environ if v.startswith("GUANWU_ANOMALY_")]:
        monkeypatch.delenv(variable)
    for variable, value in guanwu_services(compose)["anomaly"]["environment"].items():
        monkeypatch.setenv(variable, interpolate(str(value), PLACEHOLDERS))
    assert AnomalySettings().statistics == "stream"


def test_the_dockerfile_targets_a_runtime_stage_with_the_guanwu_entrypoint() -> None:
    text = DOCKERFILE.read_text()
    assert re.search(r"^FROM \S+ AS runtime$", text, re.MULTILINE)
    assert 'ENTRYPOINT ["guanwu"]' in text
    assert re.search(r'^CMD \["serve", "[a-z-]+"\]$', text, re.MULTILINE)
    assert re.search(r"^USER 10001:10001$", text, re.MULTILINE)


# ---- environment variables: names are settings fields, values are settings the service accepts ----


def _model_in(annotation: Any) -> type[BaseModel] | None:
    """The pydantic model a field holds (also inside `X | None`), or None for a plain value."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    if isinstance(annotation, types.UnionType) or typing.get_origin(annotation) is typing.Union:
        models = [m for m in map(_model_in, typing.get_args(annotation)) if m is not None]
        return models[0] if models else None
    return None


def unknown_setting(settings_class: Any, path: list[str]) -> str | None:
    """Why `path` (e.g. ["store", "mongo_url"]) is not a settings field, or None when it is one."""
    model: type[BaseModel] | None = settings_class
    for depth, part in enumerate(path):
        if model is None:
            return f"{'.'.join(path[:depth])} is not a nested model"
        field = model.model_fields.get(part)
        if field is None:
            return f"{model.__name__} has no field {part!r}"
        model = _model_in(field.annotation)
    if model is not None:
        return f"{'.'.join(path)} is a whole model, not one field"
    return None


@pytest.mark.parametrize("name", DEPLOYED)
def test_every_compose_variable_names_a_settings_field(compose: dict[str, Any], name: str) -> None:
    settings_class = SERVABLE[name]().settings_class
    prefix = env_prefix(name)
    problems = []
    for variable in guanwu_services(compose)[name]["environment"]:
        if not variable.startswith(prefix):
            problems.append(f"{variable}: not {prefix}* (the service would never read it)")
            continue
        path = variable.removeprefix(prefix).lower().split("__")
        if why := unknown_setting(settings_class, path):
            problems.append(f"{variable}: {why}")
    assert not problems, "\n".join(problems)


def test_unknown_setting_finds_misspelt_and_misnested_names() -> None:
    settings_class = SERVICES["sync"]().settings_class
    assert unknown_setting(settings_class, ["store", "mongo_url"]) is None
    assert unknown_setting(settings_class, ["single_window_url"]) is None
    assert unknown_setting(settings_class, ["store", "mongo_uri"])
    assert unknown_setting(settings_class, ["store_mongo_url"])
    assert unknown_setting(settings_class, ["tenants", "first"])
    assert unknown_setting(settings_class, ["bus"])


def load_settings(
    compose: Mapping[str, Any], name: str, variables: Mapping[str, str], monkeypatch: pytest.MonkeyPatch
) -> Any:
    """The settings `guanwu serve <name>` reads in its compose container, `variables` being .env."""
    prefix = env_prefix(name)
    for variable in [v for v in os.environ if v.startswith(prefix)]:
        monkeypatch.delenv(variable)
    for variable, value in guanwu_services(compose)[name]["environment"].items():
        monkeypatch.setenv(variable, interpolate(str(value), variables))
    return SERVABLE[name]().settings_class()


@pytest.mark.parametrize("name", DEPLOYED)
def test_the_compose_environment_is_valid_settings(
    compose: dict[str, Any], name: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With only the required secrets given (and the issuer for the console, which signs in nowhere else),
    each process's settings load: Kafka, Mongo, port 8000."""
    variables = {**PLACEHOLDERS, **(SINGLE_SIGN_ON if name == "console" else {})}
    settings = load_settings(compose, name, variables, monkeypatch)
    assert (settings.bus.kind, settings.bus.bootstrap_servers) == ("kafka", "kafka:9092")
    assert settings.store.kind == "mongo" and settings.store.mongo_url.startswith("mongodb://")
    assert "@mongo:27017/" in settings.store.mongo_url
    # One database per service, as in production; a stream writes into its service's.
    assert settings.store.database == f"guanwu_{STORE_OF.get(name, name).replace('-', '_')}"
    assert (settings.http.host, settings.http.port) == ("0.0.0.0", CONTAINER_PORT)
    published = guanwu_services(compose)[name].get("ports", [])
    assert all(p.endswith(f":{CONTAINER_PORT}") for p in published)


def test_interpolation_refuses_a_missing_required_secret(compose: dict[str, Any]) -> None:
    secret = guanwu_services(compose)["query"]["environment"]["GUANWU_QUERY_AUTH__SECRET"]
    with pytest.raises(AssertionError, match="GUANWU_AUTH_SECRET"):
        interpolate(secret, {})
    assert interpolate(secret, PLACEHOLDERS) == PLACEHOLDERS["GUANWU_AUTH_SECRET"]


def test_the_console_runs_under_its_profile_and_calls_each_service_at_its_compose_name(
    compose: dict[str, Any],
) -> None:
    services = guanwu_services(compose)
    console = services["console"]
    # Without an issuer it cannot sign anyone in: not part of a plain `docker compose up`.
    assert console["profiles"] == ["console"]
    assert all("profiles" not in s for n, s in services.items() if n != "console")
    env = console["environment"]
    assert "GUANWU_CONSOLE_AUTH_URL" not in env, "no process of the stack serves local logins"
    for name in ("declaration", "query", "anomaly", "review", "sync"):
        compose_name = next(k for k, v in compose["services"].items() if v is services[name])
        assert env[f"GUANWU_CONSOLE_{name.upper()}_URL"] == f"http://{compose_name}:{CONTAINER_PORT}", name


def test_with_the_issuer_in_env_the_console_and_every_service_trust_the_same_tokens(
    compose: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    variables = {**PLACEHOLDERS, **SINGLE_SIGN_ON}
    console = load_settings(compose, "console", variables, monkeypatch)
    assert console.auth.mode == "jwks" and console.oidc is not None
    assert console.oidc.issuer == SINGLE_SIGN_ON["GUANWU_AUTH_ISSUER"]
    assert console.oidc.redirect_url == "https://console.example.com/console/oidc/callback"
    assert console.oidc.post_logout_redirect_url == "https://console.example.com/console/login"
    assert console.oidc.client_secret is not None and console.oidc.state_secret is not None
    expected = (console.auth.mode, console.auth.jwks_url, console.auth.issuer, console.auth.audience)
    for name in [n for n in DEPLOYED if n != "console"]:
        auth = load_settings(compose, name, variables, monkeypatch).auth
        assert (auth.mode, auth.jwks_url, auth.issuer, auth.audience) == expected, name
    # Without .env's issuer lines the services keep local tokens and the console refuses to start.
    assert load_settings(compose, "query", PLACEHOLDERS, monkeypatch).auth.mode == "local"
    with pytest.raises(ValueError, match="jwks_url"):
        load_settings(compose, "console", PLACEHOLDERS, monkeypatch)


def test_no_secret_value_is_written_in_the_compose_file(compose: dict[str, Any]) -> None:
    secret_like = re.compile(r"(SECRET|PASSWORD|PASSPHRASE|_PIN)$")
    every_env = [s.get("environment", {}) for s in compose["services"].values()]
    for variable, value in ((k, str(v)) for env in every_env for k, v in env.items()):
        if secret_like.search(variable):
            assert re.fullmatch(r"\$\{[A-Z_]+(:[-?][^}]*)?\}", value), f"{variable} is not taken from .env"


# ---- demo profile, card reader ----


def test_sync_points_at_the_simulator_of_the_demo_profile(compose: dict[str, Any]) -> None:
    simulator = compose["services"]["singlewindow-sim"]
    assert simulator["profiles"] == ["demo"]
    port = simulator["command"][simulator["command"].index("--port") + 1]
    url = guanwu_services(compose)["sync"]["environment"]["GUANWU_SYNC_SINGLE_WINDOW_URL"]
    assert interpolate(url, {}) == f"http://singlewindow-sim:{port}"
    assert interpolate(url, {"GUANWU_SINGLE_WINDOW_URL": "https://sw.example"}) == "https://sw.example"
    assert f":{port}/healthz" in " ".join(simulator["healthcheck"]["test"])


def test_the_card_signer_reaches_the_hosts_pcscd_socket_and_keeps_its_soft_token(
    compose: dict[str, Any],
) -> None:
    signer = guanwu_services(compose)["card-signer"]
    binds = [v for v in signer["volumes"] if isinstance(v, dict) and v["type"] == "bind"]
    # libpcsclite's default socket is /run/pcscd/pcscd.comm: the host's directory at the same path.
    assert [(b["source"], b["target"]) for b in binds] == [("/run/pcscd", "/run/pcscd")]
    env = signer["environment"]
    assert interpolate(env["GUANWU_CARD_SIGNER_SIGNER"], {}) == "soft"
    assert interpolate(env["GUANWU_CARD_SIGNER_SIGNER"], {"GUANWU_SIGNER": "pcsc"}) == "pcsc"
    token_dir = Path(env["GUANWU_CARD_SIGNER_SOFT_TOKEN_PATH"]).parent
    assert f"card-signer-data:{token_dir}" in signer["volumes"]
    assert re.search(rf"^WORKDIR {token_dir}$", DOCKERFILE.read_text(), re.MULTILINE)


# ---- Prometheus and Grafana ----


def mounts(service: Mapping[str, Any]) -> dict[str, Path]:
    """Container path -> repository path of the service's bind mounts from this repository."""
    found = {}
    for volume in service.get("volumes", []):
        if isinstance(volume, str) and volume.startswith("./"):
            source, target = volume.split(":")[:2]
            found[target] = (ROOT / source).resolve()
    return found


def test_prometheus_scrapes_every_process(compose: dict[str, Any]) -> None:
    config = load_yaml(PROMETHEUS)
    targets = {
        job["job_name"]: [t for static in job.get("static_configs", []) for t in static["targets"]]
        for job in config["scrape_configs"]
    }
    for name in DEPLOYED:
        compose_name = next(k for k, v in compose["services"].items() if v is guanwu_services(compose)[name])
        assert targets.get(name) == [f"{compose_name}:{CONTAINER_PORT}"], f"job {name}: {targets.get(name)}"
    prometheus = compose["services"]["prometheus"]
    assert mounts(prometheus)["/etc/prometheus/prometheus.yml"] == PROMETHEUS
    assert mounts(prometheus)["/etc/prometheus/rules"] == PROMETHEUS.parent / "rules"
    assert config["rule_files"] == ["/etc/prometheus/rules/*.yml"]


def test_grafana_reads_the_provisioning_and_dashboards_compose_mounts(compose: dict[str, Any]) -> None:
    grafana = mounts(compose["services"]["grafana"])
    provisioning = "/etc/grafana/provisioning"
    assert grafana[f"{provisioning}/datasources"] == GRAFANA / "provisioning" / "datasources"
    assert grafana[f"{provisioning}/dashboards"] == GRAFANA / "provisioning" / "dashboards"
    (provider,) = load_yaml(GRAFANA / "provisioning" / "dashboards" / "guanwu.yml")["providers"]
    assert grafana[provider["options"]["path"]] == GRAFANA / "dashboards"
    (source,) = load_yaml(GRAFANA / "provisioning" / "datasources" / "prometheus.yml")["datasources"]
    port = compose["services"]["prometheus"]["ports"][0].rsplit(":", 1)[1]
    assert (source["type"], source["url"], source["uid"]) == (
        "prometheus",
        f"http://prometheus:{port}",
        "prometheus",
    )


# ---- the image's HEALTHCHECK and its uv ----


def healthcheck_argv() -> list[str]:
    match = re.search(r"^HEALTHCHECK .*?\\\n\s+CMD (\[.*\])$", DOCKERFILE.read_text(), re.MULTILINE)
    assert match, "no exec-form HEALTHCHECK in the Dockerfile"
    argv: list[str] = json.loads(match[1])
    assert argv[0] == "python"
    return [sys.executable, *argv[1:]]


@pytest.fixture
def probed_service() -> Iterator[tuple[int, list[int]]]:
    """An HTTP server answering /healthz with the status at the end of the returned list."""
    statuses = [200]

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(statuses[-1] if self.path == "/healthz" else 404)
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server.server_address[1], statuses
    finally:
        server.shutdown()
        server.server_close()


def test_the_healthcheck_follows_the_services_port_and_fails_when_unhealthy(
    probed_service: tuple[int, list[int]],
) -> None:
    port, statuses = probed_service
    argv = healthcheck_argv()
    env = {"GUANWU_REVIEW_HTTP__PORT": str(port), "GUANWU_REVIEW_LOG_LEVEL": "INFO"}
    assert subprocess.run(argv, env=env, capture_output=True, timeout=30, check=False).returncode == 0
    statuses.append(503)
    assert subprocess.run(argv, env=env, capture_output=True, timeout=30, check=False).returncode != 0
    statuses.append(200)
    with socket.socket() as bound_not_listening:  # connection refused while it is held
        bound_not_listening.bind(("127.0.0.1", 0))
        nobody_there = {"GUANWU_REVIEW_HTTP__PORT": str(bound_not_listening.getsockname()[1])}
        refused = subprocess.run(argv, env=nobody_there, capture_output=True, timeout=30, check=False)
    assert refused.returncode != 0


def test_the_dockerfile_installs_the_uv_that_scripts_uv_sh_pins() -> None:
    dockerfile = re.search(r"^ARG UV_VERSION=(\S+)$", DOCKERFILE.read_text(), re.MULTILINE)
    script = re.search(r"\buv==([0-9][0-9A-Za-z.]*)", (ROOT / "scripts" / "uv.sh").read_text())
    assert dockerfile, "the Dockerfile has no ARG UV_VERSION=<version>"
    assert script, "scripts/uv.sh installs an unpinned uv: it must install uv==<version> (the Dockerfile's)"
    assert dockerfile[1] == script[1]
