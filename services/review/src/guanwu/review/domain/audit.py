"""审核留痕 (F-13): who reviewed which field of which declaration, when — one record per review event, read per
declaration and per reviewer over a period, and exported to xlsx. Pure: no I/O.

Built from review's own events (`review.events.v1`): every FieldMarked (a field's state before and after),
ReviewApproved (with the override reason when fields were still red), ReviewRejected, ReviewStarted and
ReviewWithdrawn, and ReviewSendRequested (发送, `sent`: who asked, when). A record's id derives from the tenant
and the event's id, so a redelivered event writes nothing new.

Times are stored as fixed-width UTC text (`at`), so a period is one range filter on the store.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_serializer, field_validator

from guanwu.contracts.envelope import Envelope
from guanwu.contracts.events import (
    FieldMarked,
    ReviewApproved,
    ReviewRejected,
    ReviewSendRequested,
    ReviewStarted,
    ReviewWithdrawn,
)
from guanwu.contracts.events.base import Event
from guanwu.platform import ids
from guanwu.review.domain.listing import CHINA_TIME

AuditAction = Literal["started", "mark", "approve", "reject", "withdrawn", "sent"]

ACTION_NAMES: dict[str, str] = {
    "started": "开始审核",
    "mark": "字段标记",
    "approve": "审核通过",
    "reject": "审核退回",
    "withdrawn": "撤回",
    "sent": "发送申报",
}
STATE_NAMES = {"unmarked": "未标记", "ok": "正确（绿）", "wrong": "错误（红）"}
SYSTEM = "system"
"""The `reviewer` of records no person caused (a task opened or withdrawn by a declaration event)."""


def utc_text(moment: datetime) -> str:
    """Fixed width, always microseconds, always Z: the stored text sorts and compares like the time."""
    aware = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    return aware.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


class AuditRecord(BaseModel):
    """One reviewer action on one declaration's review."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    record_id: str
    tenant: str
    at: datetime
    reviewer: str = Field(description="审单员 (user id); `system` when a declaration event caused it")
    action: AuditAction
    review_id: str
    declaration_id: str
    declaration_version: int
    task_version: int | None = Field(None, description="The task's version after a mark change")
    field_path: str | None = Field(None, description="The marked field (mark)")
    state_before: str | None = None
    state_after: str | None = None
    comment: str | None = Field(
        None, description="The field's or the decision's comment, the withdrawal reason"
    )
    override_reason: str | None = Field(None, description="Why it was approved with red marks (approve)")
    red_marks: int | None = Field(None, description="Fields marked red when decided (approve, reject)")

    @field_validator("at")
    @classmethod
    def _in_utc(cls, moment: datetime) -> datetime:
        return moment.astimezone(UTC) if moment.tzinfo else moment.replace(tzinfo=UTC)

    @field_serializer("at", when_used="json")
    def _sortable(self, moment: datetime) -> str:
        return utc_text(moment)


def record_id_for(tenant: str, event_id: str) -> str:
    return ids.deterministic_id("review-audit", tenant, event_id)


def _common(envelope: Envelope, event: Any) -> dict[str, Any]:
    return {
        "record_id": record_id_for(envelope.tenant, envelope.id),
        "tenant": envelope.tenant,
        "review_id": event.review_id,
        "declaration_id": event.declaration_id,
        "declaration_version": event.declaration_version,
    }


def audit_record(envelope: Envelope, event: Event) -> AuditRecord | None:
    """The record a review event leaves; None for an event the audit does not keep."""
    common = _common(envelope, event) if hasattr(event, "review_id") else {}
    if isinstance(event, FieldMarked):
        return AuditRecord(
            **common,
            at=event.marked_at,
            reviewer=event.reviewer,
            action="mark",
            task_version=event.task_version,
            field_path=event.field_path,
            state_before=event.state_before,
            state_after=event.state_after,
            comment=event.comment,
        )
    if isinstance(event, ReviewApproved | ReviewRejected):
        red = sum(1 for mark in event.marks if mark.verdict == "wrong")
        override = event.override_reason if isinstance(event, ReviewApproved) else None
        action: AuditAction = "approve" if isinstance(event, ReviewApproved) else "reject"
        return AuditRecord(
            **common,
            at=event.decided_at,
            reviewer=event.reviewer,
            action=action,
            comment=event.comment,
            override_reason=override,
            red_marks=red,
        )
    if isinstance(event, ReviewSendRequested):
        return AuditRecord(**common, at=event.requested_at, reviewer=event.requested_by, action="sent")
    if isinstance(event, ReviewStarted | ReviewWithdrawn):
        reason = event.reason if isinstance(event, ReviewWithdrawn) else None
        started: AuditAction = "started" if isinstance(event, ReviewStarted) else "withdrawn"
        return AuditRecord(**common, at=envelope.time, reviewer=SYSTEM, action=started, comment=reason)
    return None


def stored(record: AuditRecord) -> dict[str, Any]:
    return {"_id": record.record_id, **record.model_dump(mode="json")}


@dataclass(frozen=True)
class AuditSearch:
    """Per declaration, per reviewer, per task or action, over a period of China-time days (inclusive)."""

    declaration_id: str | None = None
    reviewer: str | None = None
    review_id: str | None = None
    action: str | None = None
    field_path: str | None = None
    day_from: date | None = None
    day_to: date | None = None


def _day_start(day: date) -> str:
    return utc_text(datetime.combine(day, time(), CHINA_TIME))


def audit_filter(tenant: str, search: AuditSearch) -> dict[str, Any]:
    query: dict[str, Any] = {"tenant": tenant}
    for name in ("declaration_id", "reviewer", "review_id", "action", "field_path"):
        value = getattr(search, name)
        if value is not None:
            query[name] = value
    bounds: dict[str, str] = {}
    if search.day_from is not None:
        bounds["$gte"] = _day_start(search.day_from)
    if search.day_to is not None:
        bounds["$lt"] = _day_start(search.day_to + timedelta(days=1))
    if bounds:
        query["at"] = bounds
    return query


EXPORT_HEADERS: Sequence[str] = (
    "时间（北京时间）",
    "审单员",
    "操作",
    "系统编号",
    "报关单版本",
    "审核任务",
    "字段",
    "标记前",
    "标记后",
    "意见 / 原因",
    "带红色标记通过的理由",
    "红色标记数",
)


def export_row(record: AuditRecord) -> list[Any]:
    return [
        record.at.astimezone(CHINA_TIME).replace(tzinfo=None),
        record.reviewer,
        ACTION_NAMES[record.action],
        record.declaration_id,
        record.declaration_version,
        record.review_id,
        record.field_path,
        STATE_NAMES.get(record.state_before or "", record.state_before),
        STATE_NAMES.get(record.state_after or "", record.state_after),
        record.comment,
        record.override_reason,
        record.red_marks,
    ]
