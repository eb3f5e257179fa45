"""Every metric of the catalogue (docs/metrics.md) is registered with its type and label names, no other
guanwu_ metric is, no label is named like an id, and no pure domain pulls prometheus_client in."""

from __future__ import annotations

import importlib
import re
import subprocess
import sys
from typing import Any

import pytest
from metrics_catalogue import METRIC_MODULES, Metric, catalogue
from prometheus_client import REGISTRY

pytestmark = pytest.mark.unit

ID_LIKE = re.compile(
    r"(^|_)(id|ids|uuid|key|subject)$"
    r"|^(tenant|enterprise|user|username|declaration|request|receipt|record|event|correlation|review|task)$"
)
DOMAINS = ("declaration", "query", "anomaly", "review", "sync", "card_signer")


def registered() -> dict[str, Metric]:
    """guanwu's collectors in the default registry, by the name they are exposed under.

    prometheus_client keeps a collector's type and label names on private attributes (`_type`,
    `_labelnames`); its public `collect()` shows label names only of series that have samples."""
    for module in METRIC_MODULES:
        importlib.import_module(module)
    found: dict[str, Metric] = {}
    collectors: Any = REGISTRY._names_to_collectors.values()  # type: ignore[attr-defined]
    for collector in set(collectors):
        name = getattr(collector, "_name", "")
        if not name.startswith("guanwu_"):
            continue
        kind = collector._type
        exposed = f"{name}_total" if kind == "counter" else name
        found[exposed] = Metric(exposed, kind, tuple(collector._labelnames), exposed_by="")
    return found


def test_the_catalogue_names_each_metric_once_with_prometheus_names() -> None:
    names = [m.name for m in catalogue()]
    assert len(names) == len(set(names)), "a metric is listed twice"
    for metric in catalogue():
        assert re.fullmatch(r"guanwu_[a-z0-9_]+", metric.name), metric.name
        assert metric.name.endswith("_total") == (metric.type == "counter"), metric.name
        assert metric.exposed_by, f"{metric.name}: which process exposes it?"


def test_every_catalogue_metric_is_registered_with_its_type_and_labels() -> None:
    code = registered()
    for metric in catalogue():
        assert metric.name in code, f"{metric.name} is in docs/metrics.md but not registered"
        assert code[metric.name].type == metric.type, metric.name
        assert code[metric.name].labels == metric.labels, metric.name


def test_no_metric_is_registered_that_the_catalogue_does_not_name() -> None:
    documented = {m.name for m in catalogue()}
    assert sorted(set(registered()) - documented) == []


def test_no_label_is_named_like_an_id() -> None:
    code = registered()
    assert code  # the metrics were found
    offending = {name: m.labels for name, m in code.items() if any(ID_LIKE.search(lb) for lb in m.labels)}
    assert offending == {}


def test_the_id_check_would_catch_one() -> None:
    assert all(ID_LIKE.search(label) for label in ("declaration_id", "tenant", "request", "event_ids"))
    assert not any(ID_LIKE.search(label) for label in ("topic", "group", "status", "outcome", "channel"))


def test_no_pure_domain_imports_prometheus_client() -> None:
    script = "; ".join(
        [
            "import sys",
            *(f"import guanwu.{d}.domain" for d in DOMAINS),
            "print('prometheus_client' in sys.modules)",
        ]
    )
    answer = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    assert answer.stdout.strip() == "False", "a domain module imports prometheus_client (maybe indirectly)"
