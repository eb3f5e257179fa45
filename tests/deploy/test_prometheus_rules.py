"""deploy/prometheus: promtool accepts the rules and their unit tests pass; every alert is tested both ways,
is documented, and every rule and dashboard query names only catalogue metrics (issue #16, items 5 and 6).

promtool comes from Debian's `prometheus` package (deploy/local/prometheus.sh installs it)."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml
from monitoring_queries import (
    CATALOGUE,
    DERIVED_LABELS,
    INSTALLER,
    LABEL_VALUES,
    REPO,
    TARGET_LABELS,
    alerts,
    all_queries,
    catalogue_name,
    code_metric_names,
    grouping_labels,
    label_matchers,
    metric_names,
    prometheus_tool,
    rule_files,
    rule_test_files,
)

pytestmark = pytest.mark.unit
README = REPO / "deploy" / "prometheus" / "README.md"
CJK = re.compile(r"[\u4e00-\u9fff]")


@pytest.fixture(scope="module")
def promtool() -> str:
    return prometheus_tool("promtool")


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(args, capture_output=True, text=True, timeout=120, check=False, cwd=REPO)


def test_promtool_accepts_the_rule_files(promtool: str) -> None:
    files = rule_files()
    assert files, "no rule files in deploy/prometheus/rules"
    checked = run(promtool, "check", "rules", *map(str, files))
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert checked.stdout.count("SUCCESS") == len(files), checked.stdout


def test_promtool_unit_tests_of_the_rules_pass(promtool: str) -> None:
    files = rule_test_files()
    assert files, "no promtool tests in deploy/prometheus/tests"
    tested = run(promtool, "test", "rules", *map(str, files))
    assert tested.returncode == 0, tested.stdout + tested.stderr
    assert "FAILED" not in tested.stdout


def _rule_tests() -> list[dict[str, Any]]:
    """Every promtool test case, with the input series its alert tests run on."""
    cases = []
    for path in rule_test_files():
        for test in yaml.safe_load(path.read_text(encoding="utf-8"))["tests"]:
            series = " ".join(s["series"] for s in test.get("input_series", []))
            for case in test.get("alert_rule_test", []):
                cases.append({**case, "test": test["name"], "series": series})
    return cases


@pytest.mark.parametrize("alert", alerts(), ids=lambda a: a["alert"])
def test_every_alert_has_a_history_that_fires_it_and_one_that_does_not(alert: dict[str, Any]) -> None:
    mine = [case for case in _rule_tests() if case["alertname"] == alert["alert"]]
    firing = [case for case in mine if case.get("exp_alerts")]
    silent = [case for case in mine if not case.get("exp_alerts")]
    assert firing, f"{alert['alert']}: no promtool test expects it to fire"
    assert silent, f"{alert['alert']}: no promtool test expects it to stay silent"
    # A silent case must be silent because of the values, not because the metric is missing.
    metrics = {catalogue_name(name) for name in metric_names(alert["expr"])}
    for case in silent:
        missing = [m for m in metrics if m and m not in case["series"]]
        assert not missing, f"{alert['alert']}: silent test {case['test']!r} has no series of {missing}"


@pytest.mark.parametrize("alert", alerts(), ids=lambda a: a["alert"])
def test_every_alert_waits_is_labelled_explained_and_has_a_runbook(alert: dict[str, Any]) -> None:
    name = alert["alert"]
    assert alert.get("for"), f"{name}: no `for:`"
    assert alert["labels"]["severity"] in ("warning", "critical"), name
    for key in ("summary", "description"):
        text = alert["annotations"][key]
        assert CJK.search(text), f"{name}: the {key} has no Chinese hint"
        assert re.search(r"[A-Za-z]{3,} [A-Za-z]{3,}", text), f"{name}: the {key} has no English"
    anchor = name.lower()
    assert alert["annotations"]["runbook"] == f"deploy/prometheus/README.md#{anchor}"
    headings = {
        h.strip().lower() for h in re.findall(r"^### (.+)$", README.read_text(encoding="utf-8"), re.M)
    }
    assert anchor in headings, f"{name}: no `### {name}` runbook section in {README.relative_to(REPO)}"


def test_rules_and_panels_name_only_catalogue_metrics_the_code_declares() -> None:
    declared = code_metric_names()
    problems = []
    for query in all_queries():
        names = query.names()
        if not names:
            problems.append(f"{query.where}: names no metric")
        for name in names:
            metric = catalogue_name(name)
            if metric is None:
                problems.append(f"{query.where}: {name} is not in the catalogue")
            elif metric not in declared:
                problems.append(f"{query.where}: {metric} is not declared in libs/ or services/ (yet)")
    assert not problems, "\n".join(problems)


def test_rules_and_panels_use_only_catalogue_labels_and_values() -> None:
    problems = []
    for query in all_queries():
        metrics = {catalogue_name(n) for n in query.names()} - {None}
        known = set(TARGET_LABELS | DERIVED_LABELS)
        for metric in metrics:
            known |= CATALOGUE[metric][1]
        for label in grouping_labels(query.expr) - known:
            problems.append(f"{query.where}: groups by {label!r}, a label none of its metrics has")
        for metric, label, operator, value in label_matchers(query.expr):
            base = catalogue_name(metric) or ""
            own = CATALOGUE[base][1] if base else frozenset()
            if label not in own | TARGET_LABELS:
                problems.append(f"{query.where}: {metric} has no label {label!r}")
            allowed = LABEL_VALUES.get((base, label))
            if allowed and operator == "=" and value not in allowed:
                problems.append(f"{query.where}: {label}={value!r} is not one of {sorted(allowed)}")
    assert not problems, "\n".join(problems)


def test_the_readme_lists_every_alert() -> None:
    text = README.read_text(encoding="utf-8")
    for alert in alerts():
        assert f"`{alert['alert']}`" in text or f"### {alert['alert']}" in text, alert["alert"]


def test_a_threshold_change_is_caught_by_the_promtool_tests(promtool: str, tmp_path: Path) -> None:
    """The silent cases sit close to the thresholds: loosening one alert makes its tests fail."""
    rules = (REPO / "deploy/prometheus/rules/guanwu-alerts.yml").read_text(encoding="utf-8")
    loosened = rules.replace(
        "guanwu_card_signer_pin_retries_left <= 2", "guanwu_card_signer_pin_retries_left <= 3"
    )
    assert loosened != rules
    (tmp_path / "rules").mkdir()
    (tmp_path / "rules" / "guanwu-alerts.yml").write_text(loosened, encoding="utf-8")
    (tmp_path / "tests").mkdir()
    for path in rule_test_files():
        (tmp_path / "tests" / path.name).write_text(path.read_text(encoding="utf-8"), encoding="utf-8")
    tested = run(promtool, "test", "rules", *map(str, sorted((tmp_path / "tests").glob("*.yml"))))
    assert tested.returncode != 0
    assert "GuanwuCardPinRetriesLow" in tested.stdout + tested.stderr


def test_the_installer_finds_the_tools_and_prints_their_versions(promtool: str) -> None:
    installed = run("bash", str(REPO / INSTALLER))
    assert installed.returncode == 0, installed.stderr
    assert "already installed" in installed.stderr
    assert installed.stdout.startswith("promtool: promtool, version "), installed.stdout
    assert "\nprometheus: prometheus, version " in installed.stdout
