"""HTTP API of the review service (审单)."""

from __future__ import annotations

import inspect
from dataclasses import dataclass
from datetime import date, datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Response
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints

from guanwu.contracts.events import FieldMark
from guanwu.platform.auth import CurrentPrincipal, Principal, require_roles
from guanwu.platform.http.context import service_context
from guanwu.platform.http.versioning import IfMatch, answer_change, expected_version, tagged
from guanwu.platform.store.port import VERSION_FIELD, Document
from guanwu.review.domain import (
    ApproveReview,
    MarkAction,
    MarkField,
    RejectReview,
    ReviewCriteria,
    Reviewer,
    ReviewStatus,
    ReviewTask,
    SaveMarks,
    SortField,
    period,
    store_filter,
    unique_paths,
)
from guanwu.review.service_layer import handlers
from guanwu.review.service_layer.context import ReviewContext

READERS = ("reviewer", "manager", "integration")
Marks = Annotated[list[FieldMark], Field(max_length=2000), AfterValidator(unique_paths)]
Context = Annotated[ReviewContext, Depends(service_context("review"))]

router = APIRouter(prefix="/api/review", tags=["review"])


class ReviewRow(BaseModel):
    """One row of the review list (F-10): the task without its document, marks and audit trail."""

    model_config = ConfigDict(extra="ignore")

    review_id: str
    version: int = Field(description="The task's version (its ETag): what If-Match names")
    status: ReviewStatus = Field(description="审核状态")
    declaration_id: str = Field(description="系统编号")
    declaration_version: int
    kind: str
    ie_flag: str = Field(description="进出口标志")
    client_seq_no: str | None = Field(None, description="申报单号")
    seq_no: str | None = Field(None, description="统一编号")
    entry_id: str | None = Field(None, description="海关编号 (报关单号)")
    bill_no: str | None = Field(None, description="提运单号")
    custom_master: str | None = Field(None, description="申报地海关")
    ie_port: str | None = Field(None, description="申报地 (进/出境关别)")
    trade_code: str | None = Field(None, description="境内收发货人海关编码")
    trade_name: str | None = Field(None, description="境内收发货人")
    agent_name: str | None = Field(None, description="申报单位")
    declaring_units: list[str] = Field(default_factory=list, description="报关/录入单位 codes")
    declare_mode: str = Field(description="0 普通申报, 5 概要申报, 6 完整申报")
    enterprise_categories: list[str] = Field(default_factory=list, description="企业类别")
    prepared_by: str | None = Field(None, description="制单人")
    submitted_at: datetime
    updated_at: datetime = Field(description="最近操作时间")
    declaration_status: str | None = Field(None, description="系统状态")
    declare_status: str | None = Field(None, description="申报状态 (CHANNEL)")
    declare_status_name: str | None = Field(None, description="申报状态")
    decided_by: str | None = None
    decided_at: datetime | None = None
    marks_ok: int = Field(0, description="Fields marked green")
    marks_wrong: int = Field(0, description="Fields marked red")
    marks_stale: int = Field(0, description="Carried marks whose field changed since")

    @classmethod
    def of(cls, doc: Document) -> ReviewRow:
        """The row of a task as stored (no task built: its marks and audit trail are only counted or left),
        with the defaults the task gives fields that tasks stored before them lack."""
        marks = doc.get("marks") or []
        return cls.model_validate(
            {
                "kind": "declaration",
                "declare_mode": "0",
                **doc,
                "version": doc[VERSION_FIELD],
                "marks_ok": sum(1 for m in marks if m.get("verdict") == "ok"),
                "marks_wrong": sum(1 for m in marks if m.get("verdict") == "wrong"),
                "marks_stale": sum(1 for m in marks if m.get("stale")),
            }
        )


class ReviewPage(BaseModel):
    total: int
    items: list[ReviewRow]
    updated_from: date = Field(description="最近操作时间 from (China time), as applied")
    updated_to: date = Field(description="最近操作时间 to (China time, inclusive), as applied")


class MarksBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    marks: Marks = Field(description="The whole set of marks; replaces the saved one")


class MarkBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    field_path: str = Field(
        min_length=1,
        max_length=200,
        description="e.g. head.trade_mode, goods[2].g_qty, containers[0].container_id",
    )
    state: MarkAction = Field(
        description="unmarked | ok | wrong, or cycle (unmarked → ok → wrong → unmarked)"
    )
    comment: str | None = Field(
        None, max_length=500, description="审核意见 for this field (kept on a mark only)"
    )


class ApproveBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    comment: str | None = Field(None, max_length=1000, description="审核意见")
    override_reason: str | None = Field(
        None,
        max_length=1000,
        description="Required while fields are marked red (409 review.red_marks without it): why approve anyway",
    )


class RejectBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    comment: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=1000)] = Field(
        description="退回原因 (required)"
    )
    marks: Marks | None = Field(None, description="Replaces the saved marks when given")


def reviewer_of(principal: Principal) -> Reviewer:
    return Reviewer(principal.user_id, may_review_own="admin" in principal.roles)


def addressed(review_id: str, principal: Principal, if_match: str | None) -> tuple[str, str, Reviewer, int]:
    """What every reviewer's command starts with: tenant, task, reviewer and the version they saw."""
    return principal.tenant, review_id, reviewer_of(principal), expected_version(if_match)


@dataclass
class ListQuery:
    """The seed's 报关单审核 query fields (F-10); every one optional."""

    status: Annotated[ReviewStatus | None, Query(description="审核状态")] = None
    ie_flag: Annotated[Literal["I", "E"] | None, Query(description="进出口标志 (none: 全部)")] = None
    client_seq_no: Annotated[str | None, Query(max_length=18, description="申报单号")] = None
    bill_no: Annotated[str | None, Query(max_length=32, description="提运单号")] = None
    custom_master: Annotated[str | None, Query(pattern=r"^\d{4}$", description="申报地海关")] = None
    trade_name: Annotated[str | None, Query(max_length=100, description="境内收发货人 (name, exact)")] = None
    trade_code: Annotated[str | None, Query(max_length=18, description="境内收发货人海关编码")] = None
    prepared_by: Annotated[str | None, Query(max_length=64, description="制单人 (user id)")] = None
    ie_port: Annotated[str | None, Query(pattern=r"^\d{4}$", description="申报地 (进/出境关别)")] = None
    declare_mode: Annotated[
        Literal["0", "5", "6"] | None, Query(description="0 普通申报, 5 概要申报, 6 完整申报")
    ] = None
    declaration_id: Annotated[str | None, Query(max_length=64, description="系统编号")] = None
    seq_no: Annotated[str | None, Query(max_length=18, description="统一编号")] = None
    entry_id: Annotated[str | None, Query(max_length=18, description="海关编号")] = None
    declare_status: Annotated[str | None, Query(max_length=2, description="申报状态 (回执 CHANNEL)")] = None
    enterprise_category: Annotated[
        Literal["1", "2", "3"] | None,
        Query(description="企业类别: 1 境内收发货人, 2 申报单位, 3 消费使用/生产销售单位"),
    ] = None
    declaring_unit: Annotated[
        str | None, Query(max_length=18, description="报关/录入单位 (申报单位 or 录入单位 code)")
    ] = None

    def criteria(self) -> ReviewCriteria:
        return ReviewCriteria(**vars(self))


async def list_query(**given: Any) -> ListQuery:
    return ListQuery(**given)


# The query fields as FastAPI reads them from ListQuery, through an async function: a class dependency
# runs in FastAPI's thread pool, two thread switches per request.
setattr(list_query, "__signature__", inspect.signature(ListQuery, eval_str=True))  # noqa: B010


