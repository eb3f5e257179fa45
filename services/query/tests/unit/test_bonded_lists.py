"""The 核注清单 read model fed by sync's events: the highest sw_version wins, receipts newer than the synced
record set the status, INV202 records the generated 报关单's 统一编号, a receipt before its list is kept and
merged, redelivery and order change nothing."""

from __future__ import annotations

from typing import Any

from query_bonded import QD, SEQ, TRADER, inv201, inv202, listed, qd, seq
from query_harness import Service, at

from guanwu.contracts.events import BondedListReceiptReceived
from guanwu.contracts.events.sync import SyncedReceipt


def _sans_version(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{k: v for k, v in row.items() if k != "_version"} for row in rows]


async def test_a_synced_list_is_shown_whole_by_either_number(service: Service) -> None:
    history = (SyncedReceipt(channel="1", notice_date=at(1), note="已申报"),)
    await service.deliver_sync(listed(version=2, receipts=history))

    by_number = await service.bonded_list(QD)
    assert by_number == await service.bonded_list(SEQ)
    assert (by_number["seq_no"], by_number["bond_invt_no"], by_number["sw_version"]) == (SEQ, QD, 2)
    assert (by_number["list_stat"], by_number["list_stat_name"], by_number["note"]) == ("1", "申报", "已申报")
    assert (by_number["ie_flag"], by_number["trade_name"], by_number["data_source"]) == ("I", TRADER, "1")
    assert by_number["sw_updated_at"] == by_number["status_at"] == "2026-03-01T09:02:00Z"
    assert by_number["synced"] is True and by_number["receipts"] == [] and by_number["entry_seq_no"] is None
    assert by_number["bonded_list"]["head"]["putrec_no"] == "T3111W000076"
    assert by_number["bonded_list"]["goods"][0]["gds_nm"] == "男式表演服"
    assert by_number["bonded_list"]["goods"][0]["dcl_qty"] == "6264"
    assert [r["note"] for r in by_number["sw_receipts"]] == ["已申报"]


async def test_the_highest_sw_version_wins_in_any_order_and_redelivery_changes_nothing(
    service: Service,
) -> None:
    await service.deliver_sync(listed(version=3, list_stat="0", putrec_no="T3111W000003"))
    await service.deliver_sync(listed(version=1, list_stat="1"))
    await service.deliver_sync(
        listed(version=2, list_stat="1"), listed(version=5, list_stat="2"), listed(version=4)
    )
    row = await service.bonded_list(SEQ)
    assert (row["sw_version"], row["list_stat"]) == (5, "2")
    assert row["bonded_list"]["head"]["putrec_no"] == "T3111W000076"  # the whole record of version 5

    [before] = await service.bonded_stored()
    envelope = service.sync_envelope(listed(version=5, list_stat="2"))
    await service.deliver_sync(envelope, envelope)
    await service.deliver_sync(listed(version=5, list_stat="0"))  # same version, other content: not newer
    assert await service.bonded_stored() == [before]  # not even rewritten


async def test_an_inv201_newer_than_the_synced_record_sets_status_note_and_number(service: Service) -> None:
    await service.deliver_sync(listed(version=1, bond_invt_no=None, updated=at(10)))
    older = inv201("r-old", bond_invt_no=qd(9), list_stat="2", note="旧退单", notice=at(5))
    await service.deliver_sync(older)
    row = await service.bonded_list(SEQ)
    assert (row["list_stat"], row["note"], row["bond_invt_no"]) == ("1", None, qd(9))  # number: none synced
    assert [r["receipt_id"] for r in row["receipts"]] == ["r-old"]

    await service.deliver_sync(inv201("r-new", list_stat="0", note="审核通过", notice=at(20)))
    row = await service.bonded_list(QD)
    assert (row["list_stat"], row["list_stat_name"], row["note"]) == ("0", "审核通过", "审核通过")
    assert (row["bond_invt_no"], row["status_at"]) == (QD, "2026-03-01T09:20:00Z")
    assert [r["receipt_id"] for r in row["receipts"]] == ["r-old", "r-new"]

    # The Single Window's record touched after the receipt is the status again.
    await service.deliver_sync(listed(version=2, list_stat="3", updated=at(30)))
    row = await service.bonded_list(SEQ)
    assert (row["list_stat"], row["note"], row["status_at"]) == ("3", None, "2026-03-01T09:30:00Z")


async def test_an_inv202_records_the_generated_declarations_seq_no(service: Service) -> None:
    await service.deliver_sync(listed(list_stat="0"))
    await service.deliver_sync(inv202("g1", entry_seq_no="E20260000000000101", notice=at(10)))
    await service.deliver_sync(inv202("g0", entry_seq_no="E20260000000000100", notice=at(9)))  # older
    await service.deliver_sync(inv202("g2", entry_seq_no=None, manage_result="2", notice=at(11)))  # 生成失败
    row = await service.bonded_list(QD)
    assert row["entry_seq_no"] == "E20260000000000101"
    assert row["list_stat"] == "0"  # an INV202 is no status
    assert [(r["receipt_id"], r["manage_result"]) for r in row["receipts"]] == [
        ("g0", "1"),
        ("g1", "1"),
        ("g2", "2"),
    ]
    assert await service.bonded_found(seq_no=SEQ) == [SEQ]


