"""Review tasks (审单): one per declaration version submitted for review. Pure: no I/O.

A task is 待审核 until a reviewer approves (审核通过) or returns it (审核退回); a decision is final. Reviewers
mark fields green (ok) or red (wrong) while the task is pending (可视化审核, F-11).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field

from guanwu.contracts.events import (
    DeclarationSubmittedForReview,
    FieldMark,
    ReviewApproved,
    ReviewOutcome,
    ReviewRejected,
)
from guanwu.platform.ids import deterministic_id
from guanwu.platform.refusal import InvalidRequest, Noun, Refusal

REVIEW_TASK = Noun("review", "审核任务", "review task")
"""What not-found and version-conflict answers call a task (`review.not_found`, `review.version_conflict`)."""


class ReviewStatus(StrEnum):
    PENDING = "待审核"
    APPROVED = "审核通过"
    REJECTED = "审核退回"


class ReviewRefused(Refusal):
    """A command the task's state or the reviewer does not allow; the reason in both languages (HTTP 409)."""


class InvalidDecision(InvalidRequest):
    """A decision whose input is incomplete; `field` names what to fix (HTTP 422, `field` in the answer)."""

    def __init__(self, code: str, message_zh: str, message_en: str, field: str) -> None:
        super().__init__(code, message_zh, message_en, field=field)
        self.field = field


@dataclass(frozen=True)
class Reviewer:
    user_id: str
    may_review_own: bool = False  # admins may (a one-person enterprise has no second reviewer)


@dataclass(frozen=True)
class ReviewCommand:
    """What a reviewer does to one task, based on the version they saw."""

    tenant: str
    review_id: str
    reviewer: Reviewer
    version: int


@dataclass(frozen=True)
class SaveMarks(ReviewCommand):
    marks: Sequence[FieldMark]


@dataclass(frozen=True)
class ApproveReview(ReviewCommand):
    comment: str | None


@dataclass(frozen=True)
class RejectReview(ReviewCommand):
    comment: str
    marks: Sequence[FieldMark] | None


class Mark(FieldMark):
    """A field mark as the task keeps it: attributed and time-stamped (F-11)."""

    marked_by: str
    marked_at: datetime

    def as_field_mark(self) -> FieldMark:
        return FieldMark(field_path=self.field_path, verdict=self.verdict, comment=self.comment)


class AuditEntry(BaseModel):
    """Who did what to the task, when, and with which comment and marks (F-13)."""

    model_config = ConfigDict(frozen=True)

    at: datetime
    by: str
    action: str = Field(description="submitted | marks | approve | reject")
    version: int
    comment: str | None = None
    marks: list[FieldMark] = Field(default_factory=list, description="The marks in effect after the action")


class ReviewTask(BaseModel):
    review_id: str
    tenant: str
    version: int
    status: ReviewStatus
    declaration_id: str
    declaration_version: int = Field(description="The declaration version under review")
    correlation_id: str | None = Field(None, description="The submission's flow; decisions continue it")
    kind: str = "declaration"
    ie_flag: str = Field(description="进出口标志 I/E")
    seq_no: str | None = Field(None, description="申报单号 / 统一编号")
    entry_id: str | None = Field(None, description="海关编号")
    bill_no: str | None = Field(None, description="提运单号")
    custom_master: str | None = Field(None, description="申报地海关")
    trade_name: str | None = Field(None, description="境内收发货人")
    prepared_by: str | None = Field(None, description="制单人")
    submitted_at: datetime
    marks: list[Mark] = Field(default_factory=list)
    decided_by: str | None = None
    decided_at: datetime | None = None
    comment: str | None = Field(None, description="审核意见 / 退回原因")
    audit: list[AuditEntry] = Field(default_factory=list)

    def field_marks(self) -> list[FieldMark]:
        return [m.as_field_mark() for m in self.marks]


def unique_paths(marks: list[FieldMark]) -> list[FieldMark]:
    """Two marks on one field would leave its colour ambiguous: refuse them (a pydantic validator)."""
    paths = [m.field_path for m in marks]
    duplicates = sorted({p for p in paths if paths.count(p) > 1})
    if duplicates:
        raise ValueError(f"each field may be marked once; repeated: {', '.join(duplicates)}")
    return marks


def review_id_for(tenant: str, declaration_id: str, declaration_version: int) -> str:
    """One task per submitted declaration version: a redelivered submission derives the same id."""
    return deterministic_id("review", tenant, declaration_id, str(declaration_version))


def decision_event_id(task: ReviewTask) -> str:
    """A task is decided once, so an id derived from it lets consumers drop a republished decision."""
    return deterministic_id("decided", task.review_id)


