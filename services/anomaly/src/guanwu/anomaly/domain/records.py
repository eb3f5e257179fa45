"""Anomaly records (异常状态登记): 报关单异常 and 核注清单异常. Pure: no I/O.

A record is registered (by hand, 新增, or from a receipt), edited (修改, If-Match), moves through its handling
states (变更状态: 未处理 → 处理中 → 已处理, back with a reason) and may be deleted (删除: soft, kept for audit).
Every step returns the next record — its version one higher and one more entry in its history — together with
the event that announces it; the events carry the record's statistical facts before and after.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from guanwu.contracts.events import AnomalyRegistered, DeleteReceiptReceived
from guanwu.contracts.events.anomaly import (
    AnomalyChanged,
    AnomalyDeleted,
    AnomalyFacts,
    AnomalyStatusChanged,
    FieldChange,
)
from guanwu.customs.identifiers import validate_bond_invt_no, validate_entry_id
from guanwu.platform import ids
from guanwu.platform.refusal import InvalidRequest, Refusal

new_anomaly_id = ids.new_id
"""A record entered by hand gets a fresh id; one derived from a receipt gets `anomaly_id_for_receipt`."""

SYSTEM = "system"
"""Who registered a record made from a receipt."""


def anomaly_id_for_receipt(tenant: str, receipt_id: str) -> str:
    """The id of the 删单 record of one receipt: a redelivered receipt finds its record under it."""
    return ids.deterministic_id("delete-receipt", tenant, receipt_id)


def registered_event_id(anomaly_id: str) -> str:
    """The id of a receipt-derived record's AnomalyRegistered, the same on every redelivery."""
    return ids.deterministic_id("registered", anomaly_id)


def change_event_id(anomaly_id: str, version: int) -> str:
    """The id of the event announcing a record's `version` (after an edit, a status change, a deletion)."""
    return ids.deterministic_id("anomaly-change", anomaly_id, str(version))


class AnomalyCategory(StrEnum):
    DECLARATION = "declaration"  # 报关单异常
    BONDED_LIST = "bonded_list"  # 核注清单异常


class AnomalyType(StrEnum):
    DELETE = "删单"
    MODIFY_OR_DELETE = "删改单"
    INSPECTION = "查验"
    RETURNED = "退单"
    OTHER = "其他"


class HandlingStatus(StrEnum):
    OPEN = "未处理"
    IN_PROGRESS = "处理中"
    DONE = "已处理"


STATUS_ORDER = {HandlingStatus.OPEN: 0, HandlingStatus.IN_PROGRESS: 1, HandlingStatus.DONE: 2}
"""变更状态 moves one step forward (未处理 → 处理中 → 已处理), or back any number of steps with a reason."""


class AnomalyFields(BaseModel):
    """The 异常登记 form's fields that 修改 may change (starred fields are required in the seed's screen)."""

    model_config = ConfigDict(extra="forbid")

    document_no: str = Field(min_length=1, max_length=18, description="*报关单号 / 核注清单编号")
    trade_name: str | None = Field(None, max_length=100, description="境内收发货人")
    ie_flag: str | None = Field(None, pattern="^[IE]$", description="进出口 (I/E)")
    client_name: str | None = Field(None, max_length=100, description="委托企业")
    anomaly_type: AnomalyType = Field(description="*异常类型")
    occurred_on: date = Field(description="*发生日期")
    responsible_post: str | None = Field(None, max_length=50, description="责任岗位")
    responsible_person: str | None = Field(None, max_length=50, description="责任人")
    penalized: bool | None = Field(None, description="海关是否处罚")
    penalty_target: str | None = Field(None, max_length=100, description="处罚对象")
    completed_on: date | None = Field(None, description="完成日期 (only, and required, at 已处理)")
    reason: str | None = Field(None, max_length=500, description="异常原因")


class AnomalyEdit(AnomalyFields):
    """修改: the whole form again, without 类别 (fixed) and 处理状态 (变更状态 changes it)."""


