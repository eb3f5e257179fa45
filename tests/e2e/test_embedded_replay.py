"""`guanwu replay query` embedded (#14 F-30 rebuild): a separate process rebuilds the query read model from the
data folder's event log while the embedded system keeps running, and switches it in; the rebuilt model equals
the live one row for row (store bookkeeping aside), repairs what the live one lost, and every event that
arrives during the rebuild is in the switched model."""

from __future__ import annotations

import asyncio
import sys
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from embedded_system import bearer, eventually, running_embedded

from guanwu.cli.embedded import EmbeddedSystem
from guanwu.platform.replay import REBUILD_INFIX
from guanwu.platform.store.port import VERSION_FIELD

ROLES = ("preparer", "reviewer", "manager")
START = (datetime.now(UTC) - timedelta(days=12)).replace(microsecond=0)
RANGE = {"updated_from": START.isoformat(), "updated_to": (START + timedelta(days=11)).isoformat()}
Model = dict[str, list[dict[str, Any]]]


@pytest.fixture(autouse=True)
def quick_sync(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GUANWU_SYNC_JOB_PAGE_SIZE", "25")
    monkeypatch.setenv("GUANWU_SYNC_JOB_POLL_INTERVAL_SECONDS", "0.1")


async def model(system: EmbeddedSystem) -> Model:
    """Every query_* collection's rows without the store's bookkeeping (`_version`), in `_id` order."""
    store = system.runtime.store
    names = [n for n in await store.collection_names() if n.startswith("query_") and REBUILD_INFIX not in n]
    return {
        name: sorted(
            (
                {k: v for k, v in doc.items() if k != VERSION_FIELD}
                for doc in await store.collection(name).find({})
            ),
            key=lambda doc: str(doc["_id"]),
        )
        for name in names
    }


async def settled(system: EmbeddedSystem) -> Model:
    """The model once two reads a moment apart agree (the outbox relay and the consumers are done)."""
    last: list[Model] = [await model(system)]

    async def same_again() -> Model | None:
        await asyncio.sleep(0.5)
        now = await model(system)
        same = now == last[0]
        last[0] = now
        return now if same else None

    return await eventually(same_again)


async def replay(data_dir: Path, *extra: str) -> tuple[int, str]:
    """`guanwu replay query` as its own process, as an operator runs it beside `guanwu up`."""
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "guanwu.cli.main",
        "replay",
        "query",
        "--data-dir",
        str(data_dir),
        *extra,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    output, _ = await process.communicate()
    assert process.returncode is not None
    return process.returncode, output.decode("utf-8", "replace")


async def _sync(
    system: EmbeddedSystem, client: httpx.AsyncClient, tenant: str, criteria: dict[str, Any]
) -> int:
    headers = bearer(system, tenant, ROLES)
    started = await client.post("/api/sync/jobs", json=criteria, headers=headers)
    assert started.status_code == 202, started.text

    async def finished() -> dict[str, Any] | None:
        job: dict[str, Any] = (await client.get(started.headers["Location"], headers=headers)).json()
        return job if job["state"] in ("completed", "failed", "cancelled") else None

    job = await eventually(finished)
    assert job["state"] == "completed", job
    return int(job["counts"]["written"])


async def _populate(system: EmbeddedSystem, client: httpx.AsyncClient, tenant: str) -> int:
    """Declarations synced in and made here (changed, deleted), 核注清单 synced and a receipt of one; returns
    how many declarations there are."""
    seeded = {"enterprise": tenant, "seed": 5, "declarations": 40, "bonded_lists": 12}
    answer = await client.post("/sim/datasets", json={**seeded, "start": START.isoformat(), "days": 10})
    assert answer.status_code == 201, answer.text
    criteria = {"kind": "declarations", "mode": "by_day", **RANGE, "enterprise_category": "1"}
    synced = await _sync(system, client, tenant, criteria)
    assert synced > 0
    await _sync(
        system,
        client,
        tenant,
        {"kind": "bonded_lists", "mode": "by_day", **RANGE, "enterprise_type": "1", "data_source": "1"},
    )
    headers = bearer(system, tenant)
    made = [await _draft(client, headers, f"RB-{i}") for i in range(3)]
    url = f"/api/declaration/declarations/{made[0]}"
    changed = await client.put(
        url, json={"head": {"ie_flag": "E", "bill_no": "RB-0b"}}, headers={**headers, "If-Match": '"1"'}
    )
    assert changed.status_code == 200, changed.text
    deleted = await client.delete(
        f"/api/declaration/declarations/{made[1]}", headers={**headers, "If-Match": '"1"'}
    )
    assert deleted.status_code == 200, deleted.text

    async def a_numbered_list() -> dict[str, Any] | None:
        page = await client.get("/api/query/bonded-lists", headers=headers)
        items: list[dict[str, Any]] = page.json()["items"]
        return next((row for row in items if row.get("bond_invt_no")), None)

    numbered = await eventually(a_numbered_list)
    receipt = {
        "enterprise": tenant,
        "message_type": "INV201",
        "seq_no": numbered["seq_no"],
        "bond_invt_no": numbered["bond_invt_no"],
        "list_stat": "3",
        "note": "企业申请删除",
    }
    assert (await client.post("/sim/bonded-list-receipts", json=receipt)).status_code == 201

    async def receipt_in_query() -> bool:
        one = await client.get(f"/api/query/bonded-lists/{numbered['bond_invt_no']}", headers=headers)
        return bool(one.json().get("list_stat") == "3")

    await eventually(receipt_in_query)
    return synced + len(made)


async def _draft(client: httpx.AsyncClient, headers: dict[str, str], bill_no: str) -> str:
    created = await client.post(
        "/api/declaration/declarations",
        json={
            "head": {
                "ie_flag": "E",
                "custom_master": "5100",
                "trade_name": "西安某贸易有限公司",
                "bill_no": bill_no,
            }
        },
        headers=headers,
    )
    assert created.status_code == 201, created.text
    return str(created.json()["declaration_id"])


async def _total(system: EmbeddedSystem, client: httpx.AsyncClient, tenant: str) -> int:
    page = await client.get("/api/query/declarations", params={"limit": 1}, headers=bearer(system, tenant))
    assert page.status_code == 200, page.text
    return int(page.json()["total"])


async def test_the_rebuilt_model_equals_the_live_one_and_the_service_reads_it(tmp_path: Path) -> None:
    tenant = f"t-{uuid.uuid4().hex[:8]}"
    async with running_embedded(tmp_path, [tenant]) as (system, client):
        declarations_made = await _populate(system, client, tenant)
        live = await settled(system)
        assert {"query_declarations", "query_bonded_lists"} <= set(live)
        assert len(live["query_declarations"]) == declarations_made
        assert live["query_bonded_lists"]
        # The live model loses a row and gets one wrong: the rebuild comes from the events, not from it.
        declarations = system.runtime.store.collection("query_declarations")
        lost = live["query_declarations"][0]["_id"]
        await declarations.delete(lost)
        wrong = await declarations.get(live["query_declarations"][1]["_id"])
        assert wrong is not None
        await declarations.upsert({**wrong, "bill_no": "NOT-FROM-ANY-EVENT"})

        code, output = await replay(tmp_path)

        assert code == 0, output
        assert "已切换 switched query_declarations" in output
        assert await model(system) == live
        # The running service reads the switched model, and writes into it.
        assert await _total(system, client, tenant) == declarations_made
        await _draft(client, bearer(system, tenant), "AFTER")

        async def projected() -> int | None:
            total = await _total(system, client, tenant)
            return total if total > declarations_made else None

        assert await eventually(projected) == declarations_made + 1
        assert not [n for n in await system.runtime.store.collection_names() if REBUILD_INFIX in n]


async def test_events_arriving_during_the_rebuild_all_reach_the_switched_model(tmp_path: Path) -> None:
    tenant = f"t-{uuid.uuid4().hex[:8]}"
    async with running_embedded(tmp_path, [tenant]) as (system, client):
        await _populate(system, client, tenant)
        await settled(system)
        headers = bearer(system, tenant)
        made: list[str] = []

        done = asyncio.Event()

        async def keep_drafting() -> None:
            while not done.is_set():  # stopped between drafts, so every one made is counted
                made.append(await _draft(client, headers, f"MOVING-{len(made)}"))
                await asyncio.sleep(0.01)

        writer = asyncio.create_task(keep_drafting())
        try:
            code, output = await replay(tmp_path)
        finally:
            done.set()
            await writer
        assert code == 0, output
        assert len(made) > 5, "the rebuild ran while declarations were being made"
        live = await settled(system)
        moving = [r for r in live["query_declarations"] if str(r.get("bill_no", "")).startswith("MOVING-")]
        assert sorted(r["declaration_id"] for r in moving) == sorted(made)
        # Settled, the switched model is what a rebuild from the events gives.
        code, output = await replay(tmp_path)
        assert code == 0, output
        assert await model(system) == live


async def test_a_log_younger_than_the_data_is_refused(tmp_path: Path) -> None:
    tenant = f"t-{uuid.uuid4().hex[:8]}"
    async with running_embedded(tmp_path, [tenant]) as (system, client):
        for i in range(3):
            await _draft(client, bearer(system, tenant), f"OLD-{i}")
        before = await settled(system)
        await system.runtime.store.drop_collection("platform_event_log.declaration.events.v1")

        code, output = await replay(tmp_path)

        assert code == 1, output
        assert "nothing switched" in output and "query_declarations: 3 live, 0 rebuilt" in output
        assert await model(system) == before
