"""Receipts (回执) read from the Single Window in their wire formats, and the cursor that says how far each
tenant's feed was read.

A receipt of the feed is one customs message: DEC_RESULT (a declaration's receipt, with its CHANNEL code),
INV201 (a 核注清单's 审核回执, with its 清单状态) or INV202 (the 核注清单's 生成报关单 receipt). `read` turns it
into what sync keeps with the kernel's parsers: a `ReceivedReceipt`, a `BondedListReceipt`, or, when it
cannot be read into what the events need, a `QuarantinedReceipt` with the reason and the raw payload.

Resuming after a crash: the cursor is saved after the receipts it covers, so a crash re-reads some receipts;
every record id derives from the tenant and the receipt id, so they are recognised and nothing is published
(or quarantined) twice.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ValidationError

from guanwu.contracts.events import BondedListReceiptReceived, ReceiptReceived
from guanwu.customs.messages import XmlError
from guanwu.customs.messages.inv101 import (
    HdeApprResult,
    Inv201Receipt,
    Inv202Receipt,
    parse_inv201,
    parse_inv202,
)
from guanwu.customs.messages.receipts import parse_dec_result
from guanwu.platform.ids import deterministic_id
from guanwu.sync.domain.signed_message import BEIJING
from guanwu.sync.domain.single_window import RemoteReceipt

DEC_RESULT = "DEC_RESULT"
BondedListMessage = Literal["INV201", "INV202"]
MESSAGE_TYPES = (DEC_RESULT, "INV201", "INV202")

NOTE_CHARS = 255  # ReceiptReceived.note: a longer NOTE is cut, not refused (the receipt still counts)
BONDED_NOTE_CHARS = 1000
TRADE_NAME_CHARS = 512
PAYLOAD_CHARS = 32_768  # what a quarantined receipt keeps of its raw XML
REASON_CHARS = 1000


class ReceivedReceipt(BaseModel):
    """A declaration receipt (DEC_RESULT) as sync keeps it, in the tenant it was read for."""

    tenant: str
    receipt_id: str
    position: int
    channel: str
    entry_id: str | None = None
    seq_no: str | None = None
    note: str | None = None
    notice_date: datetime

    @property
    def id(self) -> str:
        return receipt_record_id(self.tenant, self.receipt_id)


def receipt_record_id(tenant: str, receipt_id: str) -> str:
    return deterministic_id("receipt", tenant, receipt_id)


class BondedListReceipt(BaseModel):
    """A 核注清单 receipt (INV201 审核回执 or INV202 生成报关单回执) as sync keeps it."""

    tenant: str
    receipt_id: str
    position: int
    message_type: BondedListMessage
    seq_no: str | None = None
    bond_invt_no: str | None = None
    list_stat: str | None = None
    manage_result: str | None = None
    entry_seq_no: str | None = None
    note: str | None = None
    ie_flag: str | None = None
    trade_name: str | None = None
    notice_date: datetime

    @property
    def id(self) -> str:
        return deterministic_id("bonded-list-receipt", self.tenant, self.receipt_id)


class QuarantinedReceipt(BaseModel):
    """A receipt of the feed that could not be read: kept with why and what it was, never dropped silently.

    The cursor moves past it like past any other receipt; it is listed for the tenant to look at."""

    tenant: str
    receipt_id: str
    position: int
    message_type: str
    reason: str
    payload: str
    payload_chars: int
    quarantined_at: datetime

    @property
    def id(self) -> str:
        return deterministic_id("receipt-quarantine", self.tenant, self.receipt_id)

    @property
    def payload_truncated(self) -> bool:
        return self.payload_chars > len(self.payload)


Reading = ReceivedReceipt | BondedListReceipt | QuarantinedReceipt


class UnreadableReceipt(ValueError):
    """The receipt says nothing sync can act on (an unknown message type, no notice time)."""


def read(tenant: str, remote: RemoteReceipt, *, now: datetime) -> Reading:
    """What the receipt is, by its message type; a receipt that cannot be read is quarantined (checked against
    the event it is announced with, so one that is read is also one that can be announced)."""
    try:
        reading = _READERS.get(remote.message_type)
        if reading is None:
            raise UnreadableReceipt(
                f"unknown message type {remote.message_type[:32]!r}: not one of {', '.join(MESSAGE_TYPES)}"
            )
        return reading(tenant, remote)
    except (XmlError, ValidationError, UnreadableReceipt, UnicodeError) as exc:
        return quarantined(tenant, remote, f"{type(exc).__name__}: {exc}", now=now)


def quarantined(tenant: str, remote: RemoteReceipt, reason: str, *, now: datetime) -> QuarantinedReceipt:
    return QuarantinedReceipt(
        tenant=tenant,
        receipt_id=remote.receipt_id,
        position=remote.position,
        message_type=_storable(remote.message_type[:32]),
        reason=_storable(reason[:REASON_CHARS]),
        payload=_storable(remote.xml[:PAYLOAD_CHARS]),
        payload_chars=len(remote.xml),
        quarantined_at=now,
    )


def _dec_result(tenant: str, remote: RemoteReceipt) -> ReceivedReceipt:
    parsed = parse_dec_result(remote.xml.encode())
    if parsed.notice_date is None:
        raise UnreadableReceipt("DEC_RESULT has no NOTICE_DATE")
    receipt = ReceivedReceipt(
        tenant=tenant,
        receipt_id=remote.receipt_id,
        position=remote.position,
        channel=parsed.channel,
        entry_id=parsed.entry_id,
        seq_no=parsed.seq_no,
        note=_cut(parsed.note, NOTE_CHARS),
        notice_date=customs_time(parsed.notice_date),
    )
    received_event(receipt)  # raises ValidationError for what the event cannot carry (a 30-digit 海关编号)
    return receipt


def _inv201(tenant: str, remote: RemoteReceipt) -> BondedListReceipt:
    parsed: Inv201Receipt = parse_inv201(remote.xml.encode())
    head = parsed.bonded_list.head
    approval = parsed.appr_result or HdeApprResult()
    return _checked(
        tenant,
        remote,
        "INV201",
        notice_date=_first_time(parsed.envelope.send_time, approval.manage_date, "INV201"),
        seq_no=head.seq_no,
        bond_invt_no=head.bond_invt_no,
        list_stat=head.list_stat,
        manage_result=approval.manage_result,
        note=approval.rmk or head.rmk,
        ie_flag=head.impexp_markcd,
        trade_name=_cut(head.bizop_etps_nm, TRADE_NAME_CHARS),
    )


def _inv202(tenant: str, remote: RemoteReceipt) -> BondedListReceipt:
    parsed: Inv202Receipt = parse_inv202(remote.xml.encode())
    return _checked(
        tenant,
        remote,
        "INV202",
        notice_date=_first_time(parsed.envelope.send_time, parsed.create_date, "INV202"),
        seq_no=parsed.inv_preent_no,
        bond_invt_no=parsed.business_id,
        manage_result=parsed.manage_result,
        entry_seq_no=parsed.entry_seq_no,
        note=parsed.reason,
    )


_READERS: dict[str, Callable[[str, RemoteReceipt], Reading]] = {
    DEC_RESULT: _dec_result,
    "INV201": _inv201,
    "INV202": _inv202,
}


def _checked(
    tenant: str,
    remote: RemoteReceipt,
    message_type: BondedListMessage,
    *,
    note: str | None,
    **fields: object,
) -> BondedListReceipt:
    receipt = BondedListReceipt.model_validate(
        {
            **fields,
            "tenant": tenant,
            "receipt_id": remote.receipt_id,
            "position": remote.position,
            "message_type": message_type,
            "note": _cut(note, BONDED_NOTE_CHARS),
        }
    )
    bonded_list_event(receipt)  # raises ValidationError for what the event cannot carry
    return receipt


def received_event(receipt: ReceivedReceipt) -> ReceiptReceived:
    return ReceiptReceived(
        **receipt.model_dump(include={"receipt_id", "channel", "entry_id", "seq_no", "note", "notice_date"})
    )


def bonded_list_event(receipt: BondedListReceipt) -> BondedListReceiptReceived:
    return BondedListReceiptReceived(**receipt.model_dump(exclude={"tenant", "position"}))


def customs_time(moment: datetime) -> datetime:
    """The customs write local (Beijing) time without an offset."""
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=BEIJING)


def _first_time(stamp: str | None, day: str | None, message: str) -> datetime:
    """The envelope's send time (yyyy-MM-ddTHH:mm:ss), else the processing day (yyyyMMdd)."""
    for text, parse in ((stamp, datetime.fromisoformat), (day, _day)):
        if text:
            try:
                return customs_time(parse(text.strip()))
            except ValueError:
                continue
    raise UnreadableReceipt(f"{message} has no readable send_time or date: {stamp!r}, {day!r}")


def _day(text: str) -> datetime:
    return datetime.strptime(text, "%Y%m%d")


def _storable(text: str) -> str:
    """Text any store can write: a lone surrogate (JSON allows one) is kept as its escape."""
    return text.encode("utf-8", "backslashreplace").decode("utf-8")


def _cut(text: str | None, chars: int) -> str | None:
    return None if text is None else text[:chars]


class ReceiptCursor(BaseModel):
    """The position in one tenant's receipt feed up to which every receipt is kept."""

    tenant: str
    position: int = 0
    version: int = 0  # 0: never saved

    @property
    def id(self) -> str:
        return f"receipts:{self.tenant}"


def advanced(cursor: ReceiptCursor, position: int) -> ReceiptCursor:
    return cursor.model_copy(update={"position": position, "version": cursor.version + 1})


class KnownTenant(BaseModel):
    """A tenant that declared through guanwu: its receipts are polled from then on, also after a restart."""

    tenant: str

    @property
    def id(self) -> str:
        return self.tenant