class AnomalyInput(AnomalyFields):
    """新增: the 异常登记 form (starred fields are required in the seed's screen)."""

    category: AnomalyCategory = Field(AnomalyCategory.DECLARATION, description="报关单异常 / 核注清单异常")
    handling_status: HandlingStatus = Field(HandlingStatus.OPEN, description="*处理状态")


class HistoryAction(StrEnum):
    REGISTERED = "registered"  # 登记
    CHANGED = "changed"  # 修改
    STATUS_CHANGED = "status_changed"  # 变更状态
    DELETED = "deleted"  # 删除


class HistoryEntry(BaseModel):
    """One change of a record: who, when, what, each changed field before and after."""

    version: int = Field(ge=1, description="The record's version after the change")
    at: datetime
    by: str = Field(description="user id, or `system`")
    action: HistoryAction
    changes: list[FieldChange] = Field(default_factory=list)
    reason: str | None = Field(None, description="Why (a reopening's or a deletion's reason)")


class AnomalyRecord(AnomalyInput):
    """A record as the API shows it."""

    model_config = ConfigDict(extra="ignore")

    anomaly_id: str
    tenant: str
    version: int = Field(1, ge=1, description="Also the ETag: send it as If-Match to change the record")
    registered_at: datetime
    registered_by: str = Field(description="user id, or `system` for automatic records")
    source_receipt_id: str | None = None
    updated_at: datetime | None = None
    updated_by: str | None = None


class Anomaly(AnomalyRecord):
    """A record as it is kept: also its history and, once deleted, who deleted it, when and why."""

    deleted_at: datetime | None = None
    deleted_by: str | None = None
    delete_reason: str | None = None
    history: list[HistoryEntry] = Field(default_factory=list)


class SortField(StrEnum):
    """What the list may be sorted by."""

    OCCURRED_ON = "occurred_on"
    REGISTERED_AT = "registered_at"
    COMPLETED_ON = "completed_on"
    UPDATED_AT = "updated_at"
    DOCUMENT_NO = "document_no"
    ANOMALY_TYPE = "anomaly_type"
    HANDLING_STATUS = "handling_status"
    TRADE_NAME = "trade_name"
    RESPONSIBLE_PERSON = "responsible_person"


@dataclass(frozen=True)
class AnomalySearch:
    """What the list is filtered by; None matches anything. Text matches exactly; date ranges are inclusive
    (`occurred_*` bound 发生日期, `completed_*` 完成日期); `ids` are the rows a user selected."""

    category: AnomalyCategory | None = None
    document_no: str | None = None
    trade_name: str | None = None
    ie_flag: str | None = None
    client_name: str | None = None
    anomaly_type: AnomalyType | None = None
    occurred_from: date | None = None
    occurred_to: date | None = None
    responsible_post: str | None = None
    responsible_person: str | None = None
    penalized: bool | None = None
    handling_status: HandlingStatus | None = None
    completed_from: date | None = None
    completed_to: date | None = None
    ids: tuple[str, ...] = ()


@dataclass(frozen=True)
class AnomalyOrder:
    """The list's order: by `field`, then by latest registration."""

    field: SortField = SortField.OCCURRED_ON
    descending: bool = True


# ── refusals ───────────────────────────────────────────────────────────────────────────────────────────


class InvalidField(InvalidRequest):
    """A field the form's rules refuse (422, naming the field; the position of a wrong character)."""

    def __init__(self, field: str, zh: str, en: str, *, position: int | None = None) -> None:
        super().__init__(f"anomaly.invalid_{field}", zh, en, field=field, position=position)


class StatusRefused(Refusal):
    """变更状态 the state machine does not allow (409)."""

    def __init__(self, code: str, zh: str, en: str, *, current: HandlingStatus, target: HandlingStatus):
        super().__init__(f"anomaly.{code}", zh, en, current_status=current.value, to_status=target.value)


