"""The runner of sync jobs: claims a job by its lease and reads the Single Window for it page by page.

Each page: the job is read again (a cancel asked meanwhile stops it here; a lease another runner took over
ends this run), the next page is asked for after the job's cursor, its records are written (each new or
changed one with its event, the unreadable ones quarantined), then the job with its counts, cursor, renewed
lease and SyncProgressed. The store has no transactions across documents, so the records go first: a crash
between the two writes leaves the cursor before records already written, and the page read again finds
them written by this job (counted, not announced again).

Failures: the Single Window refusing the question (4xx) or not answering after the client's tries fail the
job with the reason (SyncFailed). Anything else (the store) ends the run without touching the job: its lease
runs out and a runner takes it up again from its cursor.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from dataclasses import dataclass, replace

import structlog

from guanwu.contracts.sync import SyncCounts
from guanwu.platform.clock import Clock
from guanwu.platform.store.port import ConcurrencyConflict
from guanwu.sync.domain.jobs import (
    NO_SINGLE_WINDOW,
    Step,
    SyncJob,
    cancelled,
    claimed,
    failed,
    holds,
    page_written,
)
from guanwu.sync.domain.query import QueryPage, QueryRefused, QueryUnavailable, SingleWindowQuery
from guanwu.sync.domain.single_window import SingleWindowAbsent
from guanwu.sync.domain.synced import PageOf, SortedPage, enterprise_category_of, sort_page
from guanwu.sync.service_layer.job_observer import UNOBSERVED_JOBS, JobObserver
from guanwu.sync.service_layer.unit_of_work import SyncUnitOfWork

log = structlog.get_logger(__name__)


class JobWakeup:
    """Tells an idle runner loop to look for jobs now (one was asked for, or one ended) instead of at its
    next poll."""

    def __init__(self) -> None:
        self._event = asyncio.Event()

    def __call__(self) -> None:
        self._event.set()

    async def wait(self, seconds: float) -> None:
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(seconds):
                await self._event.wait()
        self._event.clear()


@dataclass(frozen=True)
class Runner:
    """One process's runner: who it is (`owner` of the leases it takes) and what it works with."""

    owner: str
    new_uow: Callable[[], SyncUnitOfWork]
    query: SingleWindowQuery
    clock: Clock
    page_size: int
    lease_seconds: float
    payload_max_chars: int
    write_attempts: int
    observer: JobObserver = UNOBSERVED_JOBS


class PageNotWritten(Exception):
    """The page's records met concurrent writes every time they were tried."""


def lease_token(runner: Runner, job: SyncJob) -> str:
    """The lease owner of one claim: the runner and the claim's number. A runner whose lease ran out while it
    was still working (a slow page) and that then claims the job again must not keep writing under the old
    claim beside the new one, so every claim holds the job under a name of its own."""
    return f"{runner.owner}#{job.runs + 1}"


async def claim_jobs(runner: Runner, limit: int) -> list[SyncJob]:
    """Take up to `limit` jobs (queued ones, or ones whose runner's lease ran out), announcing SyncStarted; a
    job another runner took first is skipped, one someone asked to cancel is cancelled. Each job taken holds
    its claim's lease token in `lease_owner`; `run_job` works under it."""
    uow = runner.new_uow()
    taken: list[SyncJob] = []
    for job in await uow.jobs.claimable(runner.clock(), limit):
        step = claimed(job, lease_token(runner, job), runner.clock(), runner.lease_seconds)
        if step is None or not await _saved(uow, step):
            continue
        if step[0].state == "cancelled":
            runner.observer.job_ended(job.kind, "cancelled")
            continue
        taken.append(step[0])
        log.info("sync.job_started", job_id=job.job_id, tenant=job.tenant, resumed=job.runs > 0)
    return taken


async def _saved(uow: SyncUnitOfWork, step: Step) -> bool:
    """False when someone else changed the job first."""
    try:
        async with uow:
            uow.jobs.save(*step)
            await uow.commit()
    except ConcurrencyConflict:
        return False
    return True


async def run_job(job: SyncJob, runner: Runner) -> None:
    """Read pages of a job `claim_jobs` took, until it ends or its claim no longer holds it."""
    runner.observer.jobs_running(1)
    try:
        current: SyncJob | None = job
        while current is not None and current.state == "running":
            current = await next_page(current, runner)
    finally:
        runner.observer.jobs_running(-1)


