"""核注清单 INV101 round trip, INV201 and INV202 receipts."""

from __future__ import annotations

from decimal import Decimal

import pytest

from guanwu.customs import fixtures
from guanwu.customs.messages.inv101 import (
    EnvelopInfo,
    Inv101Message,
    InvtStatus,
    build_inv101,
    parse_inv101,
    parse_inv201,
    parse_inv202,
)

pytestmark = pytest.mark.unit


def _message(declare: bool) -> Inv101Message:
    return Inv101Message(
        envelope=EnvelopInfo(
            message_id="GW20240719000001",
            file_name="GW20240719000001.xml",
            sender_id="DXPENT0000012345",
            receiver_id="DXPEDCSAS0000001",
            send_time="2024-07-19T09:30:00",
        ),
        declare=declare,
        sys_id="Z7",
        oper_cus_reg_code="3302980123",
        bonded_list=fixtures.bonded_list(),
    )


@pytest.mark.parametrize("declare", [True, False])
def test_inv101_round_trip(declare: bool) -> None:
    message = _message(declare)
    xml = build_inv101(message)
    assert b"<BussinessData><DelcareFlag>" + (b"1" if declare else b"0") in xml
    assert parse_inv101(xml) == message


def test_inv201_receipt() -> None:
    receipt = parse_inv201(fixtures.inv201())
    head = receipt.bonded_list.head
    assert head.bond_invt_no == "QD311124I000065401"
    assert head.seq_no == "202400000121862401"  # invtPreentNo
    assert head.invt_type == "0"  # bondInvtTypecd
    assert head.invt_dcl_time == "2024-07-19 00:00:00"
    assert receipt.status is InvtStatus.APPROVED
    assert receipt.vrfded_modecd == "D"
    assert receipt.appr_result is not None and receipt.appr_result.manage_result == "1"
    line = receipt.bonded_list.goods[0]
    assert (line.gds_seqno, line.dcl_total_amt, line.dcl_currcd) == (1, Decimal("15660"), "502")


@pytest.mark.parametrize(
    ("stucd", "deleted", "returned"), [("3", True, False), ("2", False, True), ("1", False, False)]
)
def test_inv201_delete_and_return(stucd: str, deleted: bool, returned: bool) -> None:
    receipt = parse_inv201(fixtures.inv201(invt_stucd=stucd))
    assert (receipt.is_deleted, receipt.is_returned) == (deleted, returned)
    assert receipt.status is not None and receipt.status.label


def test_inv202_receipt() -> None:
    ok = parse_inv202(fixtures.inv202())
    assert ok.succeeded and ok.entry_seq_no == "I20240000971587171"
    failed = parse_inv202(fixtures.inv202(success=False))
    assert not failed.succeeded and failed.reason == "报关单表头数据校验失败"
