"""Sync jobs against the Single Window simulator (in process, through httpx.ASGITransport): the counts equal the
simulator's own count of the data set minus the quarantined records, which are listed; nothing is doubled;
the same question again writes nothing; each fault of the simulator ends in a completed job."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from service_http import bearer

from guanwu.contracts.events import BondedListSynced, DeclarationSynced
from guanwu.singlewindow_sim.app import create_app

from .jobs_support import JobsService, running_jobs

JOBS = "/api/sync/jobs"
START = datetime.now(UTC).replace(microsecond=0) - timedelta(days=10)
PERIOD = {
    "updated_from": (START - timedelta(days=1)).isoformat(),
    "updated_to": (datetime.now(UTC) + timedelta(days=1)).isoformat(),
}
DECLARATIONS = {"kind": "declarations", "mode": "by_day", "enterprise_category": "1", **PERIOD}
BONDED = {"kind": "bonded_lists", "mode": "by_day", "enterprise_type": "1", "data_source": "1", **PERIOD}


class Simulator:
    def __init__(self) -> None:
        self.client = httpx.AsyncClient(
            transport=httpx.ASGITransport(app=create_app()), base_url="http://sim"
        )

    @property
    def transport(self) -> httpx.AsyncBaseTransport:
        return self.client._transport

    async def seed(self, declarations: int, bonded_lists: int) -> None:
        body = {
            "enterprise": "acme",
            "seed": 7,
            "declarations": declarations,
            "bonded_lists": bonded_lists,
            "start": START.isoformat(),
            "days": 10,
        }
        assert (await self.client.post("/sim/datasets", json=body)).status_code == 201

    async def count(self, criteria: dict[str, Any]) -> int:
        params = {k: v for k, v in criteria.items() if k not in ("mode",)}
        response = await self.client.get("/sim/datasets/acme/count", params=params)
        assert response.status_code == 200, response.text
        return int(response.json()["count"])

    async def faults(self, **faults: Any) -> None:
        response = await self.client.put("/sim/faults", json={"enterprise": "acme", "seed": 3, **faults})
        assert response.status_code == 200, response.text


async def run(sync: JobsService, criteria: dict[str, Any]) -> dict[str, Any]:
    started = await sync.client.post(JOBS, json=criteria, headers=bearer())
    assert started.status_code == 202, started.text
    return await sync.job_when_ended(f"{JOBS}/{started.json()['job_id']}", bearer())


@pytest.fixture
async def simulator() -> Simulator:
    sim = Simulator()
    await sim.seed(declarations=120, bonded_lists=40)
    return sim


async def test_a_by_day_job_reads_the_whole_data_set_once_and_again_writes_nothing(
    simulator: Simulator,
) -> None:
    expected = await simulator.count(DECLARATIONS)
    assert expected > 20
    async with running_jobs(transport=simulator.transport, job_page_size=25) as sync:
        job = await run(sync, DECLARATIONS)
        assert job["state"] == "completed", job
        counts = job["counts"]
        assert counts["expected"] == counts["fetched"] == expected and counts["quarantined"] == 0
        assert counts["written"] == expected and counts["pages"] == -(-expected // 25)
        synced = await sync.published(DeclarationSynced.event_type)
        assert len(synced) == expected and len({e.data["seq_no"] for e in synced}) == expected
        again = await run(sync, DECLARATIONS)
        assert again["counts"]["unchanged"] == expected and again["counts"]["written"] == 0
        assert len(await sync.published(DeclarationSynced.event_type)) == expected
        touched = await simulator.client.post(
            "/sim/datasets/acme/touch", json={"kind": "declarations", "count": 5}
        )
        assert touched.status_code == 200
        changed = await simulator.count(DECLARATIONS)
        third = await run(sync, DECLARATIONS)
        written = third["counts"]["written"]
        assert 0 < written <= 5 and third["counts"]["fetched"] == changed
        assert len(await sync.published(DeclarationSynced.event_type)) == expected + written


async def test_bonded_lists_by_day_match_the_simulators_count(simulator: Simulator) -> None:
    expected = await simulator.count(BONDED)
    async with running_jobs(transport=simulator.transport) as sync:
        job = await run(sync, BONDED)
        assert (
            job["state"] == "completed" and job["counts"]["written"] == expected == job["counts"]["expected"]
        )
        assert len(await sync.published(BondedListSynced.event_type)) == expected


async def test_by_ticket_finds_the_one(simulator: Simulator) -> None:
    async with running_jobs(transport=simulator.transport) as sync:
        await run(sync, DECLARATIONS)
        [one, *_] = await sync.published(DeclarationSynced.event_type)
        by_ticket = {
            "kind": "declarations",
            "mode": "by_ticket",
            "seq_no": one.data["seq_no"],
            "enterprise_category": "1",
            "entry_kind": "0",
        }
        job = await run(sync, by_ticket)
        assert job["state"] == "completed" and job["counts"]["fetched"] <= 1


async def test_malformed_records_are_quarantined_the_rest_written_and_nothing_doubled(
    simulator: Simulator,
) -> None:
    expected = await simulator.count(DECLARATIONS)
    await simulator.faults(malformed_rate=0.2)
    async with running_jobs(transport=simulator.transport, job_page_size=30) as sync:
        job = await run(sync, DECLARATIONS)
        counts = job["counts"]
        assert job["state"] == "completed" and counts["quarantined"] > 0
        assert counts["written"] + counts["quarantined"] == expected == counts["fetched"]
        listed = (await sync.client.get(f"{job['quarantine']}?limit=200", headers=bearer())).json()
        assert listed["total"] == counts["quarantined"]
        assert all(item["seq_no"] and item["reason"] for item in listed["items"])
        assert len(await sync.published(DeclarationSynced.event_type)) == counts["written"]
        again = await run(sync, DECLARATIONS)  # the same records break again: quarantined again, not written
        assert again["counts"]["quarantined"] == counts["quarantined"] and again["counts"]["written"] == 0


@pytest.mark.parametrize(
    "faults",
    [
        {"error_rate": 0.3},
        {"expire_session_every": 2},
        {"timeout_rate": 0.2, "hang_seconds": 0.01},
        {"latency_ms": 5},
    ],
)
async def test_a_faulty_single_window_still_ends_in_a_complete_job(
    simulator: Simulator, faults: dict[str, Any]
) -> None:
    expected = await simulator.count(DECLARATIONS)
    await simulator.faults(**faults)
    async with running_jobs(
        transport=simulator.transport, job_page_size=20, single_window_attempts=8
    ) as sync:
        job = await run(sync, DECLARATIONS)
        assert job["state"] == "completed", job
        assert job["counts"]["written"] == expected == job["counts"]["fetched"]
        synced = await sync.published(DeclarationSynced.event_type)
        assert len(synced) == expected and len({e.data["seq_no"] for e in synced}) == expected


async def test_a_single_window_that_never_answers_fails_the_job_saying_so(simulator: Simulator) -> None:
    await simulator.faults(error_rate=1.0)
    async with running_jobs(transport=simulator.transport, single_window_attempts=2) as sync:
        job = await run(sync, DECLARATIONS)
        assert job["state"] == "failed" and job["errors"][-1]["code"] == "unavailable"
        assert "503" in job["reason"]
