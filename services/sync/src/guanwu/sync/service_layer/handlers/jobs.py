"""Sync jobs (数据同步, F-40/F-41/F-44) as commands and queries: ask for one (HTTP or SyncRequested), read
them, cancel one. The runner that reads the Single Window for them is `job_runner`.

A job asked through the API is written with its SyncRequested in the job's outbox (on sync.requests.v1, so
any system sees what was asked); sync consumes that topic too, and a SyncRequested whose job it knows is a
no-op, while one from elsewhere becomes a job in the envelope's tenant.

Choice, without a Single Window configured: the job is still written (the requester sees it) and fails at
once with NO_SINGLE_WINDOW, rather than staying queued until some sync with a Single Window comes: a
requester waiting on a progress bar learns at once why nothing happens.
"""

from __future__ import annotations

from collections.abc import Callable

from guanwu.contracts.envelope import Envelope
from guanwu.contracts.events import SyncRequested
from guanwu.contracts.events.base import Event
from guanwu.contracts.sync import SyncCriteria, SyncJobState, SyncKind
from guanwu.platform.clock import Clock
from guanwu.platform.ids import new_id
from guanwu.platform.store.port import ConcurrencyConflict
from guanwu.sync.domain.jobs import (
    NO_SINGLE_WINDOW,
    InvalidNumber,
    Step,
    SyncJob,
    cancel_asked,
    check_numbers,
    failed,
    job_record_id,
    request_event,
    requested,
)
from guanwu.sync.domain.synced import QuarantinedItem
from guanwu.sync.service_layer.job_observer import UNOBSERVED_JOBS, JobObserver
from guanwu.sync.service_layer.unit_of_work import SyncUnitOfWork

new_job_id = new_id
Wakeup = Callable[[], None]


def _unless_connected(step: Step, connected: bool, observer: JobObserver) -> Step:
    if connected:
        return step
    job, events = step
    stopped = failed(job, "no_single_window", NO_SINGLE_WINDOW, job.updated_at)
    assert stopped is not None
    observer.job_ended(job.kind, "failed")
    return stopped[0], [*events, *stopped[1]]


async def request_sync(
    criteria: SyncCriteria,
    *,
    tenant: str,
    requested_by: str,
    uow: SyncUnitOfWork,
    clock: Clock,
    connected: bool,
    wakeup: Wakeup = lambda: None,
    observer: JobObserver = UNOBSERVED_JOBS,
) -> SyncJob:
    """A new job (queued), announced by SyncRequested. InvalidNumber when a 统一编号/清单编号 has a wrong form."""
    check_numbers(criteria)
    now = clock()
    job = requested(
        tenant,
        new_job_id(),
        criteria,
        requested_by=requested_by,
        requested_at=now,
        correlation_id=new_id(),
        now=now,
    )
    job, events = _unless_connected((job, [request_event(job)]), connected, observer)
    async with uow:
        uow.jobs.add(job, events)
        await uow.commit()
    wakeup()
    return job


async def take_sync_request(
    envelope: Envelope,
    event: Event,
    *,
    uow: SyncUnitOfWork,
    clock: Clock,
    connected: bool,
    wakeup: Wakeup = lambda: None,
    observer: JobObserver = UNOBSERVED_JOBS,
) -> None:
    """A SyncRequested from anywhere: a job it does not know becomes one (a known one, e.g. the API's own, is
    a no-op). Numbers of a wrong form fail the job at once with the reason, so the requester sees why."""
    assert isinstance(event, SyncRequested)
    tenant = envelope.tenant
    if await uow.jobs.get(tenant, job_record_id(tenant, event.job_id)) is not None:
        return
    now = clock()
    job = requested(
        tenant,
        event.job_id,
        event.criteria,
        requested_by=event.requested_by,
        requested_at=event.requested_at,
        correlation_id=envelope.correlationid,
        now=now,
    )
    step: Step = (job, [])
    try:
        check_numbers(event.criteria)
    except InvalidNumber as exc:
        refused = failed(job, "invalid_request", f"{exc.message_zh} / {exc.message_en}", now)
        assert refused is not None
        observer.job_ended(job.kind, "failed")
        step = refused
    else:
        step = _unless_connected(step, connected, observer)
    async with uow:
        uow.jobs.add(step[0], step[1], once=True)
        await uow.commit()
    wakeup()


async def job_of(job_id: str, *, tenant: str, uow: SyncUnitOfWork) -> SyncJob:
    """The tenant's job; NotFound (404) for an unknown one, also when another tenant has that id."""
    return await uow.jobs.load(tenant, job_record_id(tenant, job_id))


async def jobs_of(
    tenant: str,
    *,
    state: SyncJobState | None,
    kind: SyncKind | None,
    skip: int,
    limit: int,
    uow: SyncUnitOfWork,
) -> tuple[int, list[SyncJob]]:
    return await uow.jobs.search(tenant, state=state, kind=kind, skip=skip, limit=limit)


async def quarantine_of(
    job_id: str, *, tenant: str, skip: int, limit: int, uow: SyncUnitOfWork
) -> tuple[int, list[QuarantinedItem]]:
    """The items a job could not read, in the order it met them."""
    await job_of(job_id, tenant=tenant, uow=uow)
    return await uow.quarantine.of_job(tenant, job_id, skip=skip, limit=limit)


async def cancel_job(
    job_id: str,
    *,
    tenant: str,
    cancelled_by: str,
    uow: SyncUnitOfWork,
    clock: Clock,
    write_attempts: int,
    observer: JobObserver = UNOBSERVED_JOBS,
) -> SyncJob:
    """A queued job (or one nobody runs) is cancelled now; a running one stops after its page. JobFinished
    (409) when it completed or failed. Its runner writes every page: a write that met its write is redone."""
    for attempt in range(write_attempts):
        job = await job_of(job_id, tenant=tenant, uow=uow)
        step = cancel_asked(job, cancelled_by, clock())
        if step is None:
            return job
        changed, events = step
        try:
            async with uow:
                uow.jobs.save(changed, events)
                await uow.commit()
        except ConcurrencyConflict:
            if attempt == write_attempts - 1:
                raise
            continue
        if changed.state == "cancelled":
            observer.job_ended(changed.kind, "cancelled")
        return changed
    raise AssertionError("unreachable")  # pragma: no cover
