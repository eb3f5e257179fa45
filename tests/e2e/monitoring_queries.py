"""The PromQL of deploy/prometheus/rules and deploy/grafana/dashboards, read the way Prometheus and Grafana
read it, for the unit tests (tests/deploy) and the real-Prometheus e2e test (tests/e2e).

Metric names are found with a small scanner over the expression (strings, label matchers, grouping clauses
and ranges removed, function names dropped): enough for the expressions we write, which never use
`{__name__=...}`. The catalogue is issue #16's (item 4), mirrored here with each metric's type and labels.
"""

from __future__ import annotations

import json
import os
import re
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]
RULES_DIR = REPO / "deploy" / "prometheus" / "rules"
RULE_TESTS_DIR = REPO / "deploy" / "prometheus" / "tests"
DASHBOARDS_DIR = REPO / "deploy" / "grafana" / "dashboards"
DASHBOARDS = ("overview", "business", "card-signer")
INSTALLER = "deploy/local/prometheus.sh"


def prometheus_tool(name: str) -> str:
    """The path of Debian's `promtool` or `prometheus` (or of `GUANWU_PROMTOOL` / `GUANWU_PROMETHEUS`).

    Missing: a failure when the suite must run every tier (`make test` sets GUANWU_REQUIRE_INTEGRATION=1),
    otherwise a skip, both naming the installer."""
    found = os.environ.get(f"GUANWU_{name.upper()}") or shutil.which(name)
    if found:
        return found
    message = f"{name} is not installed: run `{INSTALLER}` (as root it installs Debian's prometheus)"
    if os.environ.get("GUANWU_REQUIRE_INTEGRATION") == "1":
        pytest.fail(f"{message}; GUANWU_REQUIRE_INTEGRATION=1")
    pytest.skip(message)


# name -> (type, labels), from the metric catalogue of issue #16 (item 4).
CATALOGUE: dict[str, tuple[str, frozenset[str]]] = {
    name: (kind, frozenset(labels.split()))
    for name, kind, labels in (
        ("guanwu_http_request_duration_seconds", "histogram", "service method route status"),
        ("guanwu_bus_messages_consumed_total", "counter", "topic group outcome"),
        ("guanwu_bus_handler_failures_total", "counter", "topic group"),
        ("guanwu_bus_messages_published_total", "counter", "topic"),
        ("guanwu_bus_publish_failures_total", "counter", "topic"),
        ("guanwu_bus_dead_letter_failures_total", "counter", "topic"),
        ("guanwu_bus_dead_letters_trimmed_total", "counter", "topic"),
        ("guanwu_bus_consumer_busy_seconds", "gauge", "topic group"),
        ("guanwu_bus_consumer_lag_messages", "gauge", "topic group partition"),
        ("guanwu_outbox_relayed_total", "counter", "collection"),
        ("guanwu_outbox_pending_documents", "gauge", "collection"),
        ("guanwu_outbox_oldest_pending_age_seconds", "gauge", "collection"),
        ("guanwu_outbox_publish_duration_seconds", "histogram", "collection"),
        ("guanwu_process_ready", "gauge", "service"),
        ("guanwu_declaration_declarations", "gauge", "status"),
        ("guanwu_declaration_status_changes_total", "counter", "status"),
        ("guanwu_declaration_signing_timeouts_total", "counter", ""),
        ("guanwu_declaration_parked_receipts_expired_total", "counter", ""),
        ("guanwu_anomaly_records", "gauge", "anomaly_type handling_status"),
        ("guanwu_anomaly_registered_total", "counter", "anomaly_type source"),
        ("guanwu_sync_receipts_total", "counter", "channel"),
        ("guanwu_sync_jobs_total", "counter", "sync_job outcome"),
        ("guanwu_sync_declarations_total", "counter", "outcome"),
        ("guanwu_sync_single_window_requests_total", "counter", "operation outcome"),
        ("guanwu_sync_single_window_request_duration_seconds", "histogram", "operation"),
        ("guanwu_sync_records_total", "counter", "kind outcome"),
        ("guanwu_sync_data_jobs_total", "counter", "kind outcome"),
        ("guanwu_sync_data_jobs_running", "gauge", ""),
        ("guanwu_card_signer_signatures_total", "counter", "outcome"),
        ("guanwu_card_signer_sign_duration_seconds", "histogram", ""),
        ("guanwu_card_signer_card_present", "gauge", ""),
        ("guanwu_card_signer_pin_retries_left", "gauge", ""),
        ("guanwu_card_signer_alerts_total", "counter", "reason"),
    )
}
# Labels every stored series may carry besides its own: the target's (instance, job) and `le` of histogram
# buckets.
TARGET_LABELS = frozenset({"instance", "job"})
DERIVED_LABELS = frozenset({"le"})
# Values of enumerated labels, from the catalogue: a matcher with `=` on these must use one of them.
LABEL_VALUES: dict[tuple[str, str], frozenset[str]] = {
    ("guanwu_bus_messages_consumed_total", "outcome"): frozenset(
        {"handled", "dead_lettered", "skipped_unknown_type", "skipped_not_handled"}
    ),
    ("guanwu_sync_jobs_total", "outcome"): frozenset({"ok", "failed"}),
    ("guanwu_sync_single_window_requests_total", "outcome"): frozenset({"ok", "error"}),
    ("guanwu_sync_single_window_requests_total", "operation"): frozenset(
        {"declare", "receipts", "query", "session"}
    ),
    ("guanwu_sync_records_total", "outcome"): frozenset({"written", "unchanged", "quarantined"}),
    ("guanwu_sync_records_total", "kind"): frozenset({"declarations", "bonded_lists"}),
    ("guanwu_sync_data_jobs_total", "outcome"): frozenset({"completed", "failed", "cancelled"}),
    ("guanwu_sync_data_jobs_total", "kind"): frozenset({"declarations", "bonded_lists"}),
    ("guanwu_sync_declarations_total", "outcome"): frozenset({"submitted", "refused", "deferred"}),
    ("guanwu_anomaly_registered_total", "source"): frozenset({"receipt", "manual"}),
    ("guanwu_http_request_duration_seconds", "status"): frozenset({"1xx", "2xx", "3xx", "4xx", "5xx"}),
}
HISTOGRAM_SUFFIXES = ("_bucket", "_count", "_sum")