async def next_page(job: SyncJob, runner: Runner) -> SyncJob | None:
    """One page of the job: the job after it, or None when its claim (`job.lease_owner`) no longer holds it."""
    runner = replace(runner, owner=job.lease_owner or runner.owner)
    uow = runner.new_uow()
    current = await uow.jobs.get(job.tenant, job.id)
    if current is None or not holds(current, runner.owner):
        log.info("sync.job_taken_over", job_id=job.job_id)
        return None
    if current.cancel_requested_by is not None:
        await _end(runner, current, lambda j: cancelled(j, runner.clock()))
        return None
    try:
        page = await runner.query.query(current.tenant, current.criteria, current.cursor, runner.page_size)
    except (QueryRefused, QueryUnavailable, SingleWindowAbsent) as exc:
        code, reason = _failure(exc)
        await _end(runner, current, lambda j: failed(j, code, reason, runner.clock()))
        return None
    if page.next_cursor is not None and page.next_cursor == current.cursor:
        reason = f"单一窗口分页位置未前进 the Single Window's cursor did not move ({page.next_cursor[:100]})"
        await _end(runner, current, lambda j: failed(j, "unavailable", reason, runner.clock()))
        return None
    written = await write_records(current, page, runner)
    for outcome, count in written.outcomes.items():
        if count:
            runner.observer.records_read(current.kind, outcome, count)
    return await _advance(current, written.counts(page.total), page.next_cursor, runner)


def _failure(exc: Exception) -> tuple[str, str]:
    if isinstance(exc, QueryRefused):
        return "refused", str(exc)
    if isinstance(exc, QueryUnavailable):
        return "unavailable", str(exc)
    return "no_single_window", NO_SINGLE_WINDOW


async def write_records(job: SyncJob, page: QueryPage, runner: Runner) -> SortedPage:
    """Store the page's records (with their events) and quarantined items; sorted again when another job
    wrote one of the same records meanwhile, so each record is written, and announced, once."""
    seq_nos = [str(item["seq_no"]) for item in page.items if isinstance(item, dict) and "seq_no" in item]
    for _ in range(runner.write_attempts):
        uow = runner.new_uow()
        kept = await uow.synced.kept(job.tenant, job.kind, seq_nos)
        of = PageOf(
            job.tenant,
            job.kind,
            job.job_id,
            job.correlation_id,
            runner.clock(),
            runner.payload_max_chars,
            enterprise_category_of(job.criteria),
        )
        # Reading the XML is CPU work: a thread keeps the event loop answering meanwhile.
        sorted_page = await asyncio.to_thread(sort_page, of, page.items, kept)
        async with uow:
            inserts = [uow.synced.add(record, events, once=True) for record, events in sorted_page.new]
            for record, events in sorted_page.changed:
                uow.synced.save(record, events)
            for item in sorted_page.quarantined:
                uow.quarantine.add(item, once=True)
            try:
                await uow.commit()
            except ConcurrencyConflict:
                continue
        if all(write.stored for write in inserts):
            return sorted_page
    raise PageNotWritten(f"job {job.job_id}: page after {job.cursor!r} met concurrent writes every time")


async def _advance(job: SyncJob, counts: SyncCounts, cursor: str | None, runner: Runner) -> SyncJob | None:
    """The job after its page; read again when a cancel was asked meanwhile (the next page sees it)."""
    current = job
    for _ in range(runner.write_attempts):
        step = page_written(current, counts, cursor, runner.clock(), runner.lease_seconds)
        if await _saved(runner.new_uow(), step):
            if step[0].state == "completed":
                runner.observer.job_ended(job.kind, "completed")
                log.info("sync.job_completed", job_id=job.job_id, **step[0].counts.model_dump())
            return step[0]
        reread = await runner.new_uow().jobs.get(job.tenant, job.id)
        if reread is None or not holds(reread, runner.owner):
            return None
        current = reread
    return None


async def _end(runner: Runner, job: SyncJob, finish: Callable[[SyncJob], Step | None]) -> None:
    """Write a job's last step (failed, cancelled), on the job as it is now when another writer (a cancel)
    changed it meanwhile; a job this runner no longer holds is left to whoever does."""
    current: SyncJob | None = job
    for _ in range(runner.write_attempts):
        if current is None or not holds(current, runner.owner):
            return None
        step = finish(current)
        if step is None:
            return None
        if await _saved(runner.new_uow(), step):
            ended = step[0]
            runner.observer.job_ended(ended.kind, "failed" if ended.state == "failed" else "cancelled")
            log.info("sync.job_ended", job_id=ended.job_id, state=ended.state, reason=ended.reason)
            return None
        current = await runner.new_uow().jobs.get(job.tenant, job.id)
    return None
