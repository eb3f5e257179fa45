"""The sync job runner against a fake Single Window: each record written and announced once, the same question
asked twice announces nothing new, a crash between pages resumes from the cursor with the counts of a clean
run, cancel stops between pages, failures fail the job with the reason, and a lease taken over ends a run."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from functools import partial
from typing import Any

import httpx
import pytest
from pydantic import TypeAdapter

from guanwu.contracts.events import (
    DeclarationSynced,
    SyncCancelled,
    SyncCompleted,
    SyncFailed,
    SyncProgressed,
    SyncStarted,
)
from guanwu.contracts.sync import SyncCounts, SyncCriteria
from guanwu.platform.store.memory import MemoryCollection, MemoryDocumentStore
from guanwu.platform.store.port import Document
from guanwu.sync.adapters.single_window_query import HttpSingleWindowQuery, Tries, rate_limiter
from guanwu.sync.domain.jobs import SyncJob
from guanwu.sync.service_layer.handlers.job_runner import Runner, claim_jobs, next_page, run_job
from guanwu.sync.service_layer.handlers.jobs import cancel_job, job_of, request_sync
from guanwu.sync.service_layer.unit_of_work import SyncUnitOfWork

from .jobs_support import BY_DAY, FakeSingleWindow, upstream

START = datetime(2026, 11, 30, 8, tzinfo=UTC)


class Clock:
    def __init__(self) -> None:
        self.now = START

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


class CrashingJobs(MemoryCollection):
    """Dies (as the process would) on the job write after `pages_before_crash` pages."""

    pages_before_crash: int | None = None

    async def replace_keeping_outbox(self, doc: Document, *, expected_version: int) -> Document:
        crash = self.pages_before_crash
        if crash is not None and doc.get("cursor") is not None and doc["counts"]["pages"] > crash:
            self.pages_before_crash = None
            raise RuntimeError("killed between the records and the job")
        return await super().replace_keeping_outbox(doc, expected_version=expected_version)


class Store(MemoryDocumentStore):
    def __init__(self) -> None:
        super().__init__()
        self._collections["sync_jobs"] = CrashingJobs("sync_jobs")

    @property
    def jobs(self) -> CrashingJobs:
        jobs = self._collections["sync_jobs"]
        assert isinstance(jobs, CrashingJobs)
        return jobs

    async def events(self, collection: str, event_type: str) -> list[dict[str, Any]]:
        """Every event ever staged in the collection's outboxes (no relay runs here, so none is removed)."""
        docs = await self.collection(collection).find({})
        return [
            entry["envelope"]
            for doc in docs
            for entry in doc.get("_outbox", [])
            if entry["envelope"]["type"] == event_type
        ]


def unnoticed(
    collection: str | None = None, doc_id: str | None = None, written: dict[str, Any] | None = None
) -> None:
    """No relay here: the events stay in the outboxes, where the tests count them."""


def make_runner(store: Store, fake: FakeSingleWindow, clock: Clock, owner: str = "r1") -> Runner:
    client = httpx.AsyncClient(base_url="http://single-window", transport=upstream(fake))
    query = HttpSingleWindowQuery(client, limiter=rate_limiter(1000), tries=Tries(3, 0.001, 0.002))
    return Runner(
        owner=owner,
        new_uow=partial(SyncUnitOfWork, store, unnoticed),
        query=query,
        clock=clock,
        page_size=5,
        lease_seconds=60,
        payload_max_chars=4096,
        write_attempts=5,
    )


async def ask(store: Store, clock: Clock, criteria: dict[str, Any] = BY_DAY, tenant: str = "acme") -> SyncJob:
    parsed: Any = TypeAdapter(SyncCriteria).validate_python(criteria)
    return await request_sync(
        parsed,
        tenant=tenant,
        requested_by="u1",
        uow=SyncUnitOfWork(store, unnoticed),
        clock=clock,
        connected=True,
    )


async def run_all(runner: Runner) -> None:
    for job in await claim_jobs(runner, 10):
        await run_job(job, runner)


async def current(store: Store, job: SyncJob) -> SyncJob:
    return await job_of(job.job_id, tenant=job.tenant, uow=SyncUnitOfWork(store, unnoticed))