def check_document_no(category: AnomalyCategory, document_no: str, ie_flag: str | None) -> None:
    """报关单号 is a 海关编号 (18 digits, its 9th the 进出口 digit); 核注清单编号 a QD… number: the kernel's
    identifier rules say which character is wrong."""
    if category is AnomalyCategory.DECLARATION:
        check = validate_entry_id(document_no, ie_flag=ie_flag)
    else:
        check = validate_bond_invt_no(document_no)
    if not check.ok:
        raise InvalidField("document_no", check.reason_zh, check.reason_en, position=check.position)


def check_completion(status: HandlingStatus, occurred_on: date, completed_on: date | None) -> None:
    """完成日期 is required at 已处理, only there, and never before 发生日期."""
    if status is HandlingStatus.DONE and completed_on is None:
        raise InvalidField(
            "completed_on",
            "处理状态为已处理时必须填写完成日期",
            "The completion date (完成日期) is required when the status is 已处理 (done)",
        )
    if status is not HandlingStatus.DONE and completed_on is not None:
        raise InvalidField(
            "completed_on",
            f"处理状态为{status.value}时不能填写完成日期",
            f"A completion date (完成日期) is only given at 已处理 (done), not at {status.value}",
        )
    if completed_on is not None and completed_on < occurred_on:
        raise InvalidField(
            "completed_on",
            f"完成日期 {completed_on} 不能早于发生日期 {occurred_on}",
            f"The completion date {completed_on} is before the occurrence date (发生日期) {occurred_on}",
        )


# ── steps ──────────────────────────────────────────────────────────────────────────────────────────────


def facts_of(anomaly: Anomaly) -> AnomalyFacts:
    """What the statistics count the record by."""
    return AnomalyFacts(
        category=anomaly.category.value,
        anomaly_type=anomaly.anomaly_type.value,
        occurred_on=anomaly.occurred_on,
        responsible_post=anomaly.responsible_post,
        responsible_person=anomaly.responsible_person,
        penalized=anomaly.penalized,
        handling_status=anomaly.handling_status.value,
    )


def registration_entry(by: str, at: datetime) -> HistoryEntry:
    """The first entry of every record's history."""
    return HistoryEntry(version=1, at=at, by=by, action=HistoryAction.REGISTERED)


def anomaly_entered(
    form: AnomalyInput, *, anomaly_id: str, tenant: str, user_id: str, now: datetime
) -> Anomaly:
    """新增: a record entered by hand, its 报关单号 / 清单编号 and 完成日期 checked."""
    check_document_no(form.category, form.document_no, form.ie_flag)
    check_completion(form.handling_status, form.occurred_on, form.completed_on)
    return Anomaly(
        **form.model_dump(),
        anomaly_id=anomaly_id,
        tenant=tenant,
        registered_at=now,
        registered_by=user_id,
        history=[registration_entry(user_id, now)],
    )


def anomaly_for_delete_receipt(receipt: DeleteReceiptReceived, *, tenant: str, now: datetime) -> Anomaly:
    """The record the seed asks for: 删单状态的报关单，在接收到海关删单回执时，系统自动生成一条异常状态记录."""
    return Anomaly(
        anomaly_id=anomaly_id_for_receipt(tenant, receipt.receipt_id),
        tenant=tenant,
        category=AnomalyCategory.DECLARATION,
        document_no=receipt.entry_id or receipt.seq_no or receipt.receipt_id[:18],
        trade_name=receipt.trade_name,
        ie_flag=receipt.ie_flag if receipt.ie_flag in ("I", "E") else None,
        anomaly_type=AnomalyType.DELETE,
        occurred_on=receipt.notice_date.date(),
        handling_status=HandlingStatus.OPEN,
        reason=receipt.note,
        registered_at=now,
        registered_by=SYSTEM,
        source_receipt_id=receipt.receipt_id,
        history=[registration_entry(SYSTEM, now)],
    )


