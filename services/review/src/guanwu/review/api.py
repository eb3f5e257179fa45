"""HTTP API of the review service (审单)."""

from __future__ import annotations

from collections.abc import Awaitable
from typing import Annotated, Literal

from fastapi import APIRouter, HTTPException, Query, Response
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints

from guanwu.contracts.events import FieldMark
from guanwu.platform.auth import CurrentPrincipal, Principal, require_roles
from guanwu.platform.http.versioning import IfMatch, etag, expected_version, version_conflict
from guanwu.platform.store.port import ConcurrencyConflict
from guanwu.review.domain import (
    InvalidDecision,
    Reviewer,
    ReviewRefused,
    ReviewStatus,
    ReviewTask,
    unique_paths,
)
from guanwu.review.handlers import NotFound, ReviewCommands
from guanwu.review.repository import ReviewRepository

NOT_FOUND = {
    "code": "review.not_found",
    "message_zh": "审核任务不存在",
    "message_en": "Review task not found",
}
READERS = ("reviewer", "manager", "integration")
Marks = Annotated[list[FieldMark], Field(max_length=2000), AfterValidator(unique_paths)]


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


async def guarded(
    change: Awaitable[ReviewTask], repository: ReviewRepository, tenant: str, review_id: str
) -> ReviewTask:
    """Run a change and translate its refusals into HTTP answers that say why."""
    try:
        return await change
    except NotFound:
        raise HTTPException(404, detail=NOT_FOUND) from None
    except InvalidDecision as exc:
        detail = {"code": exc.code, "message_zh": exc.message_zh, "message_en": exc.message_en}
        raise HTTPException(422, detail={**detail, "field": exc.field}) from None
    except ReviewRefused as exc:
        raise HTTPException(
            409, detail={"code": exc.code, "message_zh": exc.message_zh, "message_en": exc.message_en}
        ) from None
    except ConcurrencyConflict:
        current = await repository.get(tenant, review_id)
        version = current.version if current else None
        raise version_conflict("review.version_conflict", "审核任务", "review task", version) from None


def build_router(repository: ReviewRepository, commands: ReviewCommands) -> APIRouter:
    router = APIRouter(prefix="/api/review", tags=["review"])

    async def answer(
        change: Awaitable[ReviewTask], tenant: str, review_id: str, response: Response
    ) -> ReviewTask:
        task = await guarded(change, repository, tenant, review_id)
        response.headers["ETag"] = etag(task.version)
        return task

    @router.get(
        "/tasks",
        response_model=ReviewPage,
        summary="审单列表 / search review tasks (F-10)",
        dependencies=[require_roles(*READERS)],
    )
    async def search(
        principal: CurrentPrincipal,
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
        total, items = await repository.search(principal.tenant, filters, skip=skip, limit=limit)
        return ReviewPage(total=total, items=items)

    # The preparer may read one task too: F-11 has them see the fields a reviewer marked red.
    @router.get(
        "/tasks/{review_id}",
        response_model=ReviewTask,
        summary="审核任务详情 / one review task with its marks and audit trail",
        dependencies=[require_roles(*READERS, "preparer")],
    )
    async def get_one(review_id: str, principal: CurrentPrincipal, response: Response) -> ReviewTask:
        task = await repository.get(principal.tenant, review_id)
        if task is None:
            raise HTTPException(404, detail=NOT_FOUND)
        response.headers["ETag"] = etag(task.version)
        return task

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
        if_match: IfMatch = None,
    ) -> ReviewTask:
        change = commands.save_marks(
            principal.tenant,
            review_id,
            body.marks,
            reviewer=reviewer_of(principal),
            version=expected_version(if_match),
        )
        return await answer(change, principal.tenant, review_id, response)

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
        body: ApproveBody | None = None,
        if_match: IfMatch = None,
    ) -> ReviewTask:
        change = commands.approve(
            principal.tenant,
            review_id,
            body.comment if body else None,
            reviewer=reviewer_of(principal),
            version=expected_version(if_match),
        )
        return await answer(change, principal.tenant, review_id, response)

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
        if_match: IfMatch = None,
    ) -> ReviewTask:
        change = commands.reject(
            principal.tenant,
            review_id,
            body.comment,
            body.marks,
            reviewer=reviewer_of(principal),
            version=expected_version(if_match),
        )
        return await answer(change, principal.tenant, review_id, response)

    return router