@pytest.fixture
def fake() -> FakeSingleWindow:
    single_window = FakeSingleWindow()
    single_window.seed("acme", "declarations", 12)
    return single_window


async def test_a_job_writes_each_record_once_and_announces_it(fake: FakeSingleWindow) -> None:
    store, clock = Store(), Clock()
    job = await ask(store, clock)
    await run_all(make_runner(store, fake, clock))
    done = await current(store, job)
    assert done.state == "completed" and done.runs == 1
    assert done.counts == SyncCounts(pages=3, fetched=12, written=12, expected=12)
    synced = await store.events("sync_records", DeclarationSynced.event_type)
    assert sorted(e["data"]["seq_no"] for e in synced) == sorted(
        r.seq_no for r in fake.records[("acme", "declarations")]
    )
    types = [
        entry["envelope"]["type"]
        for doc in await store.collection("sync_jobs").find({})
        for entry in doc["_outbox"]
    ]
    assert types[0].endswith("SyncRequested.v1") and types[1] == SyncStarted.event_type
    assert types.count(SyncProgressed.event_type) == 3 and types[-1] == SyncCompleted.event_type


async def test_the_same_question_again_announces_nothing_new_and_a_touched_record_once(
    fake: FakeSingleWindow,
) -> None:
    store, clock = Store(), Clock()
    await ask(store, clock)
    await run_all(make_runner(store, fake, clock))
    again = await ask(store, clock)
    await run_all(make_runner(store, fake, clock))
    assert (await current(store, again)).counts == SyncCounts(pages=3, fetched=12, unchanged=12, expected=12)
    assert len(await store.events("sync_records", DeclarationSynced.event_type)) == 12
    fake.touch("acme", "declarations", 2)
    third = await ask(store, clock)
    await run_all(make_runner(store, fake, clock))
    assert (await current(store, third)).counts.written == 2
    versions = [
        e["data"]["sw_version"] for e in await store.events("sync_records", DeclarationSynced.event_type)
    ]
    assert sorted(versions) == [1] * 12 + [2, 2]


async def test_a_crash_between_pages_resumes_from_the_cursor_with_the_counts_of_a_clean_run(
    fake: FakeSingleWindow,
) -> None:
    store, clock = Store(), Clock()
    job = await ask(store, clock)
    store.jobs.pages_before_crash = 1  # page 2's records are written, its job write is not
    first = make_runner(store, fake, clock, owner="dies")
    [claimed] = await claim_jobs(first, 10)
    with pytest.raises(RuntimeError, match="killed"):
        await run_job(claimed, first)
    stopped = await current(store, job)
    assert stopped.state == "running" and stopped.counts.pages == 1 and stopped.cursor is not None
    survivor = make_runner(store, fake, clock, owner="survivor")
    assert await claim_jobs(survivor, 10) == []  # the dead runner's lease still holds
    clock.advance(61)
    queries_before = len(fake.queries)
    await run_all(survivor)
    done = await current(store, job)
    assert done.state == "completed" and done.runs == 2
    assert done.counts == SyncCounts(pages=3, fetched=12, written=12, expected=12)
    assert "cursor" in fake.queries[queries_before]  # resumed after page 1, not from the start
    synced = await store.events("sync_records", DeclarationSynced.event_type)
    assert len(synced) == 12 and len({e["data"]["seq_no"] for e in synced}) == 12
    started = [
        SyncStarted.model_validate(e["data"]) for e in await store.events("sync_jobs", SyncStarted.event_type)
    ]
    assert [s.resumed for s in started] == [False, True]


async def test_cancel_is_seen_between_pages(fake: FakeSingleWindow) -> None:
    store, clock = Store(), Clock()
    job = await ask(store, clock)
    runner = make_runner(store, fake, clock)
    [claimed] = await claim_jobs(runner, 10)
    after_one = await next_page(claimed, runner)
    assert after_one is not None and after_one.counts.pages == 1
    asked = await cancel_job(
        job.job_id,
        tenant="acme",
        cancelled_by="boss",
        uow=SyncUnitOfWork(store, unnoticed),
        clock=clock,
        write_attempts=3,
    )
    assert asked.state == "running" and asked.cancel_requested_by == "boss"
    assert await next_page(after_one, runner) is None
    done = await current(store, job)
    assert done.state == "cancelled" and done.counts.pages == 1
    [cancelled] = await store.events("sync_jobs", SyncCancelled.event_type)
    assert cancelled["data"]["cancelled_by"] == "boss" and cancelled["data"]["counts"]["fetched"] == 5
    assert len(await store.events("sync_records", DeclarationSynced.event_type)) == 5


