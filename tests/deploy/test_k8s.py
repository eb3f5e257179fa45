"""deploy/k8s: both overlays render with kustomize, every rendered object validates strictly, and the
manifests agree with the code they deploy (every process `guanwu serve` runs, settings fields, probes,
ports, network policies, replicas, the statistics stream beside the anomaly service, the console's service
URLs, OIDC client and the policies letting it call each service).

kustomize comes from deploy/local/kustomize.sh (run here first: a no-op when built). Built-in kinds are
validated by `kubernetes-validate --strict` (the same command `make test` documents); it has no schema for
ServiceMonitor, a CRD, so those are validated with jsonschema against the CRD's own schema, vendored from
prometheus-operator (deploy/k8s/schemas/update.sh says from where).
"""

from __future__ import annotations

import copy
import json
import os
import re
import subprocess
import sys
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, get_args

import jsonschema
import pytest
import yaml
from pydantic import BaseModel, ValidationError

from guanwu.anomaly.config import AnomalySettings
from guanwu.cli.cluster import STATISTICS
from guanwu.cli.distributed import CONSOLE, SERVABLE, SERVICES, STREAMS

pytestmark = pytest.mark.unit

ROOT = Path(__file__).resolve().parents[2]
K8S = ROOT / "deploy" / "k8s"
INSTALLER = "deploy/local/kustomize.sh"
OVERLAYS = ("dev", "prod")
SERVICE_MONITOR_SCHEMA = K8S / "schemas" / "servicemonitor-monitoring-v1.json"
CRDS = {("monitoring.coreos.com/v1", "ServiceMonitor")}
WORKLOAD_KINDS = {"Deployment", "DaemonSet"}
PCSCD_SOCKET = "/run/pcscd/pcscd.comm"
NOT_DEPLOYED: dict[str, str] = {}
"""Processes `guanwu serve` runs that the manifests (and compose) deliberately leave out, with the reason
(none since the console signs in through an OIDC issuer)."""
DEPLOYED = [name for name in SERVABLE if name not in NOT_DEPLOYED]
STORE_OF = {STATISTICS: "anomaly"}
"""Processes that write into another's database: the statistics stream's snapshots are what the anomaly
service's API reads."""
PINNED = {"sync", STATISTICS}
"""Deployments whose replica count is fixed (autoscaler min == max) in every overlay: more sync replicas add
upstream load, a changed stream membership only rebalances and replays the changelog."""

Obj = dict[str, Any]


@dataclass(frozen=True)
class Rendered:
    overlay: str
    file: Path
    objects: list[Obj]

    def of_kind(self, kind: str) -> list[Obj]:
        return [o for o in self.objects if o["kind"] == kind]

    def workloads(self) -> list[Obj]:
        return [o for o in self.objects if o["kind"] in WORKLOAD_KINDS]

    def find(self, kind: str, namespace: str, name: str) -> Obj:
        found = [
            o for o in self.of_kind(kind) if namespace_of(o) == namespace and o["metadata"]["name"] == name
        ]
        assert len(found) == 1, f"{self.overlay}: {kind} {namespace}/{name} is rendered {len(found)} times"
        return found[0]


def namespace_of(obj: Obj) -> str:
    return obj["metadata"].get("namespace", "")


def label(obj: Obj) -> str:
    return f"{obj['kind']} {namespace_of(obj)}/{obj['metadata']['name']}"


def pod_spec(workload: Obj) -> Obj:
    return workload["spec"]["template"]["spec"]


def guanwu_container(workload: Obj) -> Obj:
    (container,) = [c for c in pod_spec(workload)["containers"] if c["name"] == "guanwu"]
    return container


def service_of(workload: Obj) -> str:
    args = guanwu_container(workload).get("args", [])
    assert len(args) == 2 and args[0] == "serve", f"{label(workload)}: args {args}, want [serve, <service>]"
    return args[1]


def selects(match_labels: dict[str, str], labels: dict[str, str]) -> bool:
    return all(labels.get(k) == v for k, v in match_labels.items())


def match_labels(selector: Obj, where: str) -> dict[str, str]:
    assert not selector.get("matchExpressions"), (
        f"{where}: matchExpressions are not checked here; extend the test"
    )
    return dict(selector.get("matchLabels") or {})