# The submission's head fields a task keeps: the list shows them and filters by some (F-10).
_SUBMITTED_HEAD = (
    "kind",
    "ie_flag",
    "seq_no",
    "entry_id",
    "bill_no",
    "custom_master",
    "trade_name",
    "prepared_by",
)


def open_task(
    event: DeclarationSubmittedForReview,
    *,
    review_id: str,
    tenant: str,
    submitted_at: datetime,
    correlation_id: str | None,
) -> ReviewTask:
    submitter = event.prepared_by or "system"
    return ReviewTask(
        review_id=review_id,
        tenant=tenant,
        version=1,
        status=ReviewStatus.PENDING,
        declaration_id=event.declaration_id,
        declaration_version=event.version,
        correlation_id=correlation_id,
        **event.model_dump(include=set(_SUBMITTED_HEAD)),
        submitted_at=submitted_at,
        audit=[AuditEntry(at=submitted_at, by=submitter, action="submitted", version=1)],
    )


def _ensure_may_review(task: ReviewTask, reviewer: Reviewer) -> None:
    if task.status is not ReviewStatus.PENDING:
        raise ReviewRefused(
            "review.already_decided",
            f"审核任务已是「{task.status.value}」状态，不能再次审核",
            f"The review task is already decided ({task.status.name.lower()}) and cannot change",
        )
    if task.prepared_by == reviewer.user_id and not reviewer.may_review_own:
        raise ReviewRefused(
            "review.own_declaration",
            "不能审核自己制作的报关单",
            "You cannot review a declaration you prepared yourself",
        )


def _attributed(task: ReviewTask, marks: Sequence[FieldMark], user_id: str, now: datetime) -> list[Mark]:
    """An unchanged mark keeps who set it and when; a new or changed one is the current reviewer's."""
    kept = {m.as_field_mark(): m for m in task.marks}
    wanted = [FieldMark(field_path=m.field_path, verdict=m.verdict, comment=m.comment) for m in marks]
    return [
        kept.get(m) or Mark(**m.model_dump(), marked_by=user_id, marked_at=now) for m in unique_paths(wanted)
    ]


def _step(task: ReviewTask, action: str, by: str, now: datetime, **changes: object) -> ReviewTask:
    version = task.version + 1
    changed = task.model_copy(update={**changes, "version": version})
    entry = AuditEntry(
        at=now, by=by, action=action, version=version, comment=changed.comment, marks=changed.field_marks()
    )
    return changed.model_copy(update={"audit": [*task.audit, entry]})


def replace_marks(
    task: ReviewTask, marks: Sequence[FieldMark], *, reviewer: Reviewer, now: datetime
) -> ReviewTask:
    _ensure_may_review(task, reviewer)
    marks_now = _attributed(task, marks, reviewer.user_id, now)
    return _step(task, "marks", reviewer.user_id, now, marks=marks_now)


def approve(task: ReviewTask, *, reviewer: Reviewer, comment: str | None, now: datetime) -> ReviewTask:
    _ensure_may_review(task, reviewer)
    return _step(
        task,
        "approve",
        reviewer.user_id,
        now,
        status=ReviewStatus.APPROVED,
        decided_by=reviewer.user_id,
        decided_at=now,
        comment=(comment or "").strip() or None,
    )


def reject(
    task: ReviewTask,
    *,
    reviewer: Reviewer,
    comment: str,
    marks: Sequence[FieldMark] | None,
    now: datetime,
) -> ReviewTask:
    """退回 needs a reason; marks sent with it replace the saved ones, otherwise the saved ones stay."""
    _ensure_may_review(task, reviewer)
    if not comment.strip():
        raise InvalidDecision(
            "review.comment_required",
            "退回必须填写退回原因（comment）",
            "A returned review needs a reason (comment)",
            field="comment",
        )
    kept = task.marks if marks is None else _attributed(task, marks, reviewer.user_id, now)
    return _step(
        task,
        "reject",
        reviewer.user_id,
        now,
        status=ReviewStatus.REJECTED,
        marks=kept,
        decided_by=reviewer.user_id,
        decided_at=now,
        comment=comment.strip(),
    )


def outcome(task: ReviewTask) -> ReviewOutcome:
    """The event a decided task publishes (the declaration service moves the declaration on it)."""
    event_class = {ReviewStatus.APPROVED: ReviewApproved, ReviewStatus.REJECTED: ReviewRejected}[task.status]
    assert task.decided_by is not None and task.decided_at is not None
    return event_class(
        **task.model_dump(include={"review_id", "declaration_id", "declaration_version", "comment"}),
        reviewer=task.decided_by,
        decided_at=task.decided_at,
        marks=task.field_marks(),
    )
