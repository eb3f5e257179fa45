"""HTTP API of sync jobs (数据同步: 报关数据同步 F-40, 核注清单数据同步 F-41, jobs F-44) under /api/sync/jobs."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Body, Depends, Query, Response, status
from pydantic import BaseModel, Field

from guanwu.contracts.sync import SyncCounts, SyncCriteria, SyncJobState, SyncKind, SyncMode
from guanwu.platform.auth import Principal, require_roles
from guanwu.platform.http.context import service_context
from guanwu.sync.domain.jobs import SyncJob
from guanwu.sync.service_layer.context import SyncContext
from guanwu.sync.service_layer.handlers.jobs import (
    cancel_job,
    job_of,
    jobs_of,
    quarantine_of,
    request_sync,
)

SYNC_ROLES = ("preparer", "manager", "integration")  # admin is implied by require_roles
PREFIX = "/api/sync"

Context = Annotated[SyncContext, Depends(service_context("sync"))]
Syncer = Annotated[Principal, require_roles(*SYNC_ROLES)]

router = APIRouter(prefix=PREFIX, tags=["sync"])


class JobErrorOut(BaseModel):
    code: str = Field(description="refused, unavailable, no_single_window, invalid_request")
    message: str
    at: datetime


class SyncJobOut(BaseModel):
    """A sync job: what it asks, how far it got, and how it ended."""

    job_id: str
    state: SyncJobState = Field(description="queued → running → completed | failed | cancelled")
    kind: SyncKind
    mode: SyncMode
    criteria: SyncCriteria
    counts: SyncCounts = Field(description="fetched = written + unchanged + quarantined; expected: the total")
    cursor: str | None = Field(None, description="Where its next page starts at the Single Window")
    reason: str | None = Field(None, description="Why it failed (state failed)")
    errors: list[JobErrorOut] = Field(description="What went wrong, oldest first")
    cancel_requested_by: str | None = Field(None, description="Who asked to cancel it")
    runs: int = Field(description="How often a runner started it (more than 1: resumed after a stop)")
    requested_by: str
    requested_at: datetime
    created_at: datetime
    updated_at: datetime
    started_at: datetime | None = None
    finished_at: datetime | None = None
    quarantine: str = Field(description="Where the items it could not read are listed")


class SyncJobPage(BaseModel):
    total: int
    items: list[SyncJobOut]


class QuarantinedItemOut(BaseModel):
    """An item of a job's page that could not be read: why, and the item as the Single Window sent it."""

    seq_no: str | None = Field(None, description="统一编号, when the item named one")
    sw_version: int | None = None
    reason: str
    payload: str = Field(description="The item as received (JSON text), cut when long")
    payload_chars: int = Field(description="Length of the whole payload")
    truncated: bool
    at: datetime


class QuarantinePage(BaseModel):
    total: int
    items: list[QuarantinedItemOut]


def who(principal: Principal) -> str:
    """The user as the job's events name them (at most 64 characters; an OIDC subject may be longer)."""
    return (principal.user_id or "unknown")[:64]


def job_url(job_id: str) -> str:
    return f"{PREFIX}/jobs/{job_id}"


def job_out(job: SyncJob) -> SyncJobOut:
    fields = job.model_dump(
        include={
            "job_id",
            "state",
            "criteria",
            "counts",
            "cursor",
            "errors",
            "cancel_requested_by",
            "runs",
            "requested_by",
            "requested_at",
            "created_at",
            "updated_at",
            "started_at",
            "finished_at",
        }
    )
    return SyncJobOut(
        **fields,
        kind=job.kind,
        mode=job.mode,
        reason=job.reason,
        quarantine=f"{job_url(job.job_id)}/quarantine",
    )


@router.post(
    "/jobs",
    response_model=SyncJobOut,
    status_code=status.HTTP_202_ACCEPTED,
    summary="开始同步 / start a sync job (报关数据同步 / 核注清单数据同步, 按票 or 按天)",
)
async def start_job(
    criteria: Annotated[SyncCriteria, Body(description="kind + mode and the screen's fields")],
    principal: Syncer,
    context: Context,
    response: Response,
) -> SyncJobOut:
    job = await request_sync(
        criteria,
        tenant=principal.tenant,
        requested_by=who(principal),
        uow=context.new_uow(),
        clock=context.clock,
        connected=context.connected,
        wakeup=context.job_wakeup,
        observer=context.job_observer,
    )
    response.headers["Location"] = job_url(job.job_id)
    return job_out(job)


@router.get(
    "/jobs", response_model=SyncJobPage, summary="同步任务列表 / the tenant's sync jobs, newest first"
)
async def list_jobs(
    principal: Syncer,
    context: Context,
    state: SyncJobState | None = None,
    kind: SyncKind | None = None,
    skip: Annotated[int, Query(ge=0)] = 0,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> SyncJobPage:
    total, jobs = await jobs_of(
        principal.tenant, state=state, kind=kind, skip=skip, limit=limit, uow=context.new_uow()
    )
    return SyncJobPage(total=total, items=[job_out(job) for job in jobs])


@router.get("/jobs/{job_id}", response_model=SyncJobOut, summary="同步任务 / one sync job")
async def get_job(job_id: str, principal: Syncer, context: Context) -> SyncJobOut:
    return job_out(await job_of(job_id, tenant=principal.tenant, uow=context.new_uow()))


@router.post(
    "/jobs/{job_id}/cancel",
    response_model=SyncJobOut,
    summary="取消同步 / cancel a sync job (a running one stops after its page)",
)
async def cancel(job_id: str, principal: Syncer, context: Context) -> SyncJobOut:
    job = await cancel_job(
        job_id,
        tenant=principal.tenant,
        cancelled_by=who(principal),
        uow=context.new_uow(),
        clock=context.clock,
        write_attempts=context.settings.write_attempts,
        observer=context.job_observer,
    )
    return job_out(job)


@router.get(
    "/jobs/{job_id}/quarantine",
    response_model=QuarantinePage,
    summary="隔离记录 / the items a sync job could not read",
)
async def job_quarantine(
    job_id: str,
    principal: Syncer,
    context: Context,
    skip: Annotated[int, Query(ge=0)] = 0,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> QuarantinePage:
    total, items = await quarantine_of(
        job_id, tenant=principal.tenant, skip=skip, limit=limit, uow=context.new_uow()
    )
    return QuarantinePage(total=total, items=[QuarantinedItemOut(**i.model_dump()) for i in items])
