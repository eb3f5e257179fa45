"""Sync polls a tenant's receipt feed in the Single Window's wire shape (XML per receipt): declaration
receipts and 核注清单 receipts become their events once each, whatever the feed repeats or reorders, and a
receipt that cannot be read is quarantined, counted and listed while the cursor moves past it."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import pytest
from metric_samples import sample

from guanwu.contracts.events import BondedListReceiptReceived, DeleteReceiptReceived, ReceiptReceived
from guanwu.customs import fixtures
from guanwu.singlewindow_sim.faults import ActiveFaults, Faults
from guanwu.singlewindow_sim.state import BondedListReceiptIn, ReceiptIn
from guanwu.sync.adapters.repositories import ReceiptCursorRepository

from .conftest import ScriptedFeed, SyncService, auth, running_sync

QUARANTINED = "guanwu_sync_receipts_quarantined_total"
BONDED = "guanwu_sync_bonded_list_receipts_total"


@pytest.fixture
async def polled() -> AsyncIterator[tuple[SyncService, ScriptedFeed]]:
    """A sync service whose receipt feed the test scripts; nothing polls it but the test."""
    async with running_sync() as sync:
        sync.line.feed = ScriptedFeed()
        yield sync, sync.line.feed


async def status(sync: SyncService, tenant: str = "acme") -> dict[str, Any]:
    response = await sync.client.get("/api/sync/receipts/status", headers=auth(tenant))
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def quarantine(sync: SyncService, tenant: str = "acme", **params: int) -> dict[str, Any]:
    response = await sync.client.get("/api/sync/receipts/quarantine", params=params, headers=auth(tenant))
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def test_declaration_receipts_become_their_events(polled: tuple[SyncService, ScriptedFeed]) -> None:
    sync, feed = polled
    release = feed.add("acme", "DEC_RESULT", fixtures.release_receipt())
    delete = feed.add("acme", "DEC_RESULT", fixtures.delete_receipt())
    assert await sync.read_receipts() == 2
    received = [
        ReceiptReceived.model_validate(e.data) for e in await sync.published(ReceiptReceived.event_type)
    ]
    assert [(r.receipt_id, r.channel) for r in received] == [(release, "P"), (delete, "D")]
    assert received[0].entry_id == "311120240000123456" and received[0].seq_no == "E20240000123456789"
    [deleted] = await sync.published(DeleteReceiptReceived.event_type)
    assert deleted.data["receipt_id"] == delete and deleted.tenant == "acme"
    assert await status(sync) == {
        "tenant": "acme",
        "position": 2,
        "receipts": 2,
        "bonded_list_receipts": 0,
        "quarantined": 0,
    }


async def test_bonded_list_receipts_become_bonded_list_receipt_events(
    polled: tuple[SyncService, ScriptedFeed],
) -> None:
    sync, feed = polled
    before = {kind: sample(BONDED, message_type=kind) for kind in ("INV201", "INV202")}
    deleted = feed.add("acme", "INV201", fixtures.inv201("3"))
    returned = feed.add("acme", "INV201", fixtures.inv201("2"))
    made = feed.add("acme", "INV202", fixtures.inv202(success=True))
    assert await sync.read_receipts() == 3
    events = await sync.published(BondedListReceiptReceived.event_type)
    found = {e.data["receipt_id"]: BondedListReceiptReceived.model_validate(e.data) for e in events}
    assert len(events) == 3 and {e.tenant for e in events} == {"acme"}
    assert (found[deleted].list_stat, found[returned].list_stat) == ("3", "2")
    assert found[deleted].bond_invt_no == "QD311124I000065401"
    assert (found[made].message_type, found[made].entry_seq_no) == ("INV202", "I20240000971587171")
    assert await sync.published(ReceiptReceived.event_type) == []  # no declaration receipt among them
    assert (await status(sync))["bonded_list_receipts"] == 3
    moved = {kind: sample(BONDED, message_type=kind) - n for kind, n in before.items()}
    assert moved == {"INV201": 2, "INV202": 1}


async def test_a_receipt_that_cannot_be_read_is_quarantined_and_passed(
    polled: tuple[SyncService, ScriptedFeed],
) -> None:
    sync, feed = polled
    before = sample(QUARANTINED, message_type="DEC_RESULT")
    feed.add("acme", "DEC_RESULT", fixtures.release_receipt())
    broken = feed.add("acme", "DEC_RESULT", "<DEC_DATA><DEC_RESULT><CHANNEL>D</CHANNEL>")
    after = feed.add("acme", "DEC_RESULT", fixtures.dec_result("L", "入库成功"))
    assert await sync.read_receipts() == 3
    channels = [e.data["receipt_id"] for e in await sync.published(ReceiptReceived.event_type)]
    assert broken not in channels and after in channels  # the cursor moved past it
    assert await sync.published(DeleteReceiptReceived.event_type) == []  # nothing of it was published
    counts = await status(sync)
    assert (counts["position"], counts["receipts"], counts["quarantined"]) == (3, 2, 1)
    page = await quarantine(sync)
    assert page["total"] == 1
    [item] = page["items"]
    assert (item["receipt_id"], item["position"], item["message_type"]) == (broken, 2, "DEC_RESULT")
    assert "MalformedXmlError" in item["reason"] and item["payload"].startswith("<DEC_DATA>")
    assert item["payload_truncated"] is False and item["quarantined_at"]
    assert sample(QUARANTINED, message_type="DEC_RESULT") - before == 1
    assert (await quarantine(sync, "other"))["total"] == 0  # another tenant's list is its own


async def test_a_receipt_of_an_unknown_type_is_quarantined_under_other(
    polled: tuple[SyncService, ScriptedFeed],
) -> None:
    sync, feed = polled
    before = sample(QUARANTINED, message_type="other")
    feed.add("acme", "CUS999", fixtures.release_receipt())
    assert await sync.read_receipts() == 1
    [item] = (await quarantine(sync))["items"]
    assert item["message_type"] == "CUS999" and "unknown message type" in item["reason"]
    assert sample(QUARANTINED, message_type="other") - before == 1
    assert await sync.published(ReceiptReceived.event_type) == []


async def test_a_receipt_served_twice_is_published_once(polled: tuple[SyncService, ScriptedFeed]) -> None:
    sync, feed = polled
    for receipt_id, xml in (("R-D", fixtures.delete_receipt()), ("R-INV", fixtures.inv201("3"))):
        kind = "DEC_RESULT" if receipt_id == "R-D" else "INV201"
        feed.add("acme", kind, xml, receipt_id)
        feed.add("acme", kind, xml, receipt_id)  # the same receipt again, in the same page
    feed.add("acme", "DEC_RESULT", "<broken", "R-Q")
    feed.add("acme", "DEC_RESULT", "<broken", "R-Q")
    feed.add("acme", "DEC_RESULT", fixtures.delete_receipt(), "R-D")  # and again, on a later page
    assert await sync.read_receipts(limit=6) == 6
    assert await sync.read_receipts(limit=6) == 1
    assert len(await sync.published(ReceiptReceived.event_type)) == 1
    assert len(await sync.published(DeleteReceiptReceived.event_type)) == 1
    assert len(await sync.published(BondedListReceiptReceived.event_type)) == 1
    counts = await status(sync)
    assert (counts["position"], counts["receipts"], counts["bonded_list_receipts"]) == (7, 1, 1)
    assert (await quarantine(sync))["total"] == 1


async def test_pages_out_of_order_are_all_kept(polled: tuple[SyncService, ScriptedFeed]) -> None:
    sync, feed = polled
    feed.reversed_pages = True
    ids = [feed.add("acme", "DEC_RESULT", fixtures.dec_result("P", f"放行 {n}")) for n in range(5)]
    assert await sync.read_receipts(limit=2) == 2
    assert await sync.read_receipts(limit=2) == 2
    assert await sync.read_receipts(limit=2) == 1
    assert await sync.read_receipts(limit=2) == 0
    received = {e.data["receipt_id"] for e in await sync.published(ReceiptReceived.event_type)}
    assert received == set(ids) and (await status(sync))["position"] == 5


async def test_a_page_read_again_after_a_crash_publishes_and_quarantines_nothing_new(
    polled: tuple[SyncService, ScriptedFeed],
) -> None:
    sync, feed = polled
    feed.add("acme", "DEC_RESULT", fixtures.delete_receipt())
    feed.add("acme", "INV202", fixtures.inv202(success=False))
    feed.add("acme", "INV201", "<Package>")
    assert await sync.read_receipts() == 3
    quarantined_before = sample(QUARANTINED, message_type="INV201")
    # The process died before the cursor was saved: the next poll reads the same page again.
    await sync.runtime.store.collection(ReceiptCursorRepository.collection_name).delete("receipts:acme")
    assert await sync.read_receipts() == 3
    assert len(await sync.published(ReceiptReceived.event_type)) == 1
    assert len(await sync.published(DeleteReceiptReceived.event_type)) == 1
    assert len(await sync.published(BondedListReceiptReceived.event_type)) == 1
    assert (await quarantine(sync))["total"] == 1
    assert sample(QUARANTINED, message_type="INV201") == quarantined_before  # counted once, logged once


async def test_the_quarantine_is_paged_newest_first(polled: tuple[SyncService, ScriptedFeed]) -> None:
    sync, feed = polled
    broken = [feed.add("acme", "DEC_RESULT", f"<broken n='{n}'") for n in range(5)]
    assert await sync.read_receipts() == 5
    first = await quarantine(sync, limit=2)
    rest = await quarantine(sync, skip=2, limit=10)
    assert first["total"] == rest["total"] == 5
    listed = [item["receipt_id"] for item in [*first["items"], *rest["items"]]]
    assert listed == broken[::-1]
    refused = await sync.client.get("/api/sync/receipts/quarantine", params={"limit": 0}, headers=auth())
    assert refused.status_code == 422


async def test_the_simulators_receipts_reach_sync_in_their_wire_formats() -> None:
    """Through the simulator itself: receipts injected as JSON are served as DEC_RESULT and INV201/INV202 XML
    and read back with the same facts (the notice time included: Beijing time on the wire)."""
    notice = datetime(2026, 11, 27, 1, 30, 15, tzinfo=UTC)
    async with running_sync() as sync:
        await sync.simulator.add(
            ReceiptIn(
                enterprise="acme", entry_id="610120260000012345", channel="D", note="删单", notice_date=notice
            )
        )
        deleted_list = BondedListReceiptIn(
            enterprise="acme",
            message_type="INV201",
            seq_no="202600000000000001",
            bond_invt_no="QD610126I000000001",
            list_stat="3",
            note="企业申请删除",
            ie_flag="E",
            notice_date=notice,
        )
        await sync.simulator.add_bonded(deleted_list)
        await sync.simulator.add_bonded(
            BondedListReceiptIn(
                enterprise="acme",
                message_type="INV202",
                bond_invt_no="QD610126I000000001",
                manage_result="1",
                entry_seq_no="202600000000000077",
                notice_date=notice,
            )
        )
        assert await sync.read_receipts() == 3
        [deleted] = await sync.published(DeleteReceiptReceived.event_type)
        receipt = DeleteReceiptReceived.model_validate(deleted.data)
        assert (receipt.entry_id, receipt.note, receipt.notice_date) == ("610120260000012345", "删单", notice)
        inv201, inv202 = [
            BondedListReceiptReceived.model_validate(e.data)
            for e in await sync.published(BondedListReceiptReceived.event_type)
        ]
        assert inv201.model_dump(include=set(FACTS)) == deleted_list.model_dump(include=set(FACTS))
        assert (inv202.message_type, inv202.manage_result, inv202.entry_seq_no) == (
            "INV202",
            "1",
            "202600000000000077",
        )
        assert inv202.bond_invt_no == "QD610126I000000001" and inv202.notice_date == notice


FACTS = ("message_type", "seq_no", "bond_invt_no", "list_stat", "note", "ie_flag", "notice_date")


async def test_the_simulators_receipt_faults_leave_each_receipt_once_or_quarantined() -> None:
    """Duplicated, reversed and (by the seed) broken receipts of the simulator's feed: every good receipt is
    published once, every broken one is quarantined, and the cursor reaches the end."""
    async with running_sync() as sync:
        for n in range(8):
            await sync.simulator.add(
                ReceiptIn(enterprise="acme", entry_id=f"61012026000001234{n}", channel="P")
            )
        for stat in ("2", "3"):
            await sync.simulator.add_bonded(
                BondedListReceiptIn(
                    enterprise="acme",
                    message_type="INV201",
                    bond_invt_no="QD610126I000000001",
                    list_stat=stat,
                )
            )
        faults = Faults(
            enterprise="acme", seed=7, malformed_rate=0.4, duplicate_receipts=True, out_of_order_receipts=True
        )
        sync.simulator.faults["acme"] = ActiveFaults(faults)
        broken = {p for p in range(1, 11) if sync.simulator.faults_of("acme").malformed("receipts", p)}
        assert 0 < len(broken) < 10  # the seed breaks some, not all
        while await sync.read_receipts(limit=3):
            pass
        published = [
            e.data["receipt_id"]
            for kind in (ReceiptReceived, BondedListReceiptReceived)
            for e in await sync.published(kind.event_type)
        ]
        assert len(published) == len(set(published)) == 10 - len(broken)
        listed = await quarantine(sync, limit=20)
        assert {item["position"] for item in listed["items"]} == broken
        assert (await status(sync))["position"] == 10
