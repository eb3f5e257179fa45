"""跟踪报关单动态: the timeline of one declaration — every state change and every receipt, in notice order. Pure.

One entry per declaration event (`<tenant>:<event id>`) and per receipt (`<tenant>:<event id>` of the
ReceiptReceived; `<tenant>:sw:<统一编号>:<channel>:<notice>` of a receipt a synced record listed), so a
redelivered event writes nothing new. A receipt keeps the numbers it named (declaration id, 统一编号, 海关编号):
the timeline of a declaration gathers its own events and the receipts naming any of its numbers, whenever
they arrived — before the declaration's row or after.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, Field

from guanwu.contracts.envelope import Envelope
from guanwu.contracts.events import (
    DeclarationDeclareRequested,
    DeclarationStatusChanged,
    DeclarationSummary,
    DeclarationSynced,
    ReceiptReceived,
)
from guanwu.contracts.events.base import Event
from guanwu.query.domain.bonded_lists import utc_text
from guanwu.query.domain.declarations import ReceiptChange, channel_name

Document = dict[str, Any]

EVENT_LABELS = {
    "DeclarationDrafted": "新建",
    "DeclarationUpdated": "修改暂存",
    "DeclarationDeleted": "删除",
    "DeclarationSubmittedForReview": "提交审核",
    "DeclarationDeclareRequested": "申报",
    "DeclarationStatusChanged": "状态变更",
    "DeclarationSyncedIn": "数据同步",
}


def entry_id(tenant: str, event_id: str) -> str:
    return f"{tenant}:{event_id}"


def event_entry(envelope: Envelope, event: Event) -> Document:
    """The timeline entry of a declaration event: the status it left, who and why."""
    assert isinstance(event, DeclarationSummary)
    name = envelope.type.split(".")[2]
    who = event.prepared_by
    if isinstance(event, DeclarationDeclareRequested):
        who = event.requested_by
    return {
        "_id": entry_id(envelope.tenant, envelope.id),
        "tenant": envelope.tenant,
        "kind": "event",
        "declaration_id": event.declaration_id,
        "seq_no": event.seq_no,
        "entry_id": event.entry_id,
        "at": utc_text(envelope.time),
        "version": event.version,
        "event_type": envelope.type,
        "action": EVENT_LABELS.get(name, name),
        "status": event.status,
        "previous_status": event.previous_status if isinstance(event, DeclarationStatusChanged) else None,
        "cause": event.cause if isinstance(event, DeclarationStatusChanged) else None,
        "who": who if not isinstance(event, DeclarationStatusChanged) else None,
    }


def receipt_entries(envelope: Envelope, event: Event) -> list[Document]:
    """The timeline entries of a receipt: one for a ReceiptReceived, one per receipt a synced record lists."""
    if isinstance(event, ReceiptReceived):
        return [
            _receipt(
                envelope.tenant,
                entry_id(envelope.tenant, envelope.id),
                channel=event.channel,
                notice=event.notice_date,
                note=event.note,
                declaration_id=event.declaration_id,
                seq_no=event.seq_no,
                entry_id=event.entry_id,
            )
        ]
    assert isinstance(event, DeclarationSynced)
    return [
        _receipt(
            envelope.tenant,
            f"{envelope.tenant}:sw:{event.seq_no}:{r.channel}:{utc_text(r.notice_date)}",
            channel=r.channel,
            notice=r.notice_date,
            note=r.note,
            declaration_id=None,
            seq_no=event.seq_no,
            entry_id=event.entry_id,
            enterprise_category=event.enterprise_category,
        )
        for r in event.receipts
    ]


def _receipt(
    tenant: str,
    doc_id: str,
    *,
    channel: str,
    notice: datetime,
    note: str | None,
    declaration_id: str | None,
    seq_no: str | None,
    entry_id: str | None,
    enterprise_category: str | None = None,
) -> Document:
    entry: Document = {
        "_id": doc_id,
        "tenant": tenant,
        "kind": "receipt",
        "declaration_id": declaration_id,
        "seq_no": seq_no,
        "entry_id": entry_id,
        "at": utc_text(notice),
        "channel": channel,
        "channel_name": channel_name(channel),
        "note": note,
        "action": "回执",
    }
    if enterprise_category:
        # The 企业类别 the sync that brought the receipt asked by: a declaration synced again under another
        # category gains it here (the declaration service announces a declaration it knows only once).
        entry["enterprise_category"] = enterprise_category
    return entry


def receipt_change(entry: Document) -> ReceiptChange:
    """What a receipt's entry brings to its declaration's row (申报状态)."""
    return ReceiptChange(
        receipt_id=entry["_id"],
        channel=entry["channel"],
        notice_date=entry["at"],
        note=entry.get("note"),
        enterprise_category=entry.get("enterprise_category"),
    )


def ordered(entries: list[Document]) -> list[Document]:
    """Oldest first, by notice or event time; the version, then the id, break ties. One receipt seen both as a
    ReceiptReceived and in a synced record's list (same CHANNEL, same notice time) is shown once: the one with
    a note, else the first by id."""
    receipts: dict[tuple[str, str], Document] = {}
    kept: list[Document] = []
    for entry in sorted(entries, key=lambda e: (e.get("note") is None, e["_id"])):
        if entry["kind"] != "receipt":
            kept.append(entry)
        elif (entry["channel"], entry["at"]) not in receipts:
            receipts[(entry["channel"], entry["at"])] = entry
            kept.append(entry)
    return sorted(kept, key=lambda e: (_sort_time(e), e.get("version") or 0, e["_id"]))


def _sort_time(entry: Document) -> str:
    """A receipt's NOTICE_DATE has whole seconds: it is placed at the end of its second, since the 申报 that a
    receipt answers (an event with microseconds) often falls within the same second and came first."""
    at: str = entry["at"]
    if entry["kind"] == "receipt" and at[19:26] == ".000000":
        return f"{at[:19]}.999999{at[26:]}"
    return at


class HistoryEntry(BaseModel):
    """One line of 跟踪报关单动态: a state change of the declaration or a receipt from the customs."""

    kind: Literal["event", "receipt"] = Field(description="event: a change in guanwu; receipt: 回执")
    at: datetime = Field(description="When: the event's time, or the receipt's NOTICE_DATE")
    action: str = Field(description="What happened, in words (新建, 提交审核, 申报, 状态变更, 回执 …)")
    status: str | None = Field(default=None, description="系统状态 after the change")
    previous_status: str | None = Field(default=None, description="系统状态 before it (状态变更)")
    cause: str | None = Field(default=None, description="What moved it (状态变更)")
    who: str | None = Field(default=None, description="Who did it (user id), when known")
    version: int | None = Field(default=None, description="The declaration's version after the change")
    event_type: str | None = None
    channel: str | None = Field(default=None, description="回执 CHANNEL code")
    channel_name: str | None = Field(default=None, description="回执 CHANNEL in words")
    note: str | None = Field(default=None, description="回执说明 (e.g. a 删单/退单 reason)")
    seq_no: str | None = None
    entry_id: str | None = None