def registered(anomaly: Anomaly) -> AnomalyRegistered:
    """The event announcing a new record."""
    return AnomalyRegistered(
        anomaly_id=anomaly.anomaly_id,
        version=anomaly.version,
        category=anomaly.category.value,
        document_no=anomaly.document_no,
        anomaly_type=anomaly.anomaly_type.value,
        occurred_on=anomaly.occurred_on,
        handling_status=anomaly.handling_status.value,
        source_receipt_id=anomaly.source_receipt_id,
        facts=facts_of(anomaly),
    )


def _text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, date):
        return value.isoformat()
    return str(value.value if isinstance(value, StrEnum) else value)


def _changes(before: Anomaly, after: Anomaly, fields: list[str]) -> list[FieldChange]:
    return [
        FieldChange(field=name, before=_text(getattr(before, name)), after=_text(getattr(after, name)))
        for name in fields
        if getattr(before, name) != getattr(after, name)
    ]


def _next(anomaly: Anomaly, entry: HistoryEntry, **update: Any) -> Anomaly:
    return anomaly.model_copy(
        update={
            **update,
            "version": entry.version,
            "updated_at": entry.at,
            "updated_by": entry.by,
            "history": [*anomaly.history, entry],
        }
    )


def edited(
    anomaly: Anomaly, form: AnomalyEdit, *, user_id: str, now: datetime
) -> tuple[Anomaly, AnomalyChanged] | None:
    """修改: the record with the form's values, or None when the form changes nothing. A changed 报关单号 or
    进出口 is checked with the identifier rules (a receipt's record may hold a number the rules refuse until
    someone corrects it); 完成日期 keeps its rules against the record's 处理状态."""
    values = form.model_dump()
    if (form.document_no, form.ie_flag) != (anomaly.document_no, anomaly.ie_flag):
        check_document_no(anomaly.category, form.document_no, form.ie_flag)
    check_completion(anomaly.handling_status, form.occurred_on, form.completed_on)
    candidate = anomaly.model_copy(update=values)
    changes = _changes(anomaly, candidate, list(AnomalyEdit.model_fields))
    if not changes:
        return None
    entry = HistoryEntry(
        version=anomaly.version + 1, at=now, by=user_id, action=HistoryAction.CHANGED, changes=changes
    )
    after = _next(anomaly, entry, **values)
    event = AnomalyChanged(
        anomaly_id=anomaly.anomaly_id,
        version=after.version,
        before=facts_of(anomaly),
        after=facts_of(after),
        changed_by=user_id,
        changed_at=now,
        changes=changes,
    )
    return after, event


class StatusChange(BaseModel):
    """变更状态: the next 处理状态; 完成日期 at 已处理; a reason to go back (reopen)."""

    model_config = ConfigDict(extra="forbid")

    to_status: HandlingStatus = Field(description="The new 处理状态")
    completed_on: date | None = Field(None, description="完成日期: required at 已处理, not before 发生日期")
    reason: str | None = Field(None, min_length=1, max_length=500, description="Why; required to go back")


def check_transition(current: HandlingStatus, change: StatusChange) -> None:
    """Forward (a matter settled at once may go straight to 已处理), or back with a reason."""
    target = change.to_status
    step = STATUS_ORDER[target] - STATUS_ORDER[current]
    if step == 0:
        raise StatusRefused(
            "status_unchanged",
            f"处理状态已是{current.value}",
            f"The record is already {current.value}",
            current=current,
            target=target,
        )
    if step < 0 and not (change.reason and change.reason.strip()):
        raise InvalidField(
            "reason",
            f"从{current.value}退回{target.value}必须填写原因",
            f"Going back from {current.value} to {target.value} needs a reason",
        )


