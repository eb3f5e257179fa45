"""Sync jobs on FerretDB (the distributed store): the runner's queries (claimable jobs by state and lease, the
kept records by id, the tenant's jobs by kind) and conditional writes behave as on the embedded stores."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import Any

import httpx
import pymongo
import pytest
from pydantic import TypeAdapter

from guanwu.contracts.sync import SyncCounts, SyncCriteria
from guanwu.platform.store.mongo import MongoDocumentStore
from guanwu.sync.adapters.single_window_query import HttpSingleWindowQuery, Tries, rate_limiter
from guanwu.sync.domain.jobs import SyncJob
from guanwu.sync.service_layer.handlers.job_runner import Runner, claim_jobs, next_page, run_job
from guanwu.sync.service_layer.handlers.jobs import job_of, jobs_of, request_sync
from guanwu.sync.service_layer.unit_of_work import SyncUnitOfWork

from ..unit.jobs_support import BY_DAY, FakeSingleWindow, upstream

START = datetime(2026, 11, 30, 8, tzinfo=UTC)


def unnoticed(
    collection: str | None = None, doc_id: str | None = None, written: dict[str, Any] | None = None
) -> None:
    return None


@pytest.fixture
async def store(mongo_url: str) -> AsyncIterator[MongoDocumentStore]:
    name = f"guanwu_sync_{uuid.uuid4().hex[:8]}"
    store = MongoDocumentStore(mongo_url, name)
    yield store
    await store.close()
    client: pymongo.MongoClient[dict[str, Any]] = pymongo.MongoClient(mongo_url)
    with client:
        client.drop_database(name)


class Clock:
    now = START

    def __call__(self) -> datetime:
        return self.now


def runner(store: MongoDocumentStore, fake: FakeSingleWindow, clock: Clock, owner: str) -> Runner:
    client = httpx.AsyncClient(base_url="http://single-window", transport=upstream(fake))
    return Runner(
        owner=owner,
        new_uow=partial(SyncUnitOfWork, store, unnoticed),
        query=HttpSingleWindowQuery(client, limiter=rate_limiter(1000), tries=Tries(3, 0.001, 0.002)),
        clock=clock,
        page_size=5,
        lease_seconds=60,
        payload_max_chars=4096,
        write_attempts=5,
    )


async def ask(store: MongoDocumentStore, clock: Clock) -> SyncJob:
    criteria: Any = TypeAdapter(SyncCriteria).validate_python(BY_DAY)
    uow = SyncUnitOfWork(store, unnoticed)
    return await request_sync(
        criteria, tenant="acme", requested_by="u1", uow=uow, clock=clock, connected=True
    )


async def synced_events(store: MongoDocumentStore) -> list[str]:
    docs = await store.collection("sync_records").find({})
    return [entry["envelope"]["data"]["seq_no"] for doc in docs for entry in doc.get("_outbox", [])]


async def test_a_job_taken_over_after_its_lease_resumes_and_writes_each_record_once(
    store: MongoDocumentStore,
) -> None:
    fake, clock = FakeSingleWindow(), Clock()
    fake.seed("acme", "declarations", 12)
    uow = SyncUnitOfWork(store, unnoticed)
    for repository in (uow.jobs, uow.quarantine):
        await repository.ensure_indexes()
    job = await ask(store, clock)
    first = runner(store, fake, clock, "first")
    [claimed] = await claim_jobs(first, 5)
    after_one = await next_page(claimed, first)
    assert after_one is not None and after_one.counts.pages == 1
    second = runner(store, fake, clock, "second")
    assert await claim_jobs(second, 5) == []
    clock.now = START + timedelta(seconds=61)
    [resumed] = await claim_jobs(second, 5)
    assert resumed.runs == 2 and resumed.cursor == after_one.cursor
    await run_job(resumed, second)
    assert await next_page(after_one, first) is None
    done = await job_of(job.job_id, tenant="acme", uow=uow)
    assert done.state == "completed" and done.counts == SyncCounts(
        pages=3, fetched=12, written=12, expected=12
    )
    assert sorted(await synced_events(store)) == sorted(
        r.seq_no for r in fake.records[("acme", "declarations")]
    )
    again = await ask(store, clock)
    for claimed_again in await claim_jobs(second, 5):
        await run_job(claimed_again, second)
    assert (await job_of(again.job_id, tenant="acme", uow=uow)).counts.unchanged == 12
    assert len(await synced_events(store)) == 12
    total, listed = await jobs_of("acme", state="completed", kind="declarations", skip=0, limit=10, uow=uow)
    assert total == 2 and [j.job_id for j in listed] == [again.job_id, job.job_id]
    assert (await jobs_of("acme", state=None, kind="bonded_lists", skip=0, limit=10, uow=uow))[0] == 0
