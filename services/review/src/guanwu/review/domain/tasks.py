"""Review tasks (审单): one per declaration version submitted for review. Pure: no I/O.

A task is 待审核 until a reviewer approves (审核通过) or returns it (审核退回); a decision is final. A pending
task is withdrawn (已撤回) when its declaration is deleted or changes version outside review. Reviewers mark
fields green (ok) or red (wrong) while the task is pending (可视化审核, F-11); each mark keeps who set it, when,
and the field's value then. The task keeps the declaration document it reviews, so neither the list nor the
marks nor printing needs the declaration service.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_serializer, field_validator, model_validator

from guanwu.contracts.declaration import DeclarationDocument
from guanwu.contracts.events import (
    FieldMark,
    MarkState,
    ReviewApproved,
    ReviewOutcome,
    ReviewRejected,
)
from guanwu.platform.ids import deterministic_id
from guanwu.platform.refusal import InvalidRequest, Noun, Refusal
from guanwu.review.domain.approval import override_for
from guanwu.review.domain.marks import (
    MarkAction,
    MarkChange,
    changes_between,
    next_state,
    parse_path,
    value_at,
)
from guanwu.review.domain.send_state import SendState

REVIEW_TASK = Noun("review", "审核任务", "review task")
"""What not-found and version-conflict answers call a task (`review.not_found`, `review.version_conflict`)."""

WithdrawReason = Literal["declaration_deleted", "declaration_changed"]


class ReviewStatus(StrEnum):
    PENDING = "待审核"
    APPROVED = "审核通过"
    REJECTED = "审核退回"
    WITHDRAWN = "已撤回"


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
class MarkField(ReviewCommand):
    """One click on one field: set its state, or `cycle` it (unmarked → ok → wrong → unmarked)."""

    field_path: str
    action: MarkAction
    comment: str | None = None


@dataclass(frozen=True)
class ApproveReview(ReviewCommand):
    comment: str | None
    override_reason: str | None = None  # needed while fields are marked red (domain.approval)


@dataclass(frozen=True)
class RejectReview(ReviewCommand):
    comment: str
    marks: Sequence[FieldMark] | None


def _utc_text(moment: datetime) -> str:
    # One fixed width (always microseconds, always Z): the stored text sorts and compares like the time.
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


class Mark(FieldMark):
    """A field mark as the task keeps it: attributed, time-stamped, with the value it was set on (F-11).

    A mark carried from the previous version's task onto a field whose value changed since is `stale`: it
    shows `value` (what the reviewer marked) and `value_now` (this version's value) until a reviewer marks
    the field again."""

    marked_by: str
    marked_at: datetime
    value: str | None = Field(None, description="The field's value when it was marked")
    stale: bool = Field(False, description="Carried from the previous version and the value changed since")
    value_now: str | None = Field(None, description="Stale marks only: the field's value in this version")
    carried_from: str | None = Field(None, description="The review task the mark was carried from")

    def as_field_mark(self) -> FieldMark:
        return FieldMark(field_path=self.field_path, verdict=self.verdict, comment=self.comment)

    @property
    def state(self) -> MarkState:
        return "ok" if self.verdict == "ok" else "wrong"


class MarkChangeEntry(BaseModel):
    """One field's mark changing, as the audit trail keeps it (who and when are on the entry)."""

    model_config = ConfigDict(frozen=True)

    field_path: str
    state_before: MarkState
    state_after: MarkState
    comment: str | None = None


class AuditEntry(BaseModel):
    """Who did what to the task, when, and with which comment and marks (F-13)."""

    model_config = ConfigDict(frozen=True)

    at: datetime
    by: str
    action: str = Field(
        description="submitted | mark | marks | approve | reject | withdrawn | send | send_declared | send_refused"
    )
    version: int
    comment: str | None = None
    marks: list[FieldMark] = Field(
        default_factory=list, description="The marks in effect after the action (marks, approve, reject)"
    )
    changes: list[MarkChangeEntry] = Field(default_factory=list, description="The field marks it changed")


class ReviewTask(BaseModel):
    """One review task. Its list fields come from the submission (F-10) and from the declaration's later
    events (系统状态) and receipts (申报状态)."""

    review_id: str
    tenant: str
    version: int
    status: ReviewStatus
    declaration_id: str = Field(description="系统编号")
    declaration_version: int = Field(description="The declaration version under review")
    correlation_id: str | None = Field(None, description="The submission's flow; decisions continue it")
    kind: str = "declaration"
    ie_flag: str = Field(description="进出口标志 I/E")
    client_seq_no: str | None = Field(None, description="申报单号 (客户端编号)")
    seq_no: str | None = Field(None, description="统一编号")
    entry_id: str | None = Field(None, description="海关编号 (报关单号)")
    bill_no: str | None = Field(None, description="提运单号")
    custom_master: str | None = Field(None, description="申报地海关")
    ie_port: str | None = Field(None, description="申报地: 进/出境关别 (IEPort)")
    trade_code: str | None = Field(None, description="境内收发货人海关编码")
    trade_name: str | None = Field(None, description="境内收发货人")
    agent_code: str | None = Field(None, description="申报单位海关编码")
    agent_name: str | None = Field(None, description="申报单位")
    declaring_units: list[str] = Field(
        default_factory=list, description="报关/录入单位: the codes of the 申报单位 and the 录入单位"
    )
    declare_mode: str = Field("0", description="0 普通申报, 5 概要申报, 6 完整申报 (DecHead.Type position 3)")
    enterprise_categories: list[str] = Field(
        default_factory=list,
        description="企业类别 the tenant plays: 1 境内收发货人, 2 申报单位, 3 消费使用/生产销售单位",
    )
    prepared_by: str | None = Field(None, description="制单人")
    submitted_at: datetime
    updated_at: datetime = Field(description="最近操作时间: the last change of the task or its declaration")
    declaration_status: str | None = Field(None, description="系统状态: the declaration's lifecycle state")
    declaration_seen_version: int = Field(0, description="The newest declaration version the task has seen")
    declare_status: str | None = Field(None, description="申报状态: the latest receipt's CHANNEL")
    declare_status_name: str | None = Field(None, description="申报状态 name, e.g. 海关入库成功")
    declare_status_at: datetime | None = Field(None, description="The latest receipt's NOTICE_DATE")
    previous_review_id: str | None = Field(None, description="The previous submission's task (marks carried)")
    document: DeclarationDocument | None = Field(None, description="The declaration document under review")
    marks: list[Mark] = Field(default_factory=list)
    decided_by: str | None = None
    decided_at: datetime | None = None
    comment: str | None = Field(None, description="审核意见 / 退回原因")
    override_reason: str | None = Field(None, description="Why it was approved with fields still marked red")
    withdrawn_reason: WithdrawReason | None = None
    send: SendState | None = Field(None, description="发送: the latest send asked for and its answer")
    audit: list[AuditEntry] = Field(default_factory=list)

    @model_validator(mode="before")
    @classmethod
    def _updated_at_least_when_submitted(cls, data: Any) -> Any:
        # Tasks stored before the list had 最近操作时间 were last changed, at the earliest, when submitted.
        if isinstance(data, dict) and data.get("updated_at") is None and "submitted_at" in data:
            return {**data, "updated_at": data["submitted_at"]}
        return data

    @field_validator("submitted_at", "updated_at")
    @classmethod
    def _in_utc(cls, moment: datetime) -> datetime:
        return moment.astimezone(UTC) if moment.tzinfo else moment.replace(tzinfo=UTC)

    @field_serializer("submitted_at", "updated_at", when_used="json")
    def _sortable(self, moment: datetime) -> str:
        return _utc_text(moment)

    def field_marks(self) -> list[FieldMark]:
        return [m.as_field_mark() for m in self.marks]

    def mark_of(self, field_path: str) -> Mark | None:
        return next((m for m in self.marks if m.field_path == field_path), None)


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


def started_event_id(task: ReviewTask) -> str:
    return deterministic_id("started", task.review_id)


def withdrawn_event_id(task: ReviewTask) -> str:
    return deterministic_id("withdrawn", task.review_id)


def marked_event_id(task: ReviewTask, field_path: str) -> str:
    """One FieldMarked per field and task version: a republished one carries the same id."""
    return deterministic_id("marked", task.review_id, str(task.version), field_path)


# ------------------------------------------------------------------------------------------------- steps


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


def _new_mark(task: ReviewTask, mark: FieldMark, user_id: str, now: datetime) -> Mark:
    parse_path(mark.field_path, task.document)
    value = value_at(task.document, mark.field_path)
    return Mark(**mark.model_dump(), marked_by=user_id, marked_at=now, value=value)


def _attributed(
    task: ReviewTask, marks: Sequence[FieldMark], user_id: str, now: datetime
) -> tuple[list[Mark], list[MarkChange]]:
    """The new set of marks and what changed: an unchanged mark keeps who set it and when (and a stale flag);
    a new or changed one is the current reviewer's."""
    kept = {m.as_field_mark(): m for m in task.marks}
    wanted = [FieldMark(field_path=m.field_path, verdict=m.verdict, comment=m.comment) for m in marks]
    new = [kept.get(m) or _new_mark(task, m, user_id, now) for m in unique_paths(wanted)]
    changes = changes_between(
        {m.field_path: (m.verdict, m.comment) for m in task.marks},
        {m.field_path: (m.verdict, m.comment) for m in new},
    )
    return new, changes


def _step(
    task: ReviewTask,
    action: str,
    by: str,
    now: datetime,
    changes: Sequence[MarkChange] = (),
    *,
    with_marks: bool = True,
    **updates: object,
) -> ReviewTask:
    version = task.version + 1
    changed = task.model_copy(update={**updates, "version": version, "updated_at": now})
    entry = AuditEntry(
        at=now,
        by=by,
        action=action,
        version=version,
        comment=changed.comment if with_marks else None,
        marks=changed.field_marks() if with_marks else [],
        changes=[MarkChangeEntry(**vars(c)) for c in changes],
    )
    return changed.model_copy(update={"audit": [*task.audit, entry]})


def replace_marks(
    task: ReviewTask, marks: Sequence[FieldMark], *, reviewer: Reviewer, now: datetime
) -> tuple[ReviewTask, list[MarkChange]]:
    """The whole set of marks replaced (PUT): one task version, one change per field that changed."""
    _ensure_may_review(task, reviewer)
    marks_now, changes = _attributed(task, marks, reviewer.user_id, now)
    if not changes:
        return task, []
    return _step(task, "marks", reviewer.user_id, now, changes, marks=marks_now), changes


def mark_field(
    task: ReviewTask,
    field_path: str,
    action: MarkAction,
    *,
    comment: str | None,
    reviewer: Reviewer,
    now: datetime,
) -> tuple[ReviewTask, list[MarkChange]]:
    """One field's mark set or cycled (one task version, one change); the same state and comment again is
    no change (the task is answered as it is). Unmarking drops the mark; a comment only stays on a mark."""
    _ensure_may_review(task, reviewer)
    parse_path(field_path, task.document)
    current = task.mark_of(field_path)
    before: MarkState = "unmarked" if current is None else current.state
    after = next_state(before, action)
    comment = (comment or "").strip() or None if after != "unmarked" else None
    if (
        before == after
        and (current is None or current.comment == comment)
        and not (current and current.stale)
    ):
        return task, []
    others = [m for m in task.marks if m.field_path != field_path]
    if after != "unmarked":
        others.append(
            _new_mark(
                task, FieldMark(field_path=field_path, verdict=after, comment=comment), reviewer.user_id, now
            )
        )
    change = MarkChange(field_path, before, after, comment)
    return _step(task, "mark", reviewer.user_id, now, [change], with_marks=False, marks=others), [change]


def approve(
    task: ReviewTask,
    *,
    reviewer: Reviewer,
    comment: str | None,
    now: datetime,
    override_reason: str | None = None,
) -> ReviewTask:
    """审核通过; refused while fields are marked red unless `override_reason` says why (domain.approval)."""
    _ensure_may_review(task, reviewer)
    override = override_for(task.field_marks(), override_reason)
    return _step(
        task,
        "approve",
        reviewer.user_id,
        now,
        status=ReviewStatus.APPROVED,
        decided_by=reviewer.user_id,
        decided_at=now,
        comment=(comment or "").strip() or None,
        override_reason=override,
    )


def reject(
    task: ReviewTask,
    *,
    reviewer: Reviewer,
    comment: str,
    marks: Sequence[FieldMark] | None,
    now: datetime,
) -> tuple[ReviewTask, list[MarkChange]]:
    """退回 needs a reason; marks sent with it replace the saved ones, otherwise the saved ones stay."""
    _ensure_may_review(task, reviewer)
    if not comment.strip():
        raise InvalidDecision(
            "review.comment_required",
            "退回必须填写退回原因（comment）",
            "A returned review needs a reason (comment)",
            field="comment",
        )
    kept, changes = (task.marks, []) if marks is None else _attributed(task, marks, reviewer.user_id, now)
    rejected = _step(
        task,
        "reject",
        reviewer.user_id,
        now,
        changes,
        status=ReviewStatus.REJECTED,
        marks=kept,
        decided_by=reviewer.user_id,
        decided_at=now,
        comment=comment.strip(),
    )
    return rejected, changes


def withdraw(task: ReviewTask, reason: WithdrawReason, *, now: datetime) -> ReviewTask | None:
    """A pending task withdrawn (its declaration was deleted or changed version outside review); None when
    the task is no longer pending (decided, or withdrawn already: a redelivery)."""
    if task.status is not ReviewStatus.PENDING:
        return None
    return _step(
        task,
        "withdrawn",
        "system",
        now,
        with_marks=False,
        status=ReviewStatus.WITHDRAWN,
        withdrawn_reason=reason,
    )


def outcome(task: ReviewTask) -> ReviewOutcome:
    """The event a decided task publishes (the declaration service moves the declaration on it)."""
    event_class: type[ReviewOutcome] = (
        ReviewApproved if task.status is ReviewStatus.APPROVED else ReviewRejected
    )
    assert task.status in (ReviewStatus.APPROVED, ReviewStatus.REJECTED)
    assert task.decided_by is not None and task.decided_at is not None
    return event_class(
        **task.model_dump(include={"review_id", "declaration_id", "declaration_version", "comment"}),
        reviewer=task.decided_by,
        decided_at=task.decided_at,
        marks=task.field_marks(),
        **({"override_reason": task.override_reason} if task.status is ReviewStatus.APPROVED else {}),
    )