@router.get(
    "/tasks",
    response_model=ReviewPage,
    summary="审单列表 / search review tasks (F-10)",
    description="最近操作时间 is a range of China-time days; without from and to, the last 7 days up to today.",
    dependencies=[require_roles(*READERS)],
)
async def search(
    principal: CurrentPrincipal,
    context: Context,
    query: Annotated[ListQuery, Depends(list_query)],
    updated_from: Annotated[date | None, Query(description="最近操作时间 from (China time)")] = None,
    updated_to: Annotated[date | None, Query(description="最近操作时间 to (China time, inclusive)")] = None,
    sort: SortField = "updated_at",
    order: Literal["asc", "desc"] = "desc",
    skip: Annotated[int, Query(ge=0, le=100_000)] = 0,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> Response:
    start, end = period(updated_from, updated_to, now=context.clock())
    filters = store_filter(principal.tenant, query.criteria(), start, end)
    total, docs = await context.new_uow().tasks.rows(
        principal.tenant, filters, skip=skip, limit=limit, sort=[(sort, -1 if order == "desc" else 1)]
    )
    page = ReviewPage(total=total, items=[ReviewRow.of(d) for d in docs], updated_from=start, updated_to=end)
    # Serialized here: FastAPI would validate the page a second time against the response model.
    return Response(page.model_dump_json(), media_type="application/json")


# The preparer may read one task too: F-11 has them see the fields a reviewer marked red.
@router.get(
    "/tasks/{review_id}",
    response_model=ReviewTask,
    summary="审核任务详情 / one review task with its marks and audit trail",
    dependencies=[require_roles(*READERS, "preparer")],
)
async def get_one(
    review_id: str, principal: CurrentPrincipal, response: Response, context: Context
) -> ReviewTask:
    return tagged(await context.new_uow().tasks.load(principal.tenant, review_id), response)


@router.put(
    "/tasks/{review_id}/marks",
    response_model=ReviewTask,
    summary="保存字段标记 / save the field marks of a pending task (If-Match required)",
    dependencies=[require_roles("reviewer")],
)
async def save_marks(
    review_id: str,
    body: MarksBody,
    principal: CurrentPrincipal,
    response: Response,
    context: Context,
    if_match: IfMatch = None,
) -> ReviewTask:
    command = SaveMarks(*addressed(review_id, principal, if_match), marks=body.marks)
    return await answer_change(handlers.save_marks, command, context, response)


@router.post(
    "/tasks/{review_id}/mark",
    response_model=ReviewTask,
    summary="标记一个字段 / mark one field: set its state or cycle it (If-Match required)",
    description=(
        "`state` sets unmarked, ok (绿色) or wrong (红色); `cycle` is the seed's click: unmarked → ok → wrong → "
        "unmarked. Each change publishes one FieldMarked; the same state and comment again change nothing."
    ),
    dependencies=[require_roles("reviewer")],
)
async def mark(
    review_id: str,
    body: MarkBody,
    principal: CurrentPrincipal,
    response: Response,
    context: Context,
    if_match: IfMatch = None,
) -> ReviewTask:
    command = MarkField(
        *addressed(review_id, principal, if_match),
        field_path=body.field_path,
        action=body.state,
        comment=body.comment,
    )
    return await answer_change(handlers.mark_field, command, context, response)


@router.post(
    "/tasks/{review_id}/approve",
    response_model=ReviewTask,
    summary="审核通过 / approve (If-Match required)",
    dependencies=[require_roles("reviewer")],
)
async def approve(
    review_id: str,
    principal: CurrentPrincipal,
    response: Response,
    context: Context,
    body: ApproveBody | None = None,
    if_match: IfMatch = None,
) -> ReviewTask:
    command = ApproveReview(
        *addressed(review_id, principal, if_match),
        comment=body.comment if body else None,
        override_reason=body.override_reason if body else None,
    )
    return await answer_change(handlers.approve_review, command, context, response)


@router.post(
    "/tasks/{review_id}/reject",
    response_model=ReviewTask,
    summary="审核退回 / return to the preparer with a reason (If-Match required)",
    dependencies=[require_roles("reviewer")],
)
async def reject(
    review_id: str,
    body: RejectBody,
    principal: CurrentPrincipal,
    response: Response,
    context: Context,
    if_match: IfMatch = None,
) -> ReviewTask:
    command = RejectReview(*addressed(review_id, principal, if_match), comment=body.comment, marks=body.marks)
    return await answer_change(handlers.reject_review, command, context, response)
