"""The 核注清单 read model's rows (核注清单查询): what sync's events make of a list's row. Pure: no I/O.

A row keeps the two inputs it is built from, and every event is applied by merging into them and deriving the
columns again, so the row does not depend on the order its events arrive in and an event seen twice changes
nothing:
- `sw`: the newest record the Single Window gave for the list (the BondedListSynced with the highest
  sw_version; the same or a lower version changes nothing);
- `receipts`: the INV201/INV202 receipts received for it (BondedListReceiptReceived), one per receipt_id,
  oldest notice first.

The columns the list is searched by and shows:
- `list_stat` / `note` / `status_at`: from the newest INV201 whose notice is newer than the synced record's
  最近操作时间 (sw_updated_at), else from the synced record (note: its newest Single Window receipt's);
- `bond_invt_no`: the synced record's, else the newest receipt's that names one;
- `entry_seq_no`: the 报关单统一编号 of the newest INV202 that generated one (manage_result not 2 失败);
- `ie_flag` / `trade_name` (经营企业名称) / `data_source`: the synced head's, else the newest receipt's.

A receipt of a list not synced yet makes the list's row anyway (no `sw`), so nothing is lost: keyed by the
统一编号 when the receipt names one, else by its 清单编号 alone — a placeholder row that the list's own row
absorbs (its receipts merged, the placeholder deleted) as soon as the list's row knows that 清单编号.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from typing import Any, Literal

from pydantic import BaseModel, Field

from guanwu.contracts.declaration import BondedList
from guanwu.contracts.envelope import Envelope
from guanwu.contracts.events import BondedListReceiptReceived, BondedListSynced
from guanwu.contracts.events.base import Event
from guanwu.contracts.events.sync import SyncedReceipt
from guanwu.contracts.sync import BONDED_LIST_STATUS_NAMES
from guanwu.platform.refusal import InvalidRequest

Document = dict[str, Any]

MAX_RECEIPTS = 200
"""Receipts a row keeps (the newest); a 核注清单 gets a handful, the bound keeps a faulty feed from growing a
row without end."""

SINGLE_WINDOW_TIME = timezone(timedelta(hours=8), "北京时间")
"""How a time without an offset is read: the Single Window's clock, Beijing time."""

FILTERABLE = ("bond_invt_no", "seq_no", "list_stat", "ie_flag", "data_source", "trade_name")
"""The columns the list can be filtered by (exact match); 最近操作时间 is a range (`BondedListSearch`)."""

GENERATION_FAILED = "2"
"""INV202 manageResult: 2 生成失败 (1 生成成功)."""


def aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=SINGLE_WINDOW_TIME)


def utc_text(moment: datetime) -> str:
    """Times are stored as fixed-width UTC text, whose order is the times' order (ranges, sorting)."""
    return aware(moment).astimezone(UTC).isoformat(timespec="microseconds")


@dataclass(frozen=True)
class RowKey:
    """Which row an event goes to: the list's own (by 统一编号) or, with no 统一编号 known, a placeholder by its
    清单编号. Rows of different tenants never share an id."""

    tenant: str
    seq_no: str | None = None
    bond_invt_no: str | None = None

    @property
    def doc_id(self) -> str:
        if self.seq_no:
            return f"{self.tenant}:seq:{self.seq_no}"
        return f"{self.tenant}:invt:{self.bond_invt_no}"


@dataclass(frozen=True)
class SyncedRecord:
    """What a BondedListSynced brings: the list as the Single Window holds it at `sw["sw_version"]`."""

    tenant: str
    seq_no: str
    bond_invt_no: str | None
    sw: Document


@dataclass(frozen=True)
class ListReceipt:
    """What a BondedListReceiptReceived brings: one receipt of the list it names."""

    tenant: str
    seq_no: str | None
    bond_invt_no: str | None
    receipt: Document


Change = SyncedRecord | ListReceipt


def change_of(envelope: Envelope, event: Event) -> Change | None:
    """The change an event makes; None for a receipt that names no list (neither number)."""
    if isinstance(event, BondedListSynced):
        return synced_record(envelope.tenant, event)
    assert isinstance(event, BondedListReceiptReceived)
    if not (event.seq_no or event.bond_invt_no):
        return None
    receipt = {
        **event.model_dump(mode="json", exclude_none=True),
        "notice_date": utc_text(event.notice_date),
    }
    return ListReceipt(envelope.tenant, event.seq_no, event.bond_invt_no, receipt)