# ---- rendering ------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def kustomize() -> Path:
    proc = subprocess.run(["bash", INSTALLER], cwd=ROOT, capture_output=True, text=True)
    if proc.returncode != 0:
        pytest.fail(f"{INSTALLER} failed (exit {proc.returncode}); run it by hand:\n{proc.stderr[-3000:]}")
    binary = Path(proc.stdout.strip().splitlines()[-1])
    assert binary.is_file(), f"{INSTALLER} printed {binary}, which is not a file"
    return binary


@pytest.fixture(scope="module")
def rendered(kustomize: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Rendered]:
    out = tmp_path_factory.mktemp("k8s")
    result = {}
    for overlay in OVERLAYS:
        proc = subprocess.run(
            [str(kustomize), "build", f"deploy/k8s/overlays/{overlay}"],
            cwd=ROOT,
            capture_output=True,
            text=True,
        )
        assert proc.returncode == 0, f"kustomize build deploy/k8s/overlays/{overlay} failed:\n{proc.stderr}"
        file = out / f"{overlay}.yaml"
        file.write_text(proc.stdout)
        objects = [doc for doc in yaml.safe_load_all(proc.stdout) if doc]
        result[overlay] = Rendered(overlay, file, objects)
    return result


def example_secrets(overlay: str) -> dict[tuple[str, str], dict[str, str]]:
    """The overlay's secret.example.yaml: (namespace, name) -> its keys and placeholder values."""
    docs = yaml.safe_load_all((K8S / "overlays" / overlay / "secret.example.yaml").read_text())
    return {(namespace_of(d), d["metadata"]["name"]): d["stringData"] for d in docs if d}


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_overlay_renders_namespaced_objects_and_no_secret(
    rendered: dict[str, Rendered], overlay: str
) -> None:
    objects = rendered[overlay].objects
    kinds = Counter(o["kind"] for o in objects)
    for kind in ("Deployment", "DaemonSet", "Service", "ConfigMap", "PodDisruptionBudget", "NetworkPolicy"):
        assert kinds[kind] >= 1, f"{overlay}: no {kind} rendered"
    assert kinds["Secret"] == 0, f"{overlay}: Secrets are the operator's; the manifests only reference them"
    for obj in objects:
        assert obj["kind"] == "Namespace" or namespace_of(obj), f"{overlay}: {label(obj)} has no namespace"


# ---- validation -----------------------------------------------------------------------------------------


def kubernetes_validate(file: Path) -> subprocess.CompletedProcess[str]:
    tool = Path(sys.executable).parent / "kubernetes-validate"
    assert tool.is_file(), f"{tool} missing: kubernetes-validate is a dev dependency (uv sync --frozen)"
    return subprocess.run([str(tool), "--strict", str(file)], capture_output=True, text=True)


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_every_builtin_object_passes_kubernetes_validate_strict(
    rendered: dict[str, Rendered], overlay: str
) -> None:
    objects = rendered[overlay].objects
    proc = kubernetes_validate(rendered[overlay].file)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    passed = Counter(re.findall(r"^INFO .* passed for resource (\S+) against", proc.stdout, re.M))
    builtin = [o for o in objects if (o["apiVersion"], o["kind"]) not in CRDS]
    assert passed == Counter(f"{o['kind'].lower()}/{o['metadata']['name']}" for o in builtin), proc.stdout
    # Anything else it could not find a schema for would pass unnoticed: only the CRDs may be skipped.
    skipped = re.findall(
        r"^WARN .*Couldn't find schema for kind (\S+) with api version (\S+)", proc.stdout, re.M
    )
    crds = [o for o in objects if (o["apiVersion"], o["kind"]) in CRDS]
    assert sorted(skipped) == sorted((o["kind"], o["apiVersion"]) for o in crds), proc.stdout


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_secret_examples_are_valid_objects(overlay: str) -> None:
    proc = kubernetes_validate(K8S / "overlays" / overlay / "secret.example.yaml")
    assert proc.returncode == 0 and "ERROR" not in proc.stdout and "WARN" not in proc.stdout, proc.stdout


