"""What sync announces, with ids derived from what caused it, so a repeated step is the same event again."""

from __future__ import annotations

from guanwu.contracts.envelope import Envelope
from guanwu.contracts.events import (
    DeclarationSubmitFailed,
    DeclarationSubmitted,
    DeleteReceiptReceived,
)
from guanwu.platform.events import envelope_for
from guanwu.platform.ids import deterministic_id
from guanwu.sync.domain.receipts import (
    BondedListReceipt,
    ReceivedReceipt,
    bonded_list_event,
    received_event,
)
from guanwu.sync.domain.records import DeclareRecord

SOURCE = "/guanwu/sync"
DELETE_CHANNEL = "D"


def announce_submitted(record: DeclareRecord) -> tuple[str, Envelope]:
    """DeclarationSubmitted for a sent record: in the request's flow, caused by the signature. A re-send
    after a crash gets the same 统一编号 and this id, so there is one DeclarationSubmitted."""
    assert record.seq_no is not None and record.sent_at is not None
    assert record.request is not None and record.signature is not None
    event = DeclarationSubmitted(
        declaration_id=record.declaration_id,
        seq_no=record.seq_no,
        request_id=record.request_id,
        submitted_at=record.sent_at,
    )
    return envelope_for(
        event,
        source=SOURCE,
        tenant=record.tenant,
        correlation_id=record.request.correlation_id,
        causation_id=record.signature.event_id,
        event_id=deterministic_id("declaration-submitted", record.id),
    )


def announce_refusal(record: DeclareRecord) -> tuple[str, Envelope]:
    """DeclarationSubmitFailed for a rejected record, so the declaration shows 申报失败 with the reason."""
    assert record.error is not None and record.error.code is not None and record.request is not None
    failed = DeclarationSubmitFailed(
        declaration_id=record.declaration_id,
        request_id=record.request_id,
        code=record.error.code[:40],
        message=record.error.message[:500],
        failed_at=record.error.at,
    )
    return envelope_for(
        failed,
        source=SOURCE,
        tenant=record.tenant,
        correlation_id=record.request.correlation_id,
        event_id=deterministic_id("declaration-submit-failed", record.id),
    )


def receipt_events(receipt: ReceivedReceipt) -> list[tuple[str, Envelope]]:
    """Every receipt is announced as ReceiptReceived; a 删单 one also as DeleteReceiptReceived (anomaly follows it).

    Event ids derive from the receipt, so a receipt read twice after a crash is the same event twice.
    """
    tenant, record_id = receipt.tenant, receipt.id
    received = received_event(receipt)
    events = [
        envelope_for(
            received, source=SOURCE, tenant=tenant, event_id=deterministic_id("receipt-event", record_id)
        )
    ]
    if receipt.channel == DELETE_CHANNEL:
        deleted = DeleteReceiptReceived(**received.model_dump())
        events.append(envelope_for(deleted, source=SOURCE, tenant=tenant, event_id=record_id))
    return events


def bonded_list_receipt_events(receipt: BondedListReceipt) -> list[tuple[str, Envelope]]:
    """A 核注清单 receipt is announced as BondedListReceiptReceived (an INV201 退单 or 删单 is what anomaly
    registers as 核注清单异常), its id derived from the receipt."""
    return [
        envelope_for(bonded_list_event(receipt), source=SOURCE, tenant=receipt.tenant, event_id=receipt.id)
    ]