async def test_a_refusal_fails_the_job_at_once_with_the_single_windows_message(
    fake: FakeSingleWindow,
) -> None:
    store, clock = Store(), Clock()
    fake.refuse = (400, "updated_to: 超出范围 out of range")
    job = await ask(store, clock)
    await run_all(make_runner(store, fake, clock))
    done = await current(store, job)
    assert done.state == "failed" and done.errors[-1].code == "refused"
    assert done.reason is not None and "超出范围 out of range" in done.reason and "400" in done.reason
    assert len(fake.queries) == 1  # not tried again
    [failed] = await store.events("sync_jobs", SyncFailed.event_type)
    assert "out of range" in failed["data"]["reason"]


async def test_an_unanswering_single_window_fails_the_job_after_the_tries(fake: FakeSingleWindow) -> None:
    store, clock = Store(), Clock()
    fake.fail_next = 100
    job = await ask(store, clock)
    await run_all(make_runner(store, fake, clock))
    done = await current(store, job)
    assert done.state == "failed" and done.errors[-1].code == "unavailable"
    assert done.reason is not None and "3 tries" in done.reason and "503" in done.reason
    assert len(fake.queries) == 3


async def test_failures_fewer_than_the_tries_are_ridden_out(fake: FakeSingleWindow) -> None:
    store, clock = Store(), Clock()
    fake.fail_next = 2
    job = await ask(store, clock)
    await run_all(make_runner(store, fake, clock))
    assert (await current(store, job)).counts.written == 12
    assert len(fake.queries) == 3 + 2


async def test_a_runner_whose_lease_was_taken_over_stops_and_the_pages_are_not_doubled(
    fake: FakeSingleWindow,
) -> None:
    store, clock = Store(), Clock()
    job = await ask(store, clock)
    slow = make_runner(store, fake, clock, owner="slow")
    [claimed] = await claim_jobs(slow, 10)
    page_one = await next_page(claimed, slow)
    assert page_one is not None
    clock.advance(61)
    other = make_runner(store, fake, clock, owner="other")
    await run_all(other)
    assert await next_page(page_one, slow) is None  # it is not slow's any more
    done = await current(store, job)
    assert done.state == "completed" and done.counts.written == 12 and done.counts.pages == 3
    assert len(await store.events("sync_records", DeclarationSynced.event_type)) == 12


async def test_a_runner_that_claims_its_own_job_again_stops_the_older_claim(fake: FakeSingleWindow) -> None:
    # The lease ran out while this process was still on a slow page, and its own loop claimed the job again:
    # the older claim must stop instead of advancing the counts beside the new one.
    store, clock = Store(), Clock()
    job = await ask(store, clock)
    runner = make_runner(store, fake, clock, owner="same-process")
    [first_claim] = await claim_jobs(runner, 10)
    page_one = await next_page(first_claim, runner)
    assert page_one is not None
    clock.advance(61)
    [second_claim] = await claim_jobs(runner, 10)
    assert second_claim.lease_owner != first_claim.lease_owner
    assert await next_page(page_one, runner) is None
    await run_job(second_claim, runner)
    done = await current(store, job)
    assert done.state == "completed" and done.runs == 2
    assert done.counts.fetched == 12 and done.counts.written == 12 and done.counts.pages == 3


async def test_tenants_are_kept_apart(fake: FakeSingleWindow) -> None:
    store, clock = Store(), Clock()
    fake.seed("other", "declarations", 3, start=1)  # the same 统一编号 in another enterprise
    mine, theirs = await ask(store, clock), await ask(store, clock, tenant="other")
    await run_all(make_runner(store, fake, clock))
    assert (await current(store, mine)).counts.written == 12
    assert (await current(store, theirs)).counts.written == 3
    tenants = [e["tenant"] for e in await store.events("sync_records", DeclarationSynced.event_type)]
    assert tenants.count("other") == 3 and tenants.count("acme") == 12
    assert {q["enterprise"] for q in fake.queries} == {"acme", "other"}
