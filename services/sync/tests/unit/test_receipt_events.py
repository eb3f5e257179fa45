"""Each receipt read from the Single Window becomes its events, with ids that survive a re-read."""

from __future__ import annotations

from datetime import UTC, datetime

from guanwu.contracts import topics
from guanwu.contracts.events import DeleteReceiptReceived, ReceiptReceived
from guanwu.platform.outbox import OUTBOX_FIELD
from guanwu.sync.receipts import receipt_record
from guanwu.sync.single_window import RemoteReceipt


def remote(channel: str, receipt_id: str = "R-1") -> RemoteReceipt:
    return RemoteReceipt(
        receipt_id=receipt_id,
        position=1,
        channel=channel,
        entry_id="610120261000000001",
        seq_no="610120260000123456",
        note="回执说明",
        notice_date=datetime(2026, 11, 27, 9, tzinfo=UTC),
    )


def pending(record: dict[str, object]) -> list[dict[str, object]]:
    entries = record[OUTBOX_FIELD]
    assert isinstance(entries, list)
    return entries


def test_any_channel_is_announced_as_receipt_received() -> None:
    record = receipt_record("acme", remote("P"))
    [entry] = pending(record)
    assert entry["topic"] == topics.SYNC_EVENTS
    envelope = entry["envelope"]
    assert isinstance(envelope, dict) and envelope["type"] == ReceiptReceived.event_type
    assert envelope["tenant"] == "acme" and envelope["data"]["channel"] == "P"
    assert envelope["data"]["seq_no"] == "610120260000123456" and envelope["data"]["note"] == "回执说明"


def test_a_delete_receipt_is_also_a_delete_receipt_event() -> None:
    types = [e["envelope"]["type"] for e in pending(receipt_record("acme", remote("D")))]  # type: ignore[index]
    assert types == [ReceiptReceived.event_type, DeleteReceiptReceived.event_type]


def test_reading_a_receipt_again_gives_the_same_event_ids() -> None:
    def ids(tenant: str, receipt_id: str) -> list[str]:
        return [e["envelope"]["id"] for e in pending(receipt_record(tenant, remote("D", receipt_id)))]  # type: ignore[index]

    first = ids("acme", "R-1")
    assert first == ids("acme", "R-1") and len(set(first)) == 2
    assert set(first).isdisjoint(ids("acme", "R-2")) and set(first).isdisjoint(ids("other", "R-1"))
