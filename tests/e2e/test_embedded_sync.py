"""数据同步 embedded (one process, in-process bus, SQLite) against the Single Window simulator it serves under
/sim: a seeded tenant synced by day reaches the declaration service and query; a 核注清单 synced then 生成报关单
from it; a 核注清单 delete receipt reaches query; and each fault of the simulator, after which the job ends
completed (or failed with a reason) with counts equal to the data set minus what was quarantined."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from embedded_system import bearer, eventually, running_embedded

from guanwu.cli.embedded import EmbeddedSystem

JOBS = "/api/sync/jobs"
ROLES = ("preparer", "reviewer", "manager")
START = (datetime.now(UTC) - timedelta(days=12)).replace(microsecond=0)
RANGE = {"updated_from": START.isoformat(), "updated_to": (START + timedelta(days=11)).isoformat()}


@pytest.fixture(autouse=True)
def small_pages(monkeypatch: pytest.MonkeyPatch) -> None:
    # Several pages per job, so faults mid-job and cursors are exercised; quick retries.
    monkeypatch.setenv("GUANWU_SYNC_JOB_PAGE_SIZE", "25")
    monkeypatch.setenv("GUANWU_SYNC_JOB_POLL_INTERVAL_SECONDS", "0.1")
    monkeypatch.setenv("GUANWU_SYNC_SINGLE_WINDOW_TIMEOUT_SECONDS", "1")


async def _seed(client: httpx.AsyncClient, tenant: str, declarations: int, bonded_lists: int = 0) -> None:
    body = {
        "enterprise": tenant,
        "seed": 7,
        "declarations": declarations,
        "bonded_lists": bonded_lists,
        "start": START.isoformat(),
        "days": 10,
    }
    answer = await client.post("/sim/datasets", json=body)
    assert answer.status_code == 201, answer.text


async def _count(client: httpx.AsyncClient, tenant: str, criteria: dict[str, Any]) -> int:
    filters = {k: v for k, v in criteria.items() if k != "mode"}
    answer = await client.get(f"/sim/datasets/{tenant}/count", params=filters)
    assert answer.status_code == 200, answer.text
    return int(answer.json()["count"])


async def _run_job(
    system: EmbeddedSystem, client: httpx.AsyncClient, tenant: str, criteria: dict[str, Any]
) -> dict[str, Any]:
    headers = bearer(system, tenant, ROLES)
    started = await client.post(JOBS, json=criteria, headers=headers)
    assert started.status_code == 202, started.text
    url = started.headers["Location"]

    async def finished() -> dict[str, Any] | None:
        job: dict[str, Any] = (await client.get(url, headers=headers)).json()
        return job if job["state"] in ("completed", "failed", "cancelled") else None

    return dict(await eventually(finished))


async def _query_total(system: EmbeddedSystem, client: httpx.AsyncClient, tenant: str, **filters: str) -> int:
    page = await client.get(
        "/api/query/declarations", params={"limit": 1, **filters}, headers=bearer(system, tenant)
    )
    assert page.status_code == 200, page.text
    return int(page.json()["total"])


def _by_day(**extra: Any) -> dict[str, Any]:
    return {"kind": "declarations", "mode": "by_day", **RANGE, "enterprise_category": "1", **extra}


async def test_by_day_sync_reaches_declarations_and_query_and_runs_again_unchanged(tmp_path: Path) -> None:
    tenant = f"t-{uuid.uuid4().hex[:8]}"
    async with running_embedded(tmp_path, [tenant]) as (system, client):
        await _seed(client, tenant, declarations=120)
        criteria = _by_day()
        expected = await _count(client, tenant, criteria)
        assert expected > 0

        job = await _run_job(system, client, tenant, criteria)
        assert job["state"] == "completed", job
        assert job["counts"]["fetched"] == expected
        assert job["counts"]["written"] == expected
        assert job["counts"]["expected"] == expected

        async def all_in_query() -> int | None:
            total = await _query_total(system, client, tenant)
            return total if total >= expected else None

        assert await eventually(all_in_query) == expected
        made_here = await client.get(
            "/api/declaration/declarations",
            params={"limit": 1, "mine": "false"},
            headers=bearer(system, tenant),
        )
        assert made_here.json()["total"] == expected

        again = await _run_job(system, client, tenant, criteria)
        assert again["counts"]["written"] == 0
        assert again["counts"]["unchanged"] == expected
        assert await _query_total(system, client, tenant) == expected
        other = f"t-{uuid.uuid4().hex[:8]}"
        assert await _query_total(system, client, other) == 0
        hidden = await client.get(f"{JOBS}/{job['job_id']}", headers=bearer(system, other, ROLES))
        assert hidden.status_code == 404


async def test_a_synced_bonded_list_makes_a_declaration_and_its_delete_receipt_reaches_query(
    tmp_path: Path,
) -> None:
    tenant = f"t-{uuid.uuid4().hex[:8]}"
    async with running_embedded(tmp_path, [tenant]) as (system, client):
        await _seed(client, tenant, declarations=0, bonded_lists=40)
        criteria = {
            "kind": "bonded_lists",
            "mode": "by_day",
            **RANGE,
            "enterprise_type": "1",
            "data_source": "1",
        }
        expected = await _count(client, tenant, criteria)
        assert expected > 0
        job = await _run_job(system, client, tenant, criteria)
        assert job["state"] == "completed", job
        assert job["counts"]["written"] == expected
        headers = bearer(system, tenant)

        async def approved() -> dict[str, Any] | None:
            page = await client.get("/api/query/bonded-lists", params={"list_stat": "0"}, headers=headers)
            items: list[dict[str, Any]] = page.json()["items"]
            return next((i for i in items if i.get("bond_invt_no")), None)

        row = await eventually(approved)
        made = await client.post(
            "/api/declaration/declarations/from-bonded-list",
            json={"bond_invt_no": row["bond_invt_no"]},
            headers=headers,
        )
        assert made.status_code == 201, made.text
        assert made.json()["status"] == "草稿"

        deleted = {
            "enterprise": tenant,
            "message_type": "INV201",
            "seq_no": row["seq_no"],
            "bond_invt_no": row["bond_invt_no"],
            "list_stat": "3",
            "note": "企业申请删除",
        }
        assert (await client.post("/sim/bonded-list-receipts", json=deleted)).status_code == 201

        async def deleted_in_query() -> bool:
            one = await client.get(f"/api/query/bonded-lists/{row['bond_invt_no']}", headers=headers)
            return bool(one.json().get("list_stat") == "3")

        assert await eventually(deleted_in_query)


FAULTS: dict[str, dict[str, Any]] = {
    "latency": {"latency_ms": 20},
    "5xx": {"error_rate": 0.3},
    "malformed_xml": {"malformed_rate": 0.1},
    "session_expiry_mid_job": {"expire_session_every": 2},
}


@pytest.mark.parametrize("fault", sorted(FAULTS))
async def test_each_simulator_fault_ends_with_every_record_written_or_quarantined_once(
    tmp_path: Path, fault: str
) -> None:
    tenant = f"t-{uuid.uuid4().hex[:8]}"
    async with running_embedded(tmp_path, [tenant]) as (system, client):
        await _seed(client, tenant, declarations=150)
        assert (
            await client.put("/sim/faults", json={"enterprise": tenant, "seed": 3, **FAULTS[fault]})
        ).is_success
        criteria = _by_day()
        expected = await _count(client, tenant, criteria)

        job = await _run_job(system, client, tenant, criteria)
        assert job["state"] == "completed", job
        counts = job["counts"]
        assert counts["written"] + counts["quarantined"] == expected, counts
        assert counts["unchanged"] == 0
        quarantine = await client.get(job["quarantine"], headers=bearer(system, tenant, ROLES))
        assert quarantine.json()["total"] == counts["quarantined"]
        if fault == "malformed_xml":
            assert counts["quarantined"] > 0
            assert all(item["reason"] for item in quarantine.json()["items"])
        else:
            assert counts["quarantined"] == 0

        async def in_query() -> int | None:
            total = await _query_total(system, client, tenant)
            return total if total >= counts["written"] else None

        assert await eventually(in_query) == counts["written"]
        # The same job again: the broken records are quarantined again, nothing else is new.
        again = await _run_job(system, client, tenant, criteria)
        assert again["counts"]["written"] == 0
        assert again["counts"]["unchanged"] == counts["written"]


async def test_duplicated_and_out_of_order_receipts_are_kept_once(tmp_path: Path) -> None:
    tenant = f"t-{uuid.uuid4().hex[:8]}"
    async with running_embedded(tmp_path, [tenant]) as (system, client):
        faults = {"enterprise": tenant, "seed": 5, "duplicate_receipts": True, "out_of_order_receipts": True}
        assert (await client.put("/sim/faults", json=faults)).is_success
        receipts = [
            {"enterprise": tenant, "entry_id": f"61012026{i:010d}", "channel": "D", "note": "删单"}
            for i in range(30)
        ]
        assert (await client.post("/sim/receipts/batch", json=receipts)).status_code == 201

        async def registered() -> int | None:
            page = await client.get(
                "/api/anomaly/anomalies", params={"limit": 1}, headers=bearer(system, tenant)
            )
            total = int(page.json()["total"])
            return total if total >= 30 else None

        assert await eventually(registered) == 30
