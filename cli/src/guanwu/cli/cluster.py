"""The distributed set on one machine: which processes, with which settings, on which ports.

`guanwu dev-cluster` starts the whole set; tests/e2e/distributed.py starts parts of it for tests. Both take the
settings from here, so the command, the tests and the README describe one set. Every service is
`guanwu serve <service>` configured by GUANWU_<SERVICE>_* variables (every one listens on 8000 unless told
otherwise, hence a port each); the Single Window simulator is `python -m guanwu.singlewindow_sim`.
"""

from __future__ import annotations

import json
import secrets
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

SERVICES = ("declaration", "query", "anomaly", "review", "sync", "card-signer")
STATISTICS = "anomaly-statistics"
"""The anomaly service's statistics stream (faust tables); the anomaly service then reads its snapshots."""
SIMULATOR = "singlewindow-sim"
MEMBERS = (*SERVICES, STATISTICS, SIMULATOR)
"""Start order; `guanwu dev-cluster --base-port P` gives member i the port P + i."""


def env_prefix(service: str) -> str:
    return f"GUANWU_{service.upper().replace('-', '_')}_"


def database_name(prefix: str, service: str) -> str:
    """One database per service, as in production: services share no storage."""
    return f"{prefix}_{service.replace('-', '_')}"


@dataclass(frozen=True)
class Shared:
    """What every service of one deployment shares: the broker, the database server, the token secret."""

    kafka: str
    mongo_url: str
    secret: str
    database_prefix: str
    deployment: str | None = None  # default prefix of consumer groups: two deployments on one broker differ


def service_env(
    service: str, shared: Shared, port: int, extra: Mapping[str, str] | None = None
) -> dict[str, str]:
    """The environment variables (prefixed) that run `service` in this deployment on `port`."""
    settings = {
        "BUS__KIND": "kafka",
        "BUS__BOOTSTRAP_SERVERS": shared.kafka,
        "STORE__KIND": "mongo",
        "STORE__MONGO_URL": shared.mongo_url,
        "STORE__DATABASE": database_name(shared.database_prefix, service),
        "AUTH__SECRET": shared.secret,
        "HTTP__HOST": "127.0.0.1",
        "HTTP__PORT": str(port),
    }
    if shared.deployment:
        settings["DEPLOYMENT"] = shared.deployment
    return {env_prefix(service) + k: v for k, v in {**settings, **(extra or {})}.items()}


def soft_signer(data_dir: Path, tenants: list[str]) -> dict[str, str]:
    """Card-signer settings without a card reader: a soft token (created on first start) in `data_dir`,
    signing for `tenants` (the enterprise that holds the card and any named clients)."""
    data_dir.mkdir(parents=True, exist_ok=True)
    passphrase = data_dir / "soft-token-passphrase"
    if not passphrase.exists():
        passphrase.write_text(secrets.token_urlsafe(24))
        passphrase.chmod(0o600)
    return {
        "TENANTS": json.dumps(tenants),
        "SIGNER": "soft",
        "SOFT_TOKEN_PATH": str(data_dir / "soft-token.json"),
        "SOFT_PASSPHRASE_FILE": str(passphrase),
        "SOFT_CREATE_IF_MISSING": "true",
    }


def sync_upstream(single_window_url: str, tenants: list[str], poll_interval_seconds: float) -> dict[str, str]:
    """Sync settings: the Single Window (or simulator) URL, the tenants always polled (a JSON list; tenants
    that declare are followed too), and the pause between polls."""
    return {
        "SINGLE_WINDOW_URL": single_window_url,
        "TENANTS": json.dumps(tenants),
        "POLL_INTERVAL_SECONDS": f"{poll_interval_seconds:g}",
    }


def statistics_stream(shared: Shared) -> dict[str, str]:
    """The statistics stream's settings: it writes its snapshots into the anomaly service's database."""
    return {"STORE__DATABASE": database_name(shared.database_prefix, "anomaly")}


STATISTICS_BY_STREAM = {"STATISTICS": "stream"}
"""The anomaly service's setting when the statistics stream runs beside it: its API reads the stream's counts."""


def service_command(service: str) -> list[str]:
    return [sys.executable, "-m", "guanwu.cli.main", "serve", service]


def simulator_command(port: int) -> list[str]:
    return [sys.executable, "-m", "guanwu.singlewindow_sim", "--host", "127.0.0.1", "--port", str(port)]


@dataclass(frozen=True)
class Member:
    """One process of the set: its command, the environment variables it adds, its port."""

    name: str
    command: list[str]
    port: int
    env: dict[str, str] = field(default_factory=dict)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"


def ports_from(base_port: int) -> dict[str, int]:
    return {name: base_port + offset for offset, name in enumerate(MEMBERS)}


def whole_set(
    shared: Shared,
    ports: Mapping[str, int],
    signer_dir: Path,
    tenants: list[str],
    poll_interval_seconds: float = 1.0,
) -> list[Member]:
    """Every service, the statistics stream and the simulator, sync pointed at the simulator, the card signer
    on a soft token."""
    simulator = Member(SIMULATOR, simulator_command(ports[SIMULATOR]), ports[SIMULATOR])
    extra = {
        "sync": sync_upstream(simulator.url, tenants, poll_interval_seconds),
        "card-signer": soft_signer(signer_dir, tenants),
        "anomaly": STATISTICS_BY_STREAM,
        STATISTICS: statistics_stream(shared),
        # Review calls the declaration service's API (高级审核's template, 发送).
        "review": {"DECLARATION_URL": f"http://127.0.0.1:{ports['declaration']}"},
    }
    processes = [
        Member(s, service_command(s), ports[s], service_env(s, shared, ports[s], extra.get(s, {})))
        for s in (*SERVICES, STATISTICS)
    ]
    return [*processes, simulator]