# Grafana's variables and the concrete values the e2e test evaluates them with.
GRAFANA_VALUES = {
    "$__rate_interval": "1m",
    "$__interval": "15s",
    "$__range": "10m",
    "${service}": ".*",
    "$service": ".*",
}
_KEYWORDS = frozenset(
    {"and", "or", "unless", "by", "without", "on", "ignoring", "group_left", "group_right", "offset", "bool"}
)
_LABEL_VALUES_QUERY = re.compile(r"^label_values\(\s*([a-zA-Z_:][\w:]*)\s*,\s*(\w+)\s*\)$")


@dataclass(frozen=True)
class Query:
    where: str
    """e.g. `overview › 请求速率 › A` or `rule guanwu-bus › GuanwuConsumerLagGrowing`."""
    expr: str
    kind: str  # "panel", "rule" or "variable"

    def concrete(self) -> str:
        """The expression Prometheus evaluates: Grafana variables replaced by concrete values; a variable's
        `label_values(metric, label)` becomes the series query Grafana makes of it."""
        expr = self.expr.strip()
        if match := _LABEL_VALUES_QUERY.match(expr):
            return f"group by ({match.group(2)}) ({match.group(1)})"
        for variable, value in GRAFANA_VALUES.items():
            expr = expr.replace(variable, value)
        return expr

    def names(self) -> set[str]:
        return metric_names(self.concrete())


def rule_files() -> list[Path]:
    return sorted(RULES_DIR.glob("*.yml"))


def rule_test_files() -> list[Path]:
    return sorted(RULE_TESTS_DIR.glob("*.yml"))


def rule_groups() -> list[dict[str, Any]]:
    groups: list[dict[str, Any]] = []
    for path in rule_files():
        groups.extend(yaml.safe_load(path.read_text(encoding="utf-8"))["groups"])
    return groups