def strict(schema: Any) -> Any:
    """The CRD schema as the API server applies it with strict field validation (kubectl's default): an
    unknown field is an error wherever the schema lists properties and does not preserve unknown fields."""
    if isinstance(schema, list):
        return [strict(s) for s in schema]
    if not isinstance(schema, dict):
        return schema
    tightened = {k: strict(v) for k, v in schema.items()}
    if (
        "properties" in schema
        and "additionalProperties" not in schema
        and not schema.get("x-kubernetes-preserve-unknown-fields")
    ):
        tightened["additionalProperties"] = False
    return tightened


@pytest.fixture(scope="module")
def service_monitor_validator() -> jsonschema.Draft4Validator:
    # OpenAPI v3.0 schemas (what CRDs carry) are JSON Schema draft 4/5 plus x-kubernetes-* annotations.
    schema = strict(json.loads(SERVICE_MONITOR_SCHEMA.read_text()))
    return jsonschema.Draft4Validator(schema)


def service_monitor_errors(validator: jsonschema.Draft4Validator, obj: Obj) -> list[str]:
    errors = [f"{'.'.join(map(str, e.path))}: {e.message}" for e in validator.iter_errors(obj)]
    # The CRD schema leaves metadata to the API server (ObjectMeta); these objects use only these fields.
    extra = set(obj["metadata"]) - {"name", "namespace", "labels", "annotations"}
    return errors + [f"metadata: unexpected {sorted(extra)}"] * bool(extra)


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_service_monitors_validate_against_the_vendored_crd_schema(
    rendered: dict[str, Rendered], overlay: str, service_monitor_validator: jsonschema.Draft4Validator
) -> None:
    monitors = rendered[overlay].of_kind("ServiceMonitor")
    assert monitors, f"{overlay}: no ServiceMonitor"
    for monitor in monitors:
        assert service_monitor_errors(service_monitor_validator, monitor) == [], label(monitor)


def test_both_validators_reject_an_unknown_field(
    rendered: dict[str, Rendered], service_monitor_validator: jsonschema.Draft4Validator, tmp_path: Path
) -> None:
    """The controls: were either validator lenient, the tests above would prove nothing."""
    monitor = copy.deepcopy(rendered["prod"].of_kind("ServiceMonitor")[0])
    monitor["spec"]["endpoints"][0]["paht"] = "/metrics"
    assert any("paht" in e for e in service_monitor_errors(service_monitor_validator, monitor))
    deployment = copy.deepcopy(rendered["prod"].of_kind("Deployment")[0])
    pod_spec(deployment)["containers"][0]["securityContex"] = {}
    (tmp_path / "bad.yaml").write_text(yaml.safe_dump(deployment))
    proc = kubernetes_validate(tmp_path / "bad.yaml")
    assert proc.returncode != 0 and "securityContex" in proc.stdout, proc.stdout


# ---- workloads ------------------------------------------------------------------------------------------