def synced_record(tenant: str, event: BondedListSynced) -> SyncedRecord:
    head = event.bonded_list.head
    bond_invt_no = event.bond_invt_no or head.bond_invt_no
    sw = {
        "seq_no": event.seq_no,
        "bond_invt_no": bond_invt_no,
        "list_stat": event.list_stat or head.list_stat,
        "data_source": event.data_source,
        "sw_version": event.sw_version,
        "sw_updated_at": utc_text(event.sw_updated_at),
        "job_id": event.job_id,
        "bonded_list": event.bonded_list.model_dump(mode="json", exclude_none=True),
        "receipts": [
            {**r.model_dump(mode="json"), "notice_date": utc_text(r.notice_date)} for r in event.receipts
        ],
    }
    return SyncedRecord(tenant, event.seq_no, bond_invt_no, sw)


def merged_row(
    key: RowKey, stored: Document | None, changes: Iterable[Change], absorbed: Iterable[Document] = ()
) -> Document:
    """The row after `changes` (and the receipts of the placeholder rows it `absorbed`), without `_version`."""
    sw: Document | None = stored.get("sw") if stored else None
    receipts = {r["receipt_id"]: r for r in (stored or {}).get("receipts", [])}
    for placeholder in absorbed:
        for receipt in placeholder.get("receipts", []):
            receipts.setdefault(receipt["receipt_id"], receipt)
    for change in changes:
        if isinstance(change, SyncedRecord):
            if sw is None or change.sw["sw_version"] > sw["sw_version"]:
                sw = change.sw
        else:
            receipts.setdefault(change.receipt["receipt_id"], change.receipt)
    ordered = sorted(receipts.values(), key=lambda r: (r["notice_date"], r["receipt_id"]))[-MAX_RECEIPTS:]
    return {"_id": key.doc_id, **columns(key, sw, ordered), "sw": sw, "receipts": ordered}


def columns(key: RowKey, sw: Document | None, receipts: Sequence[Document]) -> Document:
    """The columns derived from a row's inputs (`receipts` oldest first)."""
    head = sw["bonded_list"]["head"] if sw else {}
    return {
        "tenant": key.tenant,
        "seq_no": key.seq_no,
        "bond_invt_no": (sw or {}).get("bond_invt_no")
        or _newest(receipts, "bond_invt_no")
        or key.bond_invt_no,
        **_status(sw, receipts),
        "data_source": sw["data_source"] if sw else None,
        "ie_flag": head.get("impexp_markcd") or _newest(receipts, "ie_flag"),
        "trade_name": head.get("bizop_etps_nm") or _newest(receipts, "trade_name"),
        "sw_version": sw["sw_version"] if sw else None,
        "sw_updated_at": sw["sw_updated_at"] if sw else None,
        "entry_seq_no": _newest(
            [
                r
                for r in receipts
                if r["message_type"] == "INV202" and r.get("manage_result") != GENERATION_FAILED
            ],
            "entry_seq_no",
        ),
        "synced": sw is not None,
    }


def _status(sw: Document | None, receipts: Sequence[Document]) -> Document:
    audits = [r for r in receipts if r["message_type"] == "INV201" and r.get("list_stat")]
    newest = audits[-1] if audits else None
    if newest is not None and (sw is None or newest["notice_date"] > sw["sw_updated_at"]):
        stat, note, at = newest["list_stat"], newest.get("note"), newest["notice_date"]
    elif sw is not None:
        history = sw.get("receipts") or []
        stat, note, at = (
            sw.get("list_stat"),
            (history[-1].get("note") if history else None),
            sw["sw_updated_at"],
        )
    else:
        stat, note, at = None, None, None
    return {
        "list_stat": stat,
        "list_stat_name": BONDED_LIST_STATUS_NAMES.get(stat or ""),
        "note": note,
        "status_at": at,
    }


def _newest(receipts: Sequence[Document], field: str) -> Any:
    return next((r[field] for r in reversed(receipts) if r.get(field)), None)


# ------------------------------------------------------------------------------------------------ reading


