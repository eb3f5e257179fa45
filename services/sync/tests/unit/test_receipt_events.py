"""Each receipt of the feed, read in its wire format with the kernel's parsers, becomes its record and events
(ids that survive a re-read), or is quarantined with the reason when it cannot be read."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from guanwu.contracts import topics
from guanwu.contracts.envelope import Envelope
from guanwu.contracts.events import BondedListReceiptReceived, DeleteReceiptReceived, ReceiptReceived
from guanwu.customs import fixtures
from guanwu.sync.domain.events import bonded_list_receipt_events, receipt_events
from guanwu.sync.domain.receipts import (
    PAYLOAD_CHARS,
    BondedListReceipt,
    QuarantinedReceipt,
    ReceivedReceipt,
    read,
)
from guanwu.sync.domain.single_window import RemoteReceipt

NOW = datetime(2026, 11, 27, 9, tzinfo=UTC)
BEIJING = timezone(timedelta(hours=8))


def remote(message_type: str, xml: bytes | str, receipt_id: str = "R-1") -> RemoteReceipt:
    text = xml.decode() if isinstance(xml, bytes) else xml
    return RemoteReceipt(receipt_id=receipt_id, position=7, message_type=message_type, xml=text)


def dec_result(channel: str, receipt_id: str = "R-1", tenant: str = "acme") -> ReceivedReceipt:
    xml = fixtures.dec_result(channel, "回执说明", entry_id="610120261000000001", seq_no="610120260000123456")
    reading = read(tenant, remote("DEC_RESULT", xml, receipt_id), now=NOW)
    assert isinstance(reading, ReceivedReceipt), reading
    return reading


def bonded(message_type: str, xml: bytes) -> BondedListReceiptReceived:
    reading = read("acme", remote(message_type, xml), now=NOW)
    assert isinstance(reading, BondedListReceipt), reading
    [(topic, envelope)] = bonded_list_receipt_events(reading)
    assert topic == topics.SYNC_EVENTS and envelope.tenant == "acme"
    assert envelope.type == BondedListReceiptReceived.event_type
    return BondedListReceiptReceived.model_validate(envelope.data)


def quarantined(message_type: str, xml: bytes | str) -> QuarantinedReceipt:
    reading = read("acme", remote(message_type, xml), now=NOW)
    assert isinstance(reading, QuarantinedReceipt), reading
    assert (reading.tenant, reading.receipt_id, reading.position) == ("acme", "R-1", 7)
    assert reading.quarantined_at == NOW
    return reading


def announced(receipt: ReceivedReceipt) -> list[tuple[str, Envelope]]:
    return receipt_events(receipt)


def test_a_dec_result_is_announced_as_receipt_received_with_its_fields() -> None:
    [(topic, envelope)] = announced(dec_result("P"))
    assert topic == topics.SYNC_EVENTS and envelope.tenant == "acme"
    event = ReceiptReceived.model_validate(envelope.data)
    assert (event.receipt_id, event.channel, event.note) == ("R-1", "P", "回执说明")
    assert (event.entry_id, event.seq_no) == ("610120261000000001", "610120260000123456")
    # NOTICE_DATE is the customs' local time without an offset: Beijing time.
    assert event.notice_date == datetime(2024, 7, 21, 10, 15, 30, tzinfo=BEIJING)


def test_a_delete_receipt_is_also_a_delete_receipt_event() -> None:
    events = announced(dec_result("D"))
    assert [envelope.type for _, envelope in events] == [
        ReceiptReceived.event_type,
        DeleteReceiptReceived.event_type,
    ]
    deleted = DeleteReceiptReceived.model_validate(events[1][1].data)
    assert (deleted.entry_id, deleted.channel, deleted.note) == ("610120261000000001", "D", "回执说明")


def test_reading_a_receipt_again_gives_the_same_record_and_event_ids() -> None:
    def ids(tenant: str, receipt_id: str) -> list[str]:
        receipt = dec_result("D", receipt_id, tenant)
        return [receipt.id, *(envelope.id for _, envelope in announced(receipt))]

    first = ids("acme", "R-1")
    assert first == ids("acme", "R-1") and len(set(first)) == 2  # the 删单 event's id is the record's
    assert set(first).isdisjoint(ids("other", "R-1")) and set(first).isdisjoint(ids("acme", "R-2"))


def test_a_long_note_is_cut_to_what_the_event_carries() -> None:
    xml = fixtures.dec_result("P", "长" * 300)
    reading = read("acme", remote("DEC_RESULT", xml), now=NOW)
    assert isinstance(reading, ReceivedReceipt) and reading.note == "长" * 255


@pytest.mark.parametrize("stat", [pytest.param("3", id="删单"), pytest.param("2", id="退单")])
def test_an_inv201_is_a_bonded_list_receipt_with_its_status(stat: str) -> None:
    event = bonded("INV201", fixtures.inv201(stat))
    assert (event.receipt_id, event.message_type, event.list_stat) == ("R-1", "INV201", stat)
    assert (event.seq_no, event.bond_invt_no) == ("202400000121862401", "QD311124I000065401")
    assert (event.ie_flag, event.trade_name) == ("I", "宁波保税区远航物流有限公司")
    assert event.manage_result == "1" and event.entry_seq_no is None
    assert event.notice_date == datetime(2024, 7, 27, 7, 20, 37, tzinfo=BEIJING)  # the envelope's send_time


@pytest.mark.parametrize(
    ("success", "result", "reason"), [(True, "1", None), (False, "2", "报关单表头数据校验失败")]
)
def test_an_inv202_is_a_bonded_list_receipt_with_the_declaration_it_made(
    success: bool, result: str, reason: str | None
) -> None:
    event = bonded("INV202", fixtures.inv202(success))
    assert (event.message_type, event.manage_result, event.note) == ("INV202", result, reason)
    assert (event.seq_no, event.bond_invt_no) == ("202400000121862401", "QD311124I000065401")
    assert event.entry_seq_no == "I20240000971587171" and event.list_stat is None
    assert event.notice_date == datetime(2024, 7, 27, 7, 25, tzinfo=BEIJING)


def test_a_bonded_list_receipt_has_an_id_of_its_own_kind() -> None:
    first = read("acme", remote("INV201", fixtures.inv201("3")), now=NOW)
    again = read("acme", remote("INV201", fixtures.inv201("3")), now=NOW + timedelta(hours=1))
    assert isinstance(first, BondedListReceipt) and isinstance(again, BondedListReceipt)
    assert first.id == again.id != dec_result("P").id  # the same receipt id, read as DEC_RESULT


@pytest.mark.parametrize(
    ("message_type", "xml", "why"),
    [
        ("DEC_RESULT", "<DEC_DATA><DEC_RESULT><CHANNEL>P</CHANNEL>", "MalformedXmlError"),
        ("DEC_RESULT", "not xml at all", "MalformedXmlError"),
        ("DEC_RESULT", fixtures.dec_result("", "no channel"), "no CHANNEL"),
        ("DEC_RESULT", fixtures.dec_result("P", "n", notice_date="tomorrow"), "NOTICE_DATE"),
        ("DEC_RESULT", fixtures.dec_result("P", "n", entry_id="6" * 30), "entry_id"),
        ("DEC_RESULT", fixtures.inv202(), "no DEC_RESULT"),
        ("INV201", fixtures.dec_result("P", "n"), "INV201"),
        ("INV202", "<Package><EnvelopInfo/></Package>", "INV202"),
        ("CUS001", fixtures.release_receipt(), "unknown message type 'CUS001'"),
    ],
)
def test_a_receipt_that_cannot_be_read_is_quarantined_with_the_reason(
    message_type: str, xml: bytes | str, why: str
) -> None:
    kept = quarantined(message_type, xml)
    assert why in kept.reason and kept.message_type == message_type
    assert kept.payload == (xml.decode() if isinstance(xml, bytes) else xml) and not kept.payload_truncated


def test_a_quarantined_payload_is_bounded_and_says_how_long_it_was() -> None:
    xml = "<DEC_DATA>" + "x" * (PAYLOAD_CHARS * 3)
    kept = quarantined("DEC_RESULT", xml)
    assert kept.payload == xml[:PAYLOAD_CHARS] and kept.payload_chars == len(xml) and kept.payload_truncated