def rules() -> Iterator[tuple[str, dict[str, Any]]]:
    for group in rule_groups():
        for rule in group["rules"]:
            yield group["name"], rule


def alerts() -> list[dict[str, Any]]:
    return [rule for _, rule in rules() if "alert" in rule]


def dashboard(name: str) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads((DASHBOARDS_DIR / f"{name}.json").read_text(encoding="utf-8"))
    return loaded


def panels(board: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """Every panel, those inside collapsed rows included, rows themselves excluded."""
    for panel in board["panels"]:
        if panel["type"] == "row":
            yield from panel.get("panels", [])
        else:
            yield panel


def dashboard_queries(name: str) -> list[Query]:
    board = dashboard(name)
    found = [
        Query(f"{name} › {panel['title']} › {target['refId']}", target["expr"], "panel")
        for panel in panels(board)
        for target in panel.get("targets", [])
    ]
    for variable in board["templating"]["list"]:
        if variable["type"] == "query":
            definition = variable["definition"]
            found.append(Query(f"{name} › variable {variable['name']}", definition, "variable"))
    return found


def rule_queries() -> list[Query]:
    return [
        Query(f"rule {group} › {rule.get('alert') or rule.get('record')}", rule["expr"], "rule")
        for group, rule in rules()
    ]


def all_queries() -> list[Query]:
    return [q for name in DASHBOARDS for q in dashboard_queries(name)] + rule_queries()


def _without_strings(expr: str) -> str:
    return re.sub(r'"(?:[^"\\]|\\.)*"', '""', expr)


def metric_names(expr: str) -> set[str]:
    """The metric names an expression selects (histogram series keep their _bucket/_count/_sum suffix)."""
    text = _without_strings(expr)
    text = re.sub(r"\{[^}]*\}", " ", text)
    text = re.sub(r"\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)", " ", text)
    text = re.sub(r"\[[^\]]*\]", " ", text)
    names = set()
    for match in re.finditer(r"(?<![\w.:])[a-zA-Z_:][\w:]*", text):
        name = match.group()
        if (
            name in _KEYWORDS
            or name.lower() in ("inf", "nan")
            or text[match.end() :].lstrip().startswith("(")
        ):
            continue
        names.add(name)
    return names


def label_matchers(expr: str) -> list[tuple[str, str, str, str]]:
    """(metric, label, operator, value) of every matcher written on a metric name."""
    found = []
    for selector in re.finditer(r"([a-zA-Z_:][\w:]*)\s*\{([^}]*)\}", expr):
        for matcher in re.finditer(r'(\w+)\s*(=~|!~|!=|=)\s*"((?:[^"\\]|\\.)*)"', selector.group(2)):
            found.append((selector.group(1), matcher.group(1), matcher.group(2), matcher.group(3)))
    return found


def grouping_labels(expr: str) -> set[str]:
    """Labels named by by/without/on/ignoring/group_left/group_right clauses."""
    text = _without_strings(expr)
    found: set[str] = set()
    for clause in re.finditer(r"\b(?:by|without|on|ignoring|group_left|group_right)\s*\(([^)]*)\)", text):
        found.update(label.strip() for label in clause.group(1).split(",") if label.strip())
    return found


def catalogue_name(name: str) -> str | None:
    """The catalogue metric a series name belongs to (a histogram's _bucket/_count/_sum to the histogram)."""
    if name in CATALOGUE:
        return name
    for suffix in HISTOGRAM_SUFFIXES:
        base = name.removesuffix(suffix)
        if base != name and CATALOGUE.get(base, ("", frozenset()))[0] == "histogram":
            return base
    return None


def code_metric_names() -> set[str]:
    """Metric names the code declares (prometheus_client Counter/Gauge/Histogram in libs/ and services/)."""
    declared = re.compile(r"\b(?:Counter|Gauge|Histogram|Summary)\(\s*\"(guanwu_\w+)\"")
    names: set[str] = set()
    for top in ("libs", "services"):
        for path in (REPO / top).glob("**/src/**/*.py"):
            names.update(declared.findall(path.read_text(encoding="utf-8")))
    return names
