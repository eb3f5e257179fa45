"""Sync's background loops (run only when a Single Window is configured): the receipt poller, the
resend sweep and the sync job runner."""

from __future__ import annotations

import asyncio

import structlog

from guanwu.platform.store.port import ConcurrencyConflict
from guanwu.platform.tasks import cancel_and_wait
from guanwu.sync.domain.jobs import SyncJob
from guanwu.sync.service_layer.context import SyncContext
from guanwu.sync.service_layer.handlers.declare import resend_ready
from guanwu.sync.service_layer.handlers.job_runner import Runner, claim_jobs, run_job
from guanwu.sync.service_layer.handlers.receipts import read_receipts

log = structlog.get_logger(__name__)


async def poll_forever(context: SyncContext) -> None:
    """Each round reads the tenants again, so one that appears is polled from the next round on."""
    settings = context.settings
    while True:
        busy = False
        for tenant in await context.tenants.all(uow=context.new_uow()):
            ok = True
            try:
                read = await read_receipts(
                    tenant,
                    uow=context.new_uow(),
                    single_window=context.single_window,
                    limit=settings.receipt_page_size,
                    observer=context.observer,
                )
                busy |= read > 0
            except ConcurrencyConflict:
                busy = True  # another poller moved the cursor (the receipts are kept): read again
            except Exception as exc:  # the Single Window is an outside system: keep polling
                ok = False
                log.warning("receipt poll failed", tenant=tenant, error=f"{type(exc).__name__}: {exc}")
            context.observer.job_ran("receipt_poll", ok=ok)
        if not busy:
            await asyncio.sleep(settings.poll_interval_seconds)


async def resend_once(context: SyncContext, *, min_age_seconds: float) -> int:
    """One sweep over the complete records left unsent for `min_age_seconds`; how many were sent or refused."""
    return await resend_ready(
        uow=context.new_uow(),
        clock=context.clock,
        single_window=context.single_window,
        write_attempts=context.settings.write_attempts,
        min_age_seconds=min_age_seconds,
        limit=context.settings.resend_batch_size,
        observer=context.observer,
    )


async def resend_forever(context: SyncContext) -> None:
    interval = context.settings.resend_interval_seconds
    while True:
        await resend_once(context, min_age_seconds=interval)
        await asyncio.sleep(interval)


def runner_of(context: SyncContext) -> Runner:
    settings = context.settings
    return Runner(
        owner=context.runner_id,
        new_uow=context.new_uow,
        query=context.query,
        clock=context.clock,
        page_size=settings.job_page_size,
        lease_seconds=settings.job_lease_seconds,
        payload_max_chars=settings.quarantine_payload_max_chars,
        write_attempts=settings.write_attempts,
        observer=context.job_observer,
    )


async def run_jobs_forever(context: SyncContext) -> None:
    """Sync jobs (数据同步): up to `max_concurrent_jobs` at a time, each in its own task. Looks for jobs every
    `job_poll_interval_seconds`, and at once when one is asked for in this process or one of its jobs ends.
    Stopping the process leaves its jobs running under their leases: they resume once those run out."""
    runner = runner_of(context)
    settings = context.settings
    running: set[asyncio.Task[None]] = set()

    def ended(task: asyncio.Task[None]) -> None:
        running.discard(task)
        context.job_wakeup()

    try:
        while True:
            free = settings.max_concurrent_jobs - len(running)
            if free > 0:
                for job in await _claimed(runner, free):
                    task = asyncio.create_task(_run(job, runner), name=f"sync-job-{job.job_id}")
                    running.add(task)
                    task.add_done_callback(ended)
            await context.job_wakeup.wait(settings.job_poll_interval_seconds)
    finally:
        await cancel_and_wait(running)


async def _claimed(runner: Runner, limit: int) -> list[SyncJob]:
    try:
        return await claim_jobs(runner, limit)
    except Exception as exc:  # the store did not answer: the next round tries again
        log.warning("sync jobs could not be claimed", error=f"{type(exc).__name__}: {exc}")
        return []


async def _run(job: SyncJob, runner: Runner) -> None:
    try:
        await run_job(job, runner)
    except Exception as exc:  # not the Single Window (that fails the job): the lease runs out, it resumes
        log.warning("sync job interrupted", job_id=job.job_id, error=f"{type(exc).__name__}: {exc}")
