"""A sync job (数据同步, F-44): one SyncRequested's question to the Single Window, read page by page.

States: queued → running → completed | failed | cancelled. A runner holds a running job by a lease
(`lease_owner`, `lease_until`), renewed with every page it writes; a job whose lease ran out (its runner died)
is claimable again and resumes from its `cursor` (SyncStarted with `resumed`). Cancelling a running job only
asks (`cancel_requested_by`): its runner stops between two pages; a queued one, or one nobody holds, is
cancelled at once.

The steps below are pure: each returns the next job (its `version` the next one) and the events that announce
it, or None when there is nothing to do. Event ids derive from the job and the version written, so a step
repeated after a lost write is the same event again.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from pydantic import BaseModel, Field

from guanwu.contracts.envelope import Envelope
from guanwu.contracts.events import (
    SyncCancelled,
    SyncCompleted,
    SyncFailed,
    SyncProgressed,
    SyncRequested,
    SyncStarted,
)
from guanwu.contracts.events.sync import SyncJobEvent
from guanwu.contracts.sync import (
    BondedListsByTicket,
    DeclarationsByTicket,
    SyncCounts,
    SyncCriteria,
    SyncJobState,
    SyncKind,
    SyncMode,
)
from guanwu.customs.identifiers import validate_bond_invt_no, validate_seq_no
from guanwu.platform.events import envelope_for
from guanwu.platform.ids import deterministic_id
from guanwu.platform.refusal import InvalidRequest, Noun, Refusal
from guanwu.sync.domain.records import Stamp

SOURCE = "/guanwu/sync"
FINAL: frozenset[SyncJobState] = frozenset({"completed", "failed", "cancelled"})
KEPT_ERRORS = 20
NO_SINGLE_WINDOW = "未配置单一窗口 no Single Window configured"
JOB = Noun("sync.job", "同步任务", "sync job")

Step = tuple["SyncJob", list[tuple[str, Envelope]]]


class JobError(BaseModel):
    """Why a job failed (code: `refused`, `unavailable`, `no_single_window`, `unexpected`)."""

    code: str
    message: str = Field(max_length=1000)
    at: Stamp


class SyncJob(BaseModel):
    tenant: str
    job_id: str
    criteria: SyncCriteria
    state: SyncJobState = "queued"
    requested_by: str
    requested_at: Stamp
    correlation_id: str
    counts: SyncCounts = SyncCounts()
    cursor: str | None = None
    runs: int = Field(default=0, description="How often a runner started (or resumed) it")
    lease_owner: str | None = None
    lease_until: Stamp | None = None
    cancel_requested_by: str | None = None
    errors: list[JobError] = Field(default_factory=list)
    created_at: Stamp
    updated_at: Stamp
    started_at: Stamp | None = None
    finished_at: Stamp | None = None
    version: int = 1

    @property
    def id(self) -> str:
        return job_record_id(self.tenant, self.job_id)

    @property
    def kind(self) -> SyncKind:
        return self.criteria.kind

    @property
    def mode(self) -> SyncMode:
        return self.criteria.mode

    @property
    def reason(self) -> str | None:
        """Why it failed (the last error of a failed job)."""
        return self.errors[-1].message if self.state == "failed" and self.errors else None


class JobFinished(Refusal):
    """Cancelling a job that already completed or failed."""

    def __init__(self, state: str) -> None:
        super().__init__(
            "sync.job_finished",
            f"同步任务已结束（{state}），不能取消",
            f"The sync job has ended ({state}) and cannot be cancelled",
            state=state,
        )


class InvalidNumber(InvalidRequest):
    """A 统一编号 or 清单编号 of the wrong form, said as the customs kernel's identifier rules say it."""

    def __init__(self, field: str, zh: str, en: str, position: int | None) -> None:
        super().__init__("sync.invalid_number", zh, en, field=field, position=position)


def job_record_id(tenant: str, job_id: str) -> str:
    """Job ids come from the requester (any outside system may send SyncRequested): the stored id is scoped
    to the tenant, so two tenants' equal ids are two jobs."""
    return deterministic_id("sync-job", tenant, job_id)


def check_numbers(criteria: SyncCriteria) -> None:
    """The numbers of a by-ticket question, checked with the kernel's identifier rules (the schema checked
    length and characters only): InvalidNumber names the field and the position."""
    if isinstance(criteria, DeclarationsByTicket):
        field, check = "seq_no", validate_seq_no(criteria.seq_no)
    elif isinstance(criteria, BondedListsByTicket):
        number = criteria.number
        field = "number"
        check = validate_bond_invt_no(number) if number.startswith("QD") else validate_seq_no(number)
    else:
        return
    if not check.ok:
        raise InvalidNumber(field, check.reason_zh, check.reason_en, check.position)


def _announce(job: SyncJob, event: SyncJobEvent) -> tuple[str, Envelope]:
    return envelope_for(
        event,
        source=SOURCE,
        tenant=job.tenant,
        correlation_id=job.correlation_id,
        event_id=deterministic_id("sync-job-event", job.id, event.event_type, str(job.version)),
    )


def _next(job: SyncJob, now: datetime, **changes: Any) -> SyncJob:
    return job.model_copy(update={**changes, "updated_at": now, "version": job.version + 1})


