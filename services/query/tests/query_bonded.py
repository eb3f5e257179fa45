"""Sync's 核注清单 events as the query tests send them (a synced list and its INV201/INV202 receipts), and a
scenario the read model must pass on every store (memory and SQLite in the unit tests, FerretDB in the
integration ones)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from query_harness import at

from guanwu.contracts.declaration import BondedList, InvtHead, InvtList
from guanwu.contracts.events import BondedListReceiptReceived, BondedListSynced
from guanwu.contracts.events.sync import SyncedReceipt
from guanwu.platform.events import envelope_for
from guanwu.platform.store.port import DocumentStore
from guanwu.query.adapters.bonded_lists import BondedListReadModel
from guanwu.query.domain.bonded_lists import BondedListSearch
from guanwu.query.service_layer.handlers import project_bonded_list_events

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


async def project(model: BondedListReadModel, *events: BondedListSynced | BondedListReceiptReceived) -> int:
    """Hand the events to the projection as one batch of tenant acme; returns how many rows changed."""
    items = [(envelope_for(e, source="/t", tenant="acme")[1], e) for e in events]
    return await project_bonded_list_events(items, read_model=model)


async def merges_finds_and_orders(store: DocumentStore) -> None:
    """Merged writes (a placeholder absorbed, a repeat changing nothing), search order with a list not synced
    yet last, the 最近操作时间 range, tenant isolation, the list by either number."""
    model = BondedListReadModel(store)
    await model.ensure_indexes()
    receipt_first = inv201("r1", seq_no=None, bond_invt_no=qd(3), list_stat="2", notice=at(50))
    unsynced = inv201("r2", seq_no=seq(4), bond_invt_no=None, notice=at(5))
    assert await project(model, receipt_first, unsynced) == 2
    assert await project(model, listed(seq(1), 1, bond_invt_no=qd(1), updated=at(10))) == 1
    assert await project(model, listed(seq(2), 1, bond_invt_no=qd(2), updated=at(30))) == 1
    assert await project(model, listed(seq(3), 1, bond_invt_no=qd(3), updated=at(20))) == 1  # absorbs r1
    assert await project(model, listed(seq(3), 1, bond_invt_no=qd(3), updated=at(20))) == 0

    total, rows = await model.search("acme", BondedListSearch(), skip=0, limit=10)
    assert (total, [r.seq_no for r in rows]) == (4, [seq(2), seq(3), seq(1), seq(4)])
    assert [r.list_stat for r in rows] == ["1", "2", "1", "0"]
    window = BondedListSearch(updated_from=at(10), updated_to=at(30), list_stat="2")
    assert [r.seq_no for r in (await model.search("acme", window, skip=0, limit=10))[1]] == [seq(3)]
    assert (await model.search("globex", BondedListSearch(), skip=0, limit=10)) == (0, [])

    detail = await model.load("acme", qd(3))
    assert (detail.seq_no, [r.receipt_id for r in detail.receipts]) == (seq(3), ["r1"])
    assert detail.bonded_list is not None and detail.bonded_list.goods[0].gds_nm == "男式表演服"
    assert (await model.load("acme", seq(4))).synced is False