def status_changed(
    anomaly: Anomaly, change: StatusChange, *, user_id: str, now: datetime
) -> tuple[Anomaly, AnomalyStatusChanged]:
    """变更状态 through the state machine; leaving 已处理 clears 完成日期."""
    current = anomaly.handling_status
    check_transition(current, change)
    check_completion(change.to_status, anomaly.occurred_on, change.completed_on)
    update = {"handling_status": change.to_status, "completed_on": change.completed_on}
    candidate = anomaly.model_copy(update=update)
    entry = HistoryEntry(
        version=anomaly.version + 1,
        at=now,
        by=user_id,
        action=HistoryAction.STATUS_CHANGED,
        changes=_changes(anomaly, candidate, ["handling_status", "completed_on"]),
        reason=change.reason,
    )
    after = _next(anomaly, entry, **update)
    event = AnomalyStatusChanged(
        anomaly_id=anomaly.anomaly_id,
        version=after.version,
        before=facts_of(anomaly),
        after=facts_of(after),
        changed_by=user_id,
        changed_at=now,
        from_status=current.value,
        to_status=change.to_status.value,
        completed_on=change.completed_on,
        reason=change.reason,
    )
    return after, event


def deleted(anomaly: Anomaly, *, user_id: str, now: datetime, reason: str) -> tuple[Anomaly, AnomalyDeleted]:
    """删除: the record leaves the lists and is kept, with who deleted it, when and why."""
    entry = HistoryEntry(
        version=anomaly.version + 1, at=now, by=user_id, action=HistoryAction.DELETED, reason=reason
    )
    after = _next(anomaly, entry, deleted_at=now, deleted_by=user_id, delete_reason=reason)
    facts = facts_of(anomaly)
    event = AnomalyDeleted(
        anomaly_id=anomaly.anomaly_id,
        version=after.version,
        before=facts,
        after=facts,
        changed_by=user_id,
        changed_at=now,
        reason=reason,
    )
    return after, event


# ── 列表导出 ───────────────────────────────────────────────────────────────────────────────────────────

CHINA_TIME = timezone(timedelta(hours=8))
"""Excel has no time zones: times are written as the people who register anomalies read them."""

_NUMBER_HEADERS = {
    AnomalyCategory.DECLARATION: "报关单号",
    AnomalyCategory.BONDED_LIST: "核注清单编号",
    None: "报关单号/核注清单编号",
}
_CATEGORY_NAMES = {AnomalyCategory.DECLARATION: "报关单异常", AnomalyCategory.BONDED_LIST: "核注清单异常"}
_IE_NAMES = {"I": "进口", "E": "出口"}
_YES_NO = {True: "是", False: "否"}


def export_headers(category: AnomalyCategory | None) -> list[str]:
    """The sheet's header row, in Chinese as on the 异常登记 screen."""
    return [
        _NUMBER_HEADERS[category],
        "异常类别",
        "境内收发货人",
        "进出口",
        "委托企业",
        "异常类型",
        "发生日期",
        "责任岗位",
        "责任人",
        "海关是否处罚",
        "处罚对象",
        "处理状态",
        "完成日期",
        "异常原因",
        "登记人",
        "登记时间",
    ]


def export_row(anomaly: Anomaly) -> list[str | date | datetime | None]:
    """One record as the sheet's row (the order of `export_headers`): dates stay dates, times in China time."""
    return [
        anomaly.document_no,
        _CATEGORY_NAMES[anomaly.category],
        anomaly.trade_name,
        _IE_NAMES.get(anomaly.ie_flag or ""),
        anomaly.client_name,
        anomaly.anomaly_type.value,
        anomaly.occurred_on,
        anomaly.responsible_post,
        anomaly.responsible_person,
        None if anomaly.penalized is None else _YES_NO[anomaly.penalized],
        anomaly.penalty_target,
        anomaly.handling_status.value,
        anomaly.completed_on,
        anomaly.reason,
        anomaly.registered_by,
        anomaly.registered_at.astimezone(CHINA_TIME).replace(tzinfo=None),
    ]
