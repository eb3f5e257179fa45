"""企业类别 on FerretDB: the categories a record was announced under are kept there and read back, so a job asking
by a second category announces each record once more and a third asking by either announces nothing."""

from __future__ import annotations

from typing import Any

from pydantic import TypeAdapter

from guanwu.contracts.events import DeclarationSynced
from guanwu.contracts.sync import SyncCriteria
from guanwu.platform.store.mongo import MongoDocumentStore
from guanwu.sync.service_layer.handlers.job_runner import claim_jobs, run_job
from guanwu.sync.service_layer.handlers.jobs import job_of, request_sync
from guanwu.sync.service_layer.unit_of_work import SyncUnitOfWork

from ..unit.jobs_support import BY_DAY, FakeSingleWindow
from .test_jobs_ferretdb import Clock, runner, store, unnoticed

__all__ = ["store"]  # the fixture, shared with the jobs' tests


async def run(store: MongoDocumentStore, fake: FakeSingleWindow, category: str) -> dict[str, int]:
    clock = Clock()
    criteria: Any = TypeAdapter(SyncCriteria).validate_python({**BY_DAY, "enterprise_category": category})
    job = await request_sync(
        criteria,
        tenant="acme",
        requested_by="u1",
        uow=SyncUnitOfWork(store, unnoticed),
        clock=clock,
        connected=True,
    )
    taker = runner(store, fake, clock, owner="r1")
    for claimed in await claim_jobs(taker, 5):
        await run_job(claimed, taker)
    done = await job_of(job.job_id, tenant="acme", uow=SyncUnitOfWork(store, unnoticed))
    return {"written": done.counts.written, "unchanged": done.counts.unchanged}


async def test_categories_are_kept_on_ferretdb(store: MongoDocumentStore) -> None:
    fake = FakeSingleWindow()
    fake.seed("acme", "declarations", 7)
    assert await run(store, fake, "1") == {"written": 7, "unchanged": 0}
    assert await run(store, fake, "3") == {"written": 7, "unchanged": 0}
    assert await run(store, fake, "3") == {"written": 0, "unchanged": 7}
    docs = await store.collection("sync_records").find({})
    assert sorted(doc["enterprise_categories"] for doc in docs) == [["1", "3"]] * 7
    announced = [
        (entry["envelope"]["data"]["seq_no"], entry["envelope"]["data"]["enterprise_category"])
        for doc in docs
        for entry in doc.get("_outbox", [])
        if entry["envelope"]["type"] == DeclarationSynced.event_type
    ]
    assert sorted(announced) == sorted(
        (r.seq_no, c) for r in fake.records[("acme", "declarations")] for c in "13"
    )