class InvalidRange(InvalidRequest):
    """A 最近操作时间 range that ends before it starts (HTTP 422)."""

    def __init__(self) -> None:
        super().__init__(
            "query.invalid_range",
            "最近操作时间范围有误：结束时间（updated_to）须晚于开始时间（updated_from）",
            "最近操作时间: updated_to must be after updated_from",
            field="updated_to",
        )


class TimeOutOfRange(InvalidRequest):
    """A time that has no UTC equivalent (year 1 or 9999 with an offset that pushes it past the calendar)."""

    def __init__(self, field: str) -> None:
        super().__init__(
            "query.time_out_of_range",
            f"{field}：时间超出可表示的范围",
            f"{field}: the time is out of range once converted to UTC",
            field=field,
        )


@dataclass(frozen=True)
class BondedListSearch:
    """What the list is filtered by; None matches anything. 最近操作时间 (sw_updated_at) from inclusive, to
    exclusive; a time without an offset is Beijing time. Rows not synced yet have no 最近操作时间, so a range
    leaves them out."""

    bond_invt_no: str | None = None
    seq_no: str | None = None
    list_stat: str | None = None
    ie_flag: str | None = None
    data_source: str | None = None
    trade_name: str | None = None
    updated_from: datetime | None = None
    updated_to: datetime | None = None

    def __post_init__(self) -> None:
        for name in ("updated_from", "updated_to"):
            moment = getattr(self, name)
            try:
                _ = moment is not None and utc_text(moment)
            except OverflowError:
                raise TimeOutOfRange(name) from None
        if self.updated_from and self.updated_to and aware(self.updated_to) <= aware(self.updated_from):
            raise InvalidRange()


class BondedListReceipt(BaseModel):
    """A 核注清单 receipt received (INV201 审核回执 / INV202 生成报关单回执)."""

    receipt_id: str
    message_type: Literal["INV201", "INV202"]
    notice_date: datetime
    seq_no: str | None = None
    bond_invt_no: str | None = None
    list_stat: str | None = None
    manage_result: str | None = None
    entry_seq_no: str | None = None
    note: str | None = None
    ie_flag: str | None = None
    trade_name: str | None = None


class BondedListRow(BaseModel):
    """One 核注清单 in the list: its numbers, status and 最近操作时间."""

    seq_no: str | None = Field(
        default=None, description="预录入统一编号; none while only a receipt naming its 清单编号 is known"
    )
    bond_invt_no: str | None = Field(default=None, description="清单编号 QD…")
    list_stat: str | None = Field(default=None, description="数据状态: " + str(BONDED_LIST_STATUS_NAMES))
    list_stat_name: str | None = Field(default=None, description="数据状态 in words")
    note: str | None = Field(default=None, description="审批意见 of the receipt that set the status")
    status_at: datetime | None = Field(default=None, description="When the status was set (receipt or sync)")
    data_source: str | None = Field(default=None, description="数据源: 1 单一窗口录入, 2 报文导入")
    ie_flag: str | None = Field(default=None, description="进出口标志 I/E")
    trade_name: str | None = Field(default=None, description="经营企业名称")
    sw_version: int | None = Field(
        default=None, description="The Single Window's version synced; none: not yet"
    )
    sw_updated_at: datetime | None = Field(default=None, description="最近操作时间 at the Single Window")
    entry_seq_no: str | None = Field(default=None, description="生成的报关单统一编号 (INV202)")
    synced: bool = Field(description="Whether the list itself has been synced (else only receipts are known)")


class BondedListDetail(BondedListRow):
    """A whole 核注清单: its row, the list as synced (head and goods), and its receipts."""

    bonded_list: BondedList | None = Field(default=None, description="表头 and 表体 as synced; none: not yet")
    sw_receipts: list[SyncedReceipt] = Field(
        default_factory=list, description="回执 the Single Window listed with the synced record, oldest first"
    )
    receipts: list[BondedListReceipt] = Field(
        default_factory=list, description="INV201/INV202 receipts received, oldest first"
    )


def row_of(doc: Document) -> BondedListRow:
    return BondedListRow.model_validate(doc)


def detail_of(doc: Document) -> BondedListDetail:
    sw = doc.get("sw") or {}
    return BondedListDetail.model_validate(
        {
            **{k: v for k, v in doc.items() if k not in ("sw", "receipts")},
            "bonded_list": sw.get("bonded_list"),
            "sw_receipts": sw.get("receipts", []),
            "receipts": doc.get("receipts", []),
        }
    )