def test_every_servable_process_is_deployed_or_left_out_with_a_reason() -> None:
    assert set(NOT_DEPLOYED) <= set(SERVABLE), "NOT_DEPLOYED names a process `guanwu serve` does not know"
    assert not set(NOT_DEPLOYED) & {*SERVICES, *STREAMS}, "services and their streams are always deployed"
    assert set(DEPLOYED) == {*SERVICES, *CONSOLE, *STREAMS}
    assert set(STORE_OF) <= set(STREAMS) and set(STORE_OF.values()) <= set(SERVICES)


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_every_service_has_one_workload(rendered: dict[str, Rendered], overlay: str) -> None:
    served = Counter(service_of(w) for w in rendered[overlay].workloads())
    assert served == Counter(DEPLOYED), f"{overlay}: workloads per service {dict(served)}"
    for workload in rendered[overlay].workloads():
        kind = "DaemonSet" if service_of(workload) == "card-signer" else "Deployment"
        assert workload["kind"] == kind, f"{label(workload)}: want a {kind}"


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_card_signer_runs_on_reader_nodes_with_the_pcscd_socket(
    rendered: dict[str, Rendered], overlay: str
) -> None:
    (signer,) = rendered[overlay].of_kind("DaemonSet")
    spec = pod_spec(signer)
    assert spec["nodeSelector"] == {"guanwu.io/card-reader": "true"}
    (volume,) = [v for v in spec["volumes"] if "hostPath" in v]
    host = volume["hostPath"]["path"]
    assert PCSCD_SOCKET.startswith(host.rstrip("/") + "/") or host == PCSCD_SOCKET, host
    # Mounted where it is on the host, so the socket is where libpcsclite looks.
    (mount,) = [m for m in guanwu_container(signer)["volumeMounts"] if m["name"] == volume["name"]]
    assert mount["mountPath"] == host and mount.get("readOnly") is True, mount
    # hostPath is refused by Pod Security baseline/restricted: the signer has a namespace of its own.
    deployments = {namespace_of(d) for d in rendered[overlay].of_kind("Deployment")}
    assert namespace_of(signer) not in deployments


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_services_namespace_enforces_pod_security_restricted(
    rendered: dict[str, Rendered], overlay: str
) -> None:
    namespaces = {
        n["metadata"]["name"]: n["metadata"].get("labels", {}) for n in rendered[overlay].of_kind("Namespace")
    }
    for deployment in rendered[overlay].of_kind("Deployment"):
        labels = namespaces[namespace_of(deployment)]
        assert labels.get("pod-security.kubernetes.io/enforce") == "restricted", label(deployment)


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_every_workload_has_probes_on_the_http_port(rendered: dict[str, Rendered], overlay: str) -> None:
    for workload in rendered[overlay].workloads():
        container = guanwu_container(workload)
        ports = {p["name"]: p["containerPort"] for p in container["ports"]}
        assert "http" in ports, f"{label(workload)}: no container port named http"
        for probe, path in (
            ("readinessProbe", "/readyz"),
            ("livenessProbe", "/healthz"),
            ("startupProbe", "/healthz"),
        ):
            get = container[probe]["httpGet"]
            assert get["path"] == path, f"{label(workload)}: {probe} on {get['path']}, want {path}"
            assert get["port"] in ("http", ports["http"]), f"{label(workload)}: {probe} on port {get['port']}"


def quantity(value: str | int) -> float:
    units = {"m": 1e-3, "": 1.0, "k": 1e3, "M": 1e6, "G": 1e9, "Ki": 2**10, "Mi": 2**20, "Gi": 2**30}
    match = re.fullmatch(r"([0-9.]+)([A-Za-z]*)", str(value))
    assert match and match[2] in units, f"unparsed quantity {value!r}"
    return float(match[1]) * units[match[2]]


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_every_workload_has_bounded_resources(rendered: dict[str, Rendered], overlay: str) -> None:
    for workload in rendered[overlay].workloads():
        resources = guanwu_container(workload)["resources"]
        for resource in ("cpu", "memory"):
            request, limit = resources["requests"][resource], resources["limits"][resource]
            assert 0 < quantity(request) <= quantity(limit), (
                f"{label(workload)} {resource}: {request} > {limit}"
            )
            if overlay == "prod":  # Guaranteed QoS
                assert quantity(request) == quantity(limit), f"{label(workload)} {resource}: request != limit"


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_every_workload_has_the_restrictive_security_context(
    rendered: dict[str, Rendered], overlay: str
) -> None:
    for workload in rendered[overlay].workloads():
        spec, container = pod_spec(workload), guanwu_container(workload)
        pod_sc, sc = spec.get("securityContext", {}), container.get("securityContext", {})
        where = label(workload)
        assert sc.get("runAsNonRoot", pod_sc.get("runAsNonRoot")) is True, where
        assert sc.get("runAsUser", pod_sc.get("runAsUser", 0)) != 0, where
        assert sc.get("readOnlyRootFilesystem") is True, where
        assert sc.get("allowPrivilegeEscalation") is False, where
        assert sc.get("privileged", False) is False, where
        assert sc.get("capabilities", {}).get("drop") == ["ALL"] and not sc["capabilities"].get("add"), where
        assert sc.get("seccompProfile", pod_sc.get("seccompProfile")) == {"type": "RuntimeDefault"}, where
        assert spec.get("automountServiceAccountToken") is False, where
        # A read-only root needs a writable /tmp: an emptyDir.
        empty_dirs = {v["name"] for v in spec["volumes"] if "emptyDir" in v}
        assert any(m["mountPath"] == "/tmp" and m["name"] in empty_dirs for m in container["volumeMounts"]), (
            where
        )


