"""DecImportResponse and DEC_RESULT receipts."""

from __future__ import annotations

from datetime import datetime

import pytest

from guanwu.customs import fixtures
from guanwu.customs.messages import MessageFormatError
from guanwu.customs.messages.receipts import (
    ReceiptStatus,
    parse_dec_import_response,
    parse_dec_result,
)

pytestmark = pytest.mark.unit


def test_delete_receipt() -> None:
    receipt = parse_dec_result(fixtures.delete_receipt())
    assert receipt.channel == "D"
    assert receipt.status is ReceiptStatus.DELETED
    assert receipt.status.label == "海关删单"
    assert receipt.status.is_deleted and not receipt.status.is_released
    assert receipt.entry_id == "311120240000123456"
    assert receipt.seq_no == "E20240000123456789"
    assert receipt.notice_date == datetime(2024, 7, 21, 10, 15, 30)


def test_release_receipt() -> None:
    receipt = parse_dec_result(fixtures.release_receipt())
    assert receipt.status is ReceiptStatus.RELEASED and receipt.status.is_released


FLAGS = {
    "is_deleted": {"A", "D"},
    "is_returned": {"E", "Y", "Z", "v"},
    "is_inspection": {"C", "S"},
    "is_released": {"B", "F", "I", "K", "P"},
    "is_closed": {"R"},
}
CHANNELS = [*"2346789ABCDEFGHIJKLMNOPQRSTVWXYZ", "v", "@"]


@pytest.mark.parametrize("channel", CHANNELS)
def test_every_channel_parses_to_a_labelled_status_with_the_right_flags(channel: str) -> None:
    receipt = parse_dec_result(fixtures.dec_result(channel, "说明"))
    assert receipt.channel == channel
    assert receipt.status.label
    assert (receipt.status is ReceiptStatus.UNKNOWN) == (channel == "@")
    for flag, channels in FLAGS.items():
        assert getattr(receipt.status, flag) == (channel in channels), flag


def test_inspection_announced_in_a_paperless_notice() -> None:
    assert parse_dec_result(fixtures.dec_result("W", "无纸验放通知：需查验")).is_inspection
    assert not parse_dec_result(fixtures.dec_result("W", "无纸验放通知")).is_inspection


def test_bare_dec_result_root_and_errors() -> None:
    assert parse_dec_result(b"<DEC_RESULT><CHANNEL>7</CHANNEL></DEC_RESULT>").status is ReceiptStatus.DECLARED
    with pytest.raises(MessageFormatError, match="no CHANNEL"):
        parse_dec_result(b"<DEC_RESULT><NOTE>x</NOTE></DEC_RESULT>")
    with pytest.raises(MessageFormatError, match="NOTICE_DATE"):
        parse_dec_result(b"<DEC_RESULT><CHANNEL>7</CHANNEL><NOTICE_DATE>yesterday</NOTICE_DATE></DEC_RESULT>")
    with pytest.raises(MessageFormatError, match="no DEC_RESULT"):
        parse_dec_result(b"<DEC_DATA/>")


def test_import_response() -> None:
    ok = parse_dec_import_response(fixtures.dec_import_response())
    assert ok.succeeded and ok.seq_no == "E20240000123456789" and ok.trn_pre_id is None
    failed = parse_dec_import_response(fixtures.dec_import_response(ok=False))
    assert not failed.succeeded and failed.error_message == "表头申报单位代码长度不符"
