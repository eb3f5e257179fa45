"""Each receipt read from the Single Window becomes its events, with ids that survive a re-read."""

from __future__ import annotations

from datetime import UTC, datetime

from guanwu.contracts import topics
from guanwu.contracts.envelope import Envelope
from guanwu.contracts.events import DeleteReceiptReceived, ReceiptReceived
from guanwu.sync.domain.events import receipt_events
from guanwu.sync.domain.receipts import received
from guanwu.sync.domain.single_window import RemoteReceipt


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


def announced(tenant: str, receipt: RemoteReceipt) -> list[tuple[str, Envelope]]:
    return receipt_events(received(tenant, receipt))


def test_any_channel_is_announced_as_receipt_received() -> None:
    [(topic, envelope)] = announced("acme", remote("P"))
    assert topic == topics.SYNC_EVENTS
    assert envelope.type == ReceiptReceived.event_type
    assert envelope.tenant == "acme" and envelope.data["channel"] == "P"
    assert envelope.data["seq_no"] == "610120260000123456" and envelope.data["note"] == "回执说明"


def test_a_delete_receipt_is_also_a_delete_receipt_event() -> None:
    types = [envelope.type for _, envelope in announced("acme", remote("D"))]
    assert types == [ReceiptReceived.event_type, DeleteReceiptReceived.event_type]


def test_reading_a_receipt_again_gives_the_same_event_ids() -> None:
    def ids(tenant: str, receipt_id: str) -> list[str]:
        return [envelope.id for _, envelope in announced(tenant, remote("D", receipt_id))]

    first = ids("acme", "R-1")
    assert first == ids("acme", "R-1") and len(set(first)) == 2
    assert set(first).isdisjoint(ids("other", "R-1")) and set(first).isdisjoint(ids("acme", "R-2"))