def requested(
    tenant: str,
    job_id: str,
    criteria: SyncCriteria,
    *,
    requested_by: str,
    requested_at: datetime,
    correlation_id: str,
    now: datetime,
) -> SyncJob:
    """A new queued job."""
    return SyncJob(
        tenant=tenant,
        job_id=job_id,
        criteria=criteria,
        requested_by=requested_by,
        requested_at=requested_at,
        correlation_id=correlation_id,
        created_at=now,
        updated_at=now,
    )


def request_event(job: SyncJob) -> tuple[str, Envelope]:
    """The SyncRequested a job asked through the API announces (on sync.requests.v1; the flow starts here)."""
    event = SyncRequested(
        job_id=job.job_id,
        requested_by=job.requested_by,
        requested_at=job.requested_at,
        criteria=job.criteria,
    )
    return envelope_for(
        event,
        source=SOURCE,
        tenant=job.tenant,
        correlation_id=job.correlation_id,
        event_id=job.correlation_id,
    )


def holds(job: SyncJob, owner: str) -> bool:
    return job.state == "running" and job.lease_owner == owner


def claimable(job: SyncJob, now: datetime) -> bool:
    """Queued, or running under a lease that ran out (its runner stopped)."""
    if job.state == "queued":
        return True
    return job.state == "running" and (job.lease_until is None or job.lease_until < now)


def claimed(job: SyncJob, owner: str, now: datetime, lease_seconds: float) -> Step | None:
    """`owner` runs the job from its cursor; None when it is not claimable. A job someone asked to cancel
    meanwhile is cancelled instead."""
    if not claimable(job, now):
        return None
    if job.cancel_requested_by is not None:
        return cancelled(job, now)
    running = _next(
        job,
        now,
        state="running",
        runs=job.runs + 1,
        lease_owner=owner,
        lease_until=now + timedelta(seconds=lease_seconds),
        started_at=job.started_at or now,
    )
    started = SyncStarted(
        job_id=job.job_id, kind=job.kind, mode=job.mode, started_at=now, resumed=job.runs > 0
    )
    return running, [_announce(running, started)]


def added(counts: SyncCounts, page: SyncCounts) -> SyncCounts:
    """`counts` after one more page; `expected` is the Single Window's latest word."""
    return SyncCounts(
        pages=counts.pages + page.pages,
        fetched=counts.fetched + page.fetched,
        written=counts.written + page.written,
        unchanged=counts.unchanged + page.unchanged,
        quarantined=counts.quarantined + page.quarantined,
        expected=page.expected if page.expected is not None else counts.expected,
    )


def page_written(
    job: SyncJob, page: SyncCounts, cursor: str | None, now: datetime, lease_seconds: float
) -> Step:
    """One more page is stored: counts and cursor move on, the lease is renewed. No cursor after it: the
    job completed."""
    counts = added(job.counts, page)
    if cursor is None:
        done = _next(
            job, now, state="completed", counts=counts, lease_owner=None, lease_until=None, finished_at=now
        )
        progressed = SyncProgressed(job_id=job.job_id, counts=counts, cursor=None, at=now)
        completed = SyncCompleted(job_id=job.job_id, counts=counts, completed_at=now)
        return done, [_announce(done, progressed), _announce(done, completed)]
    moved = _next(job, now, counts=counts, cursor=cursor, lease_until=now + timedelta(seconds=lease_seconds))
    progressed = SyncProgressed(job_id=job.job_id, counts=counts, cursor=cursor[:512], at=now)
    return moved, [_announce(moved, progressed)]


def failed(job: SyncJob, code: str, reason: str, now: datetime) -> Step | None:
    """Stopped without reading everything (what was written stays); None when it had ended already."""
    if job.state in FINAL:
        return None
    error = JobError(code=code, message=reason[:1000], at=now)
    errors = [*job.errors, error][-KEPT_ERRORS:]
    stopped = _next(
        job, now, state="failed", errors=errors, lease_owner=None, lease_until=None, finished_at=now
    )
    event = SyncFailed(job_id=job.job_id, reason=error.message, counts=job.counts, failed_at=now)
    return stopped, [_announce(stopped, event)]


def cancelled(job: SyncJob, now: datetime, by: str | None = None) -> Step:
    """Stopped on request (by whoever asked first)."""
    who = job.cancel_requested_by or by or "unknown"
    stopped = _next(
        job,
        now,
        state="cancelled",
        cancel_requested_by=who,
        lease_owner=None,
        lease_until=None,
        finished_at=now,
    )
    event = SyncCancelled(job_id=job.job_id, cancelled_by=who, counts=job.counts, cancelled_at=now)
    return stopped, [_announce(stopped, event)]


def cancel_asked(job: SyncJob, by: str, now: datetime) -> Step | None:
    """A queued job, or one nobody runs, is cancelled at once; a running one is asked to stop after its page.
    None when there is nothing to change (cancelled, or asked, already); JobFinished for an ended one."""
    if job.state == "cancelled" or (job.state == "running" and job.cancel_requested_by is not None):
        return None
    if job.state in FINAL:
        raise JobFinished(job.state)
    if claimable(job, now):
        return cancelled(job, now, by)
    return _next(job, now, cancel_requested_by=by), []