# ---- settings -------------------------------------------------------------------------------------------


def settings_class(service: str) -> type[BaseModel]:
    cls = SERVABLE[service]().settings_class
    assert isinstance(cls, type) and issubclass(cls, BaseModel)
    return cls


def nested_model(annotation: Any) -> type[BaseModel] | None:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    models = [m for a in get_args(annotation) if (m := nested_model(a)) is not None]
    return models[0] if len(models) == 1 else None


def is_field(model: type[BaseModel], parts: list[str]) -> bool:
    """`parts` (an env name after the prefix, split on `__`) names a field of `model`, nested ones too."""
    head, *rest = parts
    field = model.model_fields.get(head.lower())
    if field is None or not head:
        return False
    if not rest:
        return True
    sub = nested_model(field.annotation)
    return sub is not None and is_field(sub, rest)


def env_names(r: Rendered, workload: Obj) -> Iterator[str]:
    container = guanwu_container(workload)
    for source in container.get("envFrom", []):
        assert "configMapRef" in source, (
            f"{label(workload)}: envFrom {source} hides its names; use a ConfigMap"
        )
        config_map = r.find("ConfigMap", namespace_of(workload), source["configMapRef"]["name"])
        yield from (source.get("prefix", "") + key for key in config_map.get("data", {}))
    yield from (e["name"] for e in container.get("env", []))


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_every_env_name_is_a_field_of_the_services_settings(
    rendered: dict[str, Rendered], overlay: str
) -> None:
    r = rendered[overlay]
    for workload in r.workloads():
        service = service_of(workload)
        cls = settings_class(service)
        prefix = str(cls.model_config.get("env_prefix", ""))
        assert prefix == f"GUANWU_{service.upper().replace('-', '_')}_"
        for name in env_names(r, workload):
            assert name.startswith(prefix), f"{label(workload)}: {name} lacks {service}'s prefix {prefix}"
            parts = name[len(prefix) :].split("__")
            assert is_field(cls, parts), f"{label(workload)}: {name} is no field of {cls.__name__}"


