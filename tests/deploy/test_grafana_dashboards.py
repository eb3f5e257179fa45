"""deploy/grafana/dashboards: provisionable Grafana JSON on the provisioned Prometheus data source (uid
`prometheus`), panels titled in Chinese and described in English, and deploy/grafana/README.md lists every
panel's PromQL (the PromQL itself is evaluated against a real Prometheus in tests/e2e)."""

from __future__ import annotations

import re
from typing import Any

import pytest
from monitoring_queries import DASHBOARDS, GRAFANA_VALUES, REPO, dashboard, dashboard_queries, panels

pytestmark = pytest.mark.unit
README = REPO / "deploy" / "grafana" / "README.md"
DATASOURCE = {"type": "prometheus", "uid": "${DS_PROMETHEUS}"}
CJK = re.compile(r"[\u4e00-\u9fff]")


@pytest.fixture(params=DASHBOARDS)
def board(request: pytest.FixtureRequest) -> dict[str, Any]:
    loaded: dict[str, Any] = dashboard(request.param)
    return loaded


def test_the_dashboards_are_provisionable(board: dict[str, Any]) -> None:
    assert board["schemaVersion"] >= 36
    assert re.fullmatch(r"guanwu-[a-z-]+", board["uid"])
    assert "guanwu" in board["tags"]
    assert "id" not in board or board["id"] is None, "a provisioned dashboard must not carry a database id"
    every = {id(p): p for p in [*board["panels"], *panels(board)]}.values()  # rows and panels, once each
    ids = [p["id"] for p in every]
    assert len(ids) == len(set(ids)), f"panel ids repeat: {sorted(ids)}"
    for panel in board["panels"]:
        grid = panel["gridPos"]
        assert grid["x"] + grid["w"] <= 24 and grid["h"] > 0, panel["title"]


def test_the_data_source_is_the_provisioned_prometheus(board: dict[str, Any]) -> None:
    variables = {v["name"]: v for v in board["templating"]["list"]}
    source = variables["DS_PROMETHEUS"]
    assert source["type"] == "datasource" and source["query"] == "prometheus"
    assert source["current"]["value"] == "prometheus"
    for panel in panels(board):
        assert panel["datasource"] == DATASOURCE, panel["title"]
        for target in panel.get("targets", []):
            assert target["datasource"] == DATASOURCE, (panel["title"], target["refId"])
    for variable in variables.values():
        if variable["type"] == "query":
            assert variable["datasource"] == DATASOURCE, variable["name"]


def test_every_panel_is_titled_in_chinese_and_described_in_english(board: dict[str, Any]) -> None:
    for panel in [*board["panels"], *panels(board)]:
        assert CJK.search(panel["title"]), f"{panel['title']!r} has no Chinese"
        if panel["type"] != "row":
            description = panel.get("description", "")
            assert re.search(r"[A-Za-z]{3,} [A-Za-z]{3,}", description), (
                f"{panel['title']}: no English description"
            )
            assert not CJK.search(description), f"{panel['title']}: the description is for English"


def test_every_panel_queries_prometheus_once_per_ref_id(board: dict[str, Any]) -> None:
    for panel in panels(board):
        refs = [t["refId"] for t in panel["targets"]]
        assert refs and len(refs) == len(set(refs)), panel["title"]
        assert all(t["expr"].strip() for t in panel["targets"]), panel["title"]


def test_queries_use_only_known_grafana_variables(board: dict[str, Any]) -> None:
    defined = {f"${v['name']}" for v in board["templating"]["list"]} | {
        f"${{{v['name']}}}" for v in board["templating"]["list"]
    }
    known = defined | set(GRAFANA_VALUES)
    for query in dashboard_queries(board["uid"].removeprefix("guanwu-")):
        # `$1` in label_replace's replacement is PromQL's, not a variable.
        used = set(re.findall(r"\$\{\w+\}|\$__\w+|\$[A-Za-z]\w*", query.expr))
        assert used <= known, f"{query.where}: unknown variables {used - known}"
        assert not re.search(r"\$\{\w+\}|\$__\w+|\$[A-Za-z]\w*", query.concrete()), query.where


def test_the_readme_lists_every_panel_with_its_promql() -> None:
    text = README.read_text(encoding="utf-8")
    for name in DASHBOARDS:
        for panel in panels(dashboard(name)):
            assert panel["title"] in text, f"{name}: panel {panel['title']!r} is not in {README.name}"
            for target in panel["targets"]:
                assert target["expr"] in text, (
                    f"{name} › {panel['title']} › {target['refId']}: PromQL not listed"
                )
