"""Sync's 核注清单 events as the query tests send them: a synced list and its INV201/INV202 receipts."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from query_harness import at

from guanwu.contracts.declaration import BondedList, InvtHead, InvtList
from guanwu.contracts.events import BondedListReceiptReceived, BondedListSynced
from guanwu.contracts.events.sync import SyncedReceipt

SEQ = "I20260000000000001"
QD = "QD311126I000000001"
TRADER = "宁波保税区进出口有限公司"


def seq(n: int) -> str:
    return f"I2026{n:013d}"


def qd(n: int) -> str:
    return f"QD311126I{n:09d}"


def listed(
    seq_no: str = SEQ,
    version: int = 1,
    *,
    bond_invt_no: str | None = QD,
    list_stat: str | None = "1",
    updated: datetime | None = None,
    ie_flag: str = "I",
    trade_name: str = TRADER,
    data_source: str = "1",
    receipts: tuple[SyncedReceipt, ...] = (),
    **head: Any,
) -> BondedListSynced:
    """The list as the Single Window holds it at `version`, last touched `updated` (default: `version` minutes
    after T0)."""
    bonded = BondedList(
        head=InvtHead(
            seq_no=seq_no,
            bond_invt_no=bond_invt_no,
            list_stat=list_stat,
            impexp_markcd=ie_flag,
            bizop_etps_nm=trade_name,
            **{"putrec_no": "T3111W000076", **head},
        ),
        goods=[InvtList(gds_seqno=1, gdecd="6211339000", gds_nm="男式表演服", dcl_qty=Decimal("6264"))],
    )
    return BondedListSynced.model_validate(
        {
            "seq_no": seq_no,
            "bond_invt_no": bond_invt_no,
            "list_stat": list_stat,
            "data_source": data_source,
            "sw_version": version,
            "sw_updated_at": updated or at(version),
            "bonded_list": bonded,
            "receipts": receipts,
        }
    )


def inv201(
    receipt_id: str,
    *,
    seq_no: str | None = SEQ,
    bond_invt_no: str | None = QD,
    list_stat: str = "0",
    note: str | None = None,
    notice: datetime,
) -> BondedListReceiptReceived:
    return BondedListReceiptReceived(
        receipt_id=receipt_id,
        message_type="INV201",
        seq_no=seq_no,
        bond_invt_no=bond_invt_no,
        list_stat=list_stat,
        note=note,
        notice_date=notice,
    )


def inv202(
    receipt_id: str,
    *,
    entry_seq_no: str | None,
    manage_result: str = "1",
    notice: datetime,
    seq_no: str = SEQ,
) -> BondedListReceiptReceived:
    return BondedListReceiptReceived(
        receipt_id=receipt_id,
        message_type="INV202",
        seq_no=seq_no,
        bond_invt_no=QD,
        manage_result=manage_result,
        entry_seq_no=entry_seq_no,
        notice_date=notice,
    )
