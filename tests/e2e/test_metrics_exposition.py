"""/metrics of a running guanwu (embedded, with the Single Window simulator and the soft token) after a
declaration went all the way to 放行 and a 删单 receipt came: `promtool check metrics` finds no error and no
lint problem, every series of the catalogue (docs/metrics.md) is there, and the business series moved.

promtool comes from deploy/local/prometheus.sh (Debian's package); the test finds it on PATH or at
GUANWU_PROMTOOL, like that script."""

from __future__ import annotations

import subprocess
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import httpx
import pytest
from embedded_system import bearer, eventually, running_embedded
from metrics_catalogue import Metric, catalogue
from monitoring_queries import prometheus_tool
from prometheus_client.parser import text_string_to_metric_families
from prometheus_client.samples import Sample

from guanwu.customs import fixtures

pytestmark = pytest.mark.e2e

DECLARATIONS = "/api/declaration/declarations"
DELETED_ENTRY_ID = "610120260000077777"
Samples = dict[str, list[Sample]]


def promtool() -> str:
    return prometheus_tool("promtool")


def promtool_check(tool: str, text: str) -> tuple[int, str]:
    """`promtool check metrics` on the exposition (stdin): its exit code and everything it printed."""
    checked = subprocess.run([tool, "check", "metrics"], input=text, capture_output=True, text=True)
    return checked.returncode, checked.stdout + checked.stderr


def families(text: str) -> dict[str, tuple[str, list[Sample]]]:
    """Family name (a counter's without `_total`, as the parser gives it) -> (type, samples)."""
    return {f.name: (f.type, list(f.samples)) for f in text_string_to_metric_families(text)}


def family_of(metric: Metric) -> str:
    return metric.name.removesuffix("_total") if metric.type == "counter" else metric.name


def value(text: str, name: str, **labels: str) -> float:
    """The sample `name` with exactly these labels (0 when absent)."""
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name == name and sample.labels == labels:
                return float(sample.value)
    return 0.0


async def ok(response: httpx.Response) -> dict[str, Any]:
    assert response.status_code in (200, 201), response.text
    body: dict[str, Any] = response.json()
    return body


async def declare_until_released(
    client: httpx.AsyncClient, headers: dict[str, str], reviewer: dict[str, str]
) -> None:
    """制单 → 提交审核 → 审核通过 (by another user) → 申报 → signed → sent → receipts L, P → 放行."""
    document = fixtures.export_sea_general_trade().model_dump(mode="json", exclude_none=True)
    created = await ok(await client.post(DECLARATIONS, json=document, headers=headers))
    url = f"{DECLARATIONS}/{created['declaration_id']}"
    await ok(await client.post(f"{url}/submit", headers={**headers, "If-Match": '"1"'}))

    async def task() -> list[dict[str, Any]]:
        page = await ok(await client.get("/api/review/tasks", headers=headers))
        return [t for t in page["items"] if t["declaration_id"] == created["declaration_id"]]

    [review] = await eventually(task)
    versioned = {**reviewer, "If-Match": f'"{review["version"]}"'}
    await ok(
        await client.post(f"/api/review/tasks/{review['review_id']}/approve", json={}, headers=versioned)
    )

    async def in_state(status: str) -> dict[str, Any] | None:
        current = await ok(await client.get(url, headers=headers))
        return current if current["status"] == status else None

    approved = await eventually(lambda: in_state("审核通过"))
    versioned = {**headers, "If-Match": f'"{approved["version"]}"'}
    await ok(await client.post(f"{url}/declare", headers=versioned))
    await eventually(lambda: in_state("放行"))


async def delete_receipt_registered(client: httpx.AsyncClient, headers: dict[str, str]) -> None:
    receipt = {"enterprise": "acme", "entry_id": DELETED_ENTRY_ID, "channel": "D", "note": "企业申请删单"}
    assert (await client.post("/sim/receipts", json=receipt)).status_code == 201

    async def registered() -> list[dict[str, Any]]:
        page = await client.get(
            "/api/anomaly/anomalies", params={"document_no": DELETED_ENTRY_ID}, headers=headers
        )
        return list(page.json()["items"])

    await eventually(registered)


def missing_series(text: str, metrics: Iterable[Metric]) -> list[str]:
    """What the catalogue names that the exposition lacks: a family of the right type with at least one
    sample carrying the catalogue's labels (a histogram's `_bucket` adds `le`)."""
    found = families(text)
    problems = []
    for metric in metrics:
        kind, samples = found.get(family_of(metric), ("absent", []))
        if kind != metric.type:
            problems.append(f"{metric.name}: {kind}, not {metric.type}")
        elif not any(set(metric.labels) <= set(s.labels) for s in samples):
            problems.append(f"{metric.name}: no sample with labels {metric.labels}")
        elif any(set(s.labels) - {"le"} != set(metric.labels) for s in samples):
            problems.append(f"{metric.name}: labels {[sorted(s.labels) for s in samples][:3]}")
    return problems


async def test_metrics_pass_promtool_and_show_every_catalogue_series(tmp_path: Path) -> None:
    tool = promtool()
    async with running_embedded(tmp_path, ["acme"], with_signer=True) as (system, client):
        headers = bearer(system, "acme", roles=("preparer", "reviewer"), user="zhang")
        reviewer = bearer(system, "acme", roles=("reviewer",), user="li")
        before = (await client.get("/metrics")).text
        await declare_until_released(client, headers, reviewer)
        await delete_receipt_registered(client, headers)
        answer = await client.get("/metrics")
        assert answer.status_code == 200
        text = answer.text

    assert promtool_check(tool, text) == (0, ""), "promtool check metrics: errors or lint problems"
    assert missing_series(text, catalogue()) == []

    def moved(name: str, **labels: str) -> float:
        return value(text, name, **labels) - value(before, name, **labels)

    assert value(text, "guanwu_process_ready", service="embedded") == 1  # no /readyz was asked
    assert moved("guanwu_declaration_status_changes_total", status="放行") == 1
    assert moved("guanwu_declaration_status_changes_total", status="草稿") == 1
    assert moved("guanwu_sync_declarations_total", outcome="submitted") == 1
    assert moved("guanwu_sync_receipts_total", channel="P") == 1
    assert moved("guanwu_sync_receipts_total", channel="D") == 1
    assert moved("guanwu_anomaly_registered_total", anomaly_type="删单", source="receipt") == 1
    assert moved("guanwu_card_signer_signatures_total", outcome="signed") == 1
    assert moved("guanwu_sync_single_window_requests_total", operation="declare", outcome="ok") == 1
    assert moved("guanwu_outbox_publish_duration_seconds_count", collection="declaration_declarations") > 0
    assert (
        value(
            text,
            "guanwu_bus_consumer_lag_messages",
            topic="sync.events.v1",
            group="anomaly.registration",
            partition="0",
        )
        == 0
    )
