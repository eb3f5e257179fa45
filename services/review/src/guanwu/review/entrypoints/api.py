"""HTTP API of the review service (审单)."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query, Response
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints

from guanwu.contracts.events import FieldMark
from guanwu.platform.auth import CurrentPrincipal, Principal, require_roles
from guanwu.platform.http.context import service_context
from guanwu.platform.http.versioning import IfMatch, answer_change, expected_version, tagged
from guanwu.review.domain import (
    ApproveReview,
    RejectReview,
    Reviewer,
    ReviewStatus,
    ReviewTask,
    SaveMarks,
    unique_paths,
)
from guanwu.review.service_layer import handlers
from guanwu.review.service_layer.context import ReviewContext

READERS = ("reviewer", "manager", "integration")
Marks = Annotated[list[FieldMark], Field(max_length=2000), AfterValidator(unique_paths)]
Context = Annotated[ReviewContext, Depends(service_context("review"))]

router = APIRouter(prefix="/api/review", tags=["review"])


class ReviewPage(BaseModel):
    total: int
    items: list[ReviewTask]


class MarksBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    marks: Marks = Field(description="The whole set of marks; replaces the saved one")


class ApproveBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    comment: str | None = Field(None, max_length=1000, description="审核意见")


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


@router.get(
    "/tasks",
    response_model=ReviewPage,
    summary="审单列表 / search review tasks (F-10)",
    dependencies=[require_roles(*READERS)],
)
async def search(
    principal: CurrentPrincipal,
    context: Context,
    status: ReviewStatus | None = None,
    ie_flag: Literal["I", "E"] | None = None,
    seq_no: Annotated[str | None, Query(max_length=18, description="申报单号")] = None,
    bill_no: Annotated[str | None, Query(max_length=32, description="提运单号")] = None,
    custom_master: Annotated[str | None, Query(pattern=r"^\d{4}$", description="申报地海关")] = None,
    skip: Annotated[int, Query(ge=0)] = 0,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> ReviewPage:
    filters = {
        "status": status,
        "ie_flag": ie_flag,
        "seq_no": seq_no,
        "bill_no": bill_no,
        "custom_master": custom_master,
    }
    total, items = await context.new_uow().tasks.search(principal.tenant, filters, skip=skip, limit=limit)
    return ReviewPage(total=total, items=items)


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
        *addressed(review_id, principal, if_match), comment=body.comment if body else None
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