async def test_a_receipt_before_its_list_keeps_a_minimal_row_that_the_list_fills(service: Service) -> None:
    await service.deliver_sync(inv201("r1", list_stat="0", note="通过", notice=at(50)))
    row = await service.bonded_list(SEQ)
    assert (row["synced"], row["sw_version"], row["bonded_list"], row["list_stat"]) == (
        False,
        None,
        None,
        "0",
    )
    assert row["bond_invt_no"] == QD and [r["receipt_id"] for r in row["receipts"]] == ["r1"]
    assert await service.bonded_found() == [SEQ]

    await service.deliver_sync(listed(version=1, list_stat="1", updated=at(40)))
    row = await service.bonded_list(QD)
    assert (row["synced"], row["sw_version"], row["list_stat"], row["note"]) == (True, 1, "0", "通过")
    assert row["bonded_list"]["head"]["seq_no"] == SEQ
    assert len(await service.bonded_stored()) == 1


async def test_the_row_does_not_depend_on_the_order_its_events_arrive_in(service: Service) -> None:
    events = [
        listed(seq(1), 1, bond_invt_no=qd(1), updated=at(1)),
        inv201("a", seq_no=seq(1), bond_invt_no=qd(1), list_stat="2", note="退单", notice=at(3)),
        listed(seq(1), 2, bond_invt_no=qd(1), list_stat="1", updated=at(2)),
        inv202("b", seq_no=seq(1), entry_seq_no="E20260000000000001", notice=at(4)),
        inv201("c", seq_no=None, bond_invt_no=qd(1), list_stat="0", note="通过", notice=at(5)),
    ]
    await service.deliver_sync(*events)
    in_one_batch = _sans_version(await service.bonded_stored())
    await service.runtime.store.collection("query_bonded_lists").delete_many({})

    for event in reversed(events):
        await service.deliver_sync(event)
    assert _sans_version(await service.bonded_stored()) == in_one_batch
    [row] = in_one_batch
    assert (row["sw_version"], row["list_stat"], row["note"], row["entry_seq_no"]) == (
        2,
        "0",
        "通过",
        "E20260000000000001",
    )
    assert [r["receipt_id"] for r in row["receipts"]] == ["a", "b", "c"]


async def test_a_receipt_naming_only_the_list_number_is_merged_into_the_list(service: Service) -> None:
    # Before the list: a placeholder row, found by the number; the list absorbs it when it comes.
    await service.deliver_sync(inv201("r1", seq_no=None, bond_invt_no=qd(7), list_stat="2", notice=at(9)))
    placeholder = await service.bonded_list(qd(7))
    assert (placeholder["seq_no"], placeholder["bond_invt_no"], placeholder["synced"]) == (None, qd(7), False)
    assert await service.bonded_found(bond_invt_no=qd(7)) == [None]

    await service.deliver_sync(listed(seq(7), 1, bond_invt_no=qd(7), updated=at(1)))
    [row] = await service.bonded_stored()
    assert (row["seq_no"], row["list_stat"]) == (seq(7), "2")
    assert [r["receipt_id"] for r in row["receipts"]] == ["r1"]

    # After the list: straight into its row.
    await service.deliver_sync(inv201("r2", seq_no=None, bond_invt_no=qd(7), list_stat="0", notice=at(10)))
    [row] = await service.bonded_stored()
    assert (row["list_stat"], [r["receipt_id"] for r in row["receipts"]]) == ("0", ["r1", "r2"])
    assert (await service.bonded_list(qd(7)))["seq_no"] == seq(7)


async def test_a_receipt_and_its_list_in_one_batch_make_one_row(service: Service) -> None:
    await service.deliver_sync(
        inv201("r1", seq_no=None, bond_invt_no=qd(8), list_stat="0", notice=at(9)),
        listed(seq(8), 1, bond_invt_no=qd(8), updated=at(1)),
    )
    [row] = await service.bonded_stored()
    assert (row["seq_no"], row["list_stat"], len(row["receipts"])) == (seq(8), "0", 1)


async def test_a_receipt_seen_twice_is_kept_once(service: Service) -> None:
    await service.deliver_sync(listed())
    receipt = inv201("r1", notice=at(9))
    await service.deliver_sync(receipt, receipt)  # the feed's duplicate_receipts fault
    [before] = await service.bonded_stored()
    await service.deliver_sync(service.sync_envelope(receipt))  # redelivered after a crash
    await service.deliver_sync(inv201("r1", list_stat="3", notice=at(9)))  # same receipt id
    assert await service.bonded_stored() == [before]
    assert len(before["receipts"]) == 1


async def test_a_receipt_naming_no_list_is_not_projected(service: Service) -> None:
    nameless = BondedListReceiptReceived(
        receipt_id="r0", message_type="INV201", list_stat="0", notice_date=at(1)
    )
    await service.deliver_sync(nameless)
    assert await service.bonded_stored() == []


async def test_lists_of_two_tenants_are_two_rows(service: Service) -> None:
    await service.deliver_sync(listed(version=4, list_stat="0"), tenant="acme")
    await service.deliver_sync(listed(version=1, list_stat="2"), tenant="globex")
    await service.deliver_sync(inv201("r1", list_stat="3", notice=at(30)), tenant="globex")
    assert (await service.bonded_list(QD, tenant="acme"))["list_stat"] == "0"
    assert (await service.bonded_list(QD, tenant="globex"))["list_stat"] == "3"
    assert (await service.bonded_list(SEQ, tenant="acme"))["receipts"] == []