def env_values(r: Rendered, workload: Obj, secrets: dict[tuple[str, str], dict[str, str]]) -> dict[str, str]:
    """The container's environment as the kubelet builds it, Secrets taken from the overlay's example."""
    namespace, container, env = namespace_of(workload), guanwu_container(workload), {}
    for source in container.get("envFrom", []):
        data = r.find("ConfigMap", namespace, source["configMapRef"]["name"]).get("data", {})
        env.update({source.get("prefix", "") + k: v for k, v in data.items()})
    for var in container.get("env", []):
        if "value" in var:
            env[var["name"]] = var["value"]
            continue
        ref = var["valueFrom"]["secretKeyRef"]
        value = secrets.get((namespace, ref["name"]), {}).get(ref["key"])
        assert value is not None or ref.get("optional"), f"{label(workload)}: no {ref} in secret.example.yaml"
        if value is not None:
            env[var["name"]] = value
    return env


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_settings_load_from_the_rendered_environment(
    rendered: dict[str, Rendered], overlay: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """What `guanwu serve <service>` would read: it loads, listens where the probes look, uses Kafka and
    MongoDB, and every service has a database of its own (a stream writes into its service's); the anomaly
    service reads the statistics stream's snapshots, which counts its topic under the same deployment prefix
    and partition count (faust's table partitions are the source topic's)."""
    r, secrets, loaded = rendered[overlay], example_secrets(overlay), dict[str, Any]()
    for workload in r.workloads():
        service = service_of(workload)
        for name in [n for n in list(os.environ) if n.startswith("GUANWU_")]:
            monkeypatch.delenv(name)
        for name, value in env_values(r, workload, secrets).items():
            monkeypatch.setenv(name, value)
        try:
            settings: Any = settings_class(service)()
        except ValidationError as error:
            pytest.fail(f"{overlay} {label(workload)}: settings do not load:\n{error}")
        ports = {p["name"]: p["containerPort"] for p in guanwu_container(workload)["ports"]}
        assert (settings.http.host, settings.http.port) == ("0.0.0.0", ports["http"]), label(workload)
        assert (settings.bus.kind, settings.store.kind) == ("kafka", "mongo"), label(workload)
        if overlay == "prod":
            assert settings.auth.mode == "jwks", label(workload)
        loaded[service] = settings
    for stream, owner in STORE_OF.items():
        assert loaded[stream].store.database == loaded[owner].store.database, f"{overlay}: {stream}'s store"
    databases = Counter(s.store.database for name, s in loaded.items() if name not in STORE_OF)
    assert all(n == 1 for n in databases.values()), f"{overlay}: databases shared: {databases}"
    anomaly, stream = loaded["anomaly"], loaded[STATISTICS]
    assert isinstance(anomaly, AnomalySettings) and anomaly.statistics == "stream", overlay
    for same in ("deployment", "bus.group_prefix", "bus.topic_partitions", "bus.bootstrap_servers"):
        path = same.split(".")
        ours, theirs = anomaly, stream
        for part in path:
            ours, theirs = getattr(ours, part), getattr(theirs, part)
        assert ours == theirs, f"{overlay}: {same} of anomaly {ours!r}, of {STATISTICS} {theirs!r}"


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_card_signer_pin_file_is_in_a_mounted_secret(rendered: dict[str, Rendered], overlay: str) -> None:
    r = rendered[overlay]
    (signer,) = r.of_kind("DaemonSet")
    pin_file = env_values(r, signer, example_secrets(overlay))["GUANWU_CARD_SIGNER_PIN_FILE"]
    secret_volumes = {v["name"]: v["secret"] for v in pod_spec(signer)["volumes"] if "secret" in v}
    mounts = [m for m in guanwu_container(signer)["volumeMounts"] if m["name"] in secret_volumes]
    (mount,) = [m for m in mounts if pin_file.startswith(m["mountPath"].rstrip("/") + "/")]
    item = pin_file[len(mount["mountPath"].rstrip("/")) + 1 :]
    secret = secret_volumes[mount["name"]]
    assert item in [i["path"] for i in secret["items"]], f"{pin_file} is not a file of {secret}"
    assert (namespace_of(signer), secret["secretName"]) in example_secrets(overlay)


# ---- what points at the workloads -----------------------------------------------------------------------


def workloads_selected(r: Rendered, namespace: str, selector: dict[str, str]) -> list[Obj]:
    return [
        w
        for w in r.workloads()
        if namespace_of(w) == namespace and selects(selector, w["spec"]["template"]["metadata"]["labels"])
    ]


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_every_network_policy_selects_a_workload(rendered: dict[str, Rendered], overlay: str) -> None:
    r = rendered[overlay]
    for policy in r.of_kind("NetworkPolicy"):
        selector = match_labels(policy["spec"]["podSelector"], label(policy))
        selected = workloads_selected(r, namespace_of(policy), selector)
        assert selected, f"{overlay}: {label(policy)} selects no workload"
        named = {p["port"] for rule in policy["spec"].get("ingress", []) for p in rule.get("ports", [])}
        for workload in selected:
            ports = {p["name"] for p in guanwu_container(workload)["ports"]}
            assert {p for p in named if isinstance(p, str)} <= ports, (
                f"{label(policy)}: ports of {label(workload)}"
            )


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_every_workload_has_a_service_and_a_service_monitor(
    rendered: dict[str, Rendered], overlay: str
) -> None:
    r = rendered[overlay]
    for workload in r.workloads():
        namespace, labels = namespace_of(workload), workload["spec"]["template"]["metadata"]["labels"]
        services = [
            s
            for s in r.of_kind("Service")
            if namespace_of(s) == namespace and selects(s["spec"]["selector"], labels)
        ]
        assert len(services) == 1, f"{label(workload)}: {len(services)} Services"
        (service,) = services
        assert "http" in {p["targetPort"] for p in service["spec"]["ports"]}, label(service)
        monitors = [
            m
            for m in r.of_kind("ServiceMonitor")
            if namespace_of(m) == namespace
            and selects(match_labels(m["spec"]["selector"], label(m)), service["metadata"]["labels"])
        ]
        assert len(monitors) == 1, f"{label(service)}: {len(monitors)} ServiceMonitors"
        endpoints = {(e["port"], e["path"]) for e in monitors[0]["spec"]["endpoints"]}
        port_names = {p["name"] for p in service["spec"]["ports"]}
        assert endpoints and all(p in port_names and path == "/metrics" for p, path in endpoints), endpoints


def autoscaler_of(r: Rendered, deployment: Obj) -> Obj:
    found = [
        h
        for h in r.of_kind("HorizontalPodAutoscaler")
        if namespace_of(h) == namespace_of(deployment)
        and h["spec"]["scaleTargetRef"]
        == {"apiVersion": "apps/v1", "kind": "Deployment", "name": deployment["metadata"]["name"]}
    ]
    assert len(found) == 1, f"{label(deployment)}: {len(found)} HorizontalPodAutoscalers"
    return found[0]


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_every_deployment_has_a_disruption_budget_and_an_autoscaler(
    rendered: dict[str, Rendered], overlay: str
) -> None:
    r = rendered[overlay]
    for deployment in r.of_kind("Deployment"):
        labels = deployment["spec"]["template"]["metadata"]["labels"]
        budgets = [
            b
            for b in r.of_kind("PodDisruptionBudget")
            if namespace_of(b) == namespace_of(deployment)
            and selects(match_labels(b["spec"]["selector"], label(b)), labels)
        ]
        assert len(budgets) == 1, f"{label(deployment)}: {len(budgets)} PodDisruptionBudgets"
        hpa = autoscaler_of(r, deployment)["spec"]
        assert hpa["minReplicas"] <= deployment["spec"]["replicas"] <= hpa["maxReplicas"], label(deployment)


def test_prod_runs_more_replicas_than_dev_and_dev_one_per_service(rendered: dict[str, Rendered]) -> None:
    dev, prod = rendered["dev"], rendered["prod"]
    dev_by_service = {service_of(d): d for d in dev.of_kind("Deployment")}
    prod_by_service = {service_of(d): d for d in prod.of_kind("Deployment")}
    assert dev_by_service.keys() == prod_by_service.keys()
    for service, dev_deployment in dev_by_service.items():
        prod_deployment = prod_by_service[service]
        dev_hpa, prod_hpa = (
            autoscaler_of(dev, dev_deployment)["spec"],
            autoscaler_of(prod, prod_deployment)["spec"],
        )
        # dev runs on FerretDB: exactly one replica per service (docs/stores.md), pinned by the autoscaler.
        assert dev_deployment["spec"]["replicas"] == dev_hpa["maxReplicas"] == 1, service
        assert prod_deployment["spec"]["replicas"] > dev_deployment["spec"]["replicas"], service
        assert prod_hpa["minReplicas"] > dev_hpa["minReplicas"], service
        if service in PINNED:
            assert (
                prod_hpa["minReplicas"] == prod_hpa["maxReplicas"] == prod_deployment["spec"]["replicas"]
            ), f"{service}: fixed in prod"


# ---- the console --------------------------------------------------------------------------------------------

CONSOLE_CALLS = {"declaration", "query", "anomaly", "review", "sync"}
"""The services whose APIs the console calls (ConsoleSettings' <service>_url; auth_url stays unset: no local
users outside the embedded process)."""


def policies_allow(r: Rendered, direction: str, namespace: str, target: Obj, peer: Obj, port: int) -> bool:
    """A NetworkPolicy of `namespace` selecting `target`'s pods allows `direction` (ingress/egress) from/to
    `peer`'s pods (same namespace, pod selector) on `port`."""
    target_labels = target["spec"]["template"]["metadata"]["labels"]
    peer_labels = peer["spec"]["template"]["metadata"]["labels"]
    key = "from" if direction == "ingress" else "to"
    for policy in r.of_kind("NetworkPolicy"):
        spec = policy["spec"]
        if namespace_of(policy) != namespace or direction.capitalize() not in spec.get("policyTypes", []):
            continue
        if not selects(match_labels(spec["podSelector"], label(policy)), target_labels):
            continue
        for rule in spec.get(direction, []):
            peers = [
                p
                for p in rule.get(key, [])
                if set(p) == {"podSelector"}
                and selects(match_labels(p["podSelector"], label(policy)), peer_labels)
            ]
            ports = {p["port"] for p in rule.get("ports", [])}
            if peers and (not ports or port in ports):
                return True
    return False


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_the_console_calls_each_service_at_its_service_and_the_policies_let_it(
    rendered: dict[str, Rendered], overlay: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    r = rendered[overlay]
    by_service = {service_of(w): w for w in r.workloads()}
    console = by_service["console"]
    namespace = namespace_of(console)
    for name in [n for n in list(os.environ) if n.startswith("GUANWU_")]:
        monkeypatch.delenv(name)
    for name, value in env_values(r, console, example_secrets(overlay)).items():
        monkeypatch.setenv(name, value)
    settings: Any = settings_class("console")()
    assert settings.auth_url is None, (
        f"{overlay}: no service serves local logins outside the embedded process"
    )
    for service in CONSOLE_CALLS:
        workload = by_service[service]
        url = getattr(settings, f"{service}_url")
        match = re.fullmatch(r"http://([a-z0-9-]+):([0-9]+)", url or "")
        assert match, f"{overlay}: console {service}_url {url!r}, want http://<Service>:<port>"
        target = r.find("Service", namespace, match[1])
        labels = workload["spec"]["template"]["metadata"]["labels"]
        assert selects(target["spec"]["selector"], labels), (
            f"{overlay}: {match[1]} is not {service}'s Service"
        )
        (port,) = [p for p in target["spec"]["ports"] if p["port"] == int(match[2])]
        container_ports = {p["name"]: p["containerPort"] for p in guanwu_container(workload)["ports"]}
        pod_port = container_ports.get(port["targetPort"], port["targetPort"])
        assert policies_allow(r, "egress", namespace, console, workload, pod_port), (
            f"{overlay}: console → {service}"
        )
        assert policies_allow(r, "ingress", namespace, workload, console, pod_port), (
            f"{overlay}: {service} ← console"
        )
    assert not policies_allow(r, "ingress", namespace, by_service[STATISTICS], console, 8000), (
        f"{overlay}: the console calls no statistics stream"
    )


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_the_console_signs_in_through_the_issuer_the_services_trust(
    rendered: dict[str, Rendered], overlay: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    r, secrets = rendered[overlay], example_secrets(overlay)
    loaded: dict[str, Any] = {}
    for workload in r.of_kind("Deployment"):
        for name in [n for n in list(os.environ) if n.startswith("GUANWU_")]:
            monkeypatch.delenv(name)
        for name, value in env_values(r, workload, secrets).items():
            monkeypatch.setenv(name, value)
        loaded[service_of(workload)] = settings_class(service_of(workload))()
    console = loaded["console"]
    assert console.auth.mode == "jwks" and console.oidc is not None, overlay
    oidc = console.oidc
    # The issuer's access token is the bearer the services verify: same issuer, keys and audience.
    for service in CONSOLE_CALLS:
        theirs = loaded[service].auth
        assert (theirs.mode, theirs.jwks_url, theirs.issuer, theirs.audience) == (
            "jwks",
            console.auth.jwks_url,
            console.auth.issuer,
            console.auth.audience,
        ), f"{overlay}: {service} would refuse the console's tokens"
    assert oidc.issuer == console.auth.issuer, overlay
    assert "openid" in oidc.scopes.split(), overlay
    assert oidc.redirect_url.startswith("https://") and oidc.redirect_url.endswith("/console/oidc/callback")
    # Several replicas in prod: the login cookie's key and the client secret come from the Secret.
    assert oidc.client_secret is not None and oidc.state_secret is not None, overlay
    (workload,) = [w for w in r.of_kind("Deployment") if service_of(w) == "console"]
    env = {e["name"]: e for e in guanwu_container(workload)["env"]}
    for secret in ("GUANWU_CONSOLE_OIDC__CLIENT_SECRET", "GUANWU_CONSOLE_OIDC__STATE_SECRET"):
        assert "secretKeyRef" in env[secret].get("valueFrom", {}), f"{overlay}: {secret} not from a Secret"
