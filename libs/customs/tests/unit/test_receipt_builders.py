"""The receipt fixtures take the values of one receipt (the simulator renders its feed with them) and still
parse with the kernel's parsers; absent values are left out, text is escaped."""

from __future__ import annotations

from datetime import datetime

import pytest

from guanwu.customs import fixtures
from guanwu.customs.messages.inv101 import InvtStatus, parse_inv201, parse_inv202
from guanwu.customs.messages.receipts import parse_dec_result

pytestmark = pytest.mark.unit


def test_dec_result_leaves_out_what_a_receipt_before_entry_does_not_have_and_escapes_its_note() -> None:
    receipt = parse_dec_result(
        fixtures.dec_result(
            "Z",
            "退回修改 <商品编号> & 规格",
            entry_id=None,
            seq_no="I20260000000000042",
            notice_date="2026-03-02T08:00:05",
            custom_master=None,
            ie_date=None,
            d_date=None,
        )
    )
    assert (receipt.channel, receipt.entry_id, receipt.seq_no) == ("Z", None, "I20260000000000042")
    assert receipt.note == "退回修改 <商品编号> & 规格" and receipt.custom_master is None
    assert receipt.notice_date == datetime(2026, 3, 2, 8, 0, 5)


def test_dec_result_keeps_its_defaults() -> None:
    receipt = parse_dec_result(fixtures.dec_result("P", "海关已放行"))
    assert (receipt.entry_id, receipt.custom_master, receipt.ie_date) == (
        "311120240000123456",
        "3111",
        "20240720",
    )


def test_inv201_of_a_list_known_by_its_numbers() -> None:
    receipt = parse_inv201(
        fixtures.inv201(
            "3",
            bond_invt_no="QD311126E000000042",
            seq_no="202600000000000042",
            manage_result="1",
            manage_date="20260302",
            send_time="2026-03-02T08:00:05",
            rmk="企业申请删除 & 重报",
            ie_flag="E",
            bizop_etps_nm="宁波瑞丰进出口有限公司",
            message_id="SIM-INV201-42",
            goods=False,
        )
    )
    head = receipt.bonded_list.head
    assert (head.bond_invt_no, head.seq_no, head.impexp_markcd) == (
        "QD311126E000000042",
        "202600000000000042",
        "E",
    )
    assert receipt.status is InvtStatus.DELETED and receipt.bonded_list.goods == []
    assert receipt.appr_result is not None and receipt.appr_result.rmk == "企业申请删除 & 重报"
    assert receipt.appr_result.business_id == "QD311126E000000042"
    assert (
        receipt.envelope.send_time == "2026-03-02T08:00:05" and head.bizop_etps_nm == "宁波瑞丰进出口有限公司"
    )


def test_inv201_without_a_list_number_names_the_business_by_its_seq_no() -> None:
    receipt = parse_inv201(fixtures.inv201("2", bond_invt_no=None, seq_no="202600000000000043"))
    assert receipt.bonded_list.head.bond_invt_no is None
    assert receipt.appr_result is not None and receipt.appr_result.business_id == "202600000000000043"
    assert receipt.is_returned and len(receipt.bonded_list.goods) == 1


def test_inv202_with_its_values() -> None:
    failed = parse_inv202(
        fixtures.inv202(
            inv_preent_no="202600000000000042",
            business_id="QD311126I000000042",
            entry_seq_no=None,
            manage_result="2",
            reason="表体 <1> 校验失败",
            create_date="20260302",
            send_time="2026-03-02T09:00:00",
            message_id="SIM-INV202-1",
        )
    )
    assert not failed.succeeded and failed.reason == "表体 <1> 校验失败" and failed.entry_seq_no is None
    assert (failed.inv_preent_no, failed.business_id) == ("202600000000000042", "QD311126I000000042")
    assert failed.envelope.send_time == "2026-03-02T09:00:00"
