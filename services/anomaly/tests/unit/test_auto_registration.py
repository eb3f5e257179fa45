"""Auto-registration (F-22): receipts become records by the tenant's rules — each configured kind with its type
and category, nothing for a kind not configured, one record however often a receipt comes (a 删单 receipt
comes twice: as DeleteReceiptReceived and as ReceiptReceived `D`), filled from what the service learned of the
declaration or 核注清单."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from anomaly_harness import URL, Service
from service_http import bearer

from guanwu.contracts import topics
from guanwu.contracts.envelope import Envelope
from guanwu.contracts.events import (
    BondedListReceiptReceived,
    BondedListSynced,
    DeclarationStatusChanged,
    DeclarationUpdated,
    DeleteReceiptReceived,
    ReceiptReceived,
)
from guanwu.contracts.events.base import Event
from guanwu.customs import fixtures
from guanwu.platform.events import envelope_for

RULES = "/api/anomaly/rules"
ENTRY_ID = "610120261000000001"
SEQ_NO = "I20260000000000001"
LIST_SEQ_NO = "B20260000000000042"
BOND_INVT_NO = "QD311126I000000042"
NOTICE = datetime(2026, 11, 29, 10, tzinfo=UTC)


def dec_result(channel: str, receipt_id: str = "R1", **fields: Any) -> ReceiptReceived:
    values = {"entry_id": ENTRY_ID, "notice_date": NOTICE, "note": f"回执 {channel}", **fields}
    return ReceiptReceived(receipt_id=receipt_id, channel=channel, **values)


def deleted(receipt_id: str = "R1", **fields: Any) -> DeleteReceiptReceived:
    return DeleteReceiptReceived(**dec_result("D", receipt_id, **fields).model_dump())


def inv201(list_stat: str, receipt_id: str = "Q1", **fields: Any) -> BondedListReceiptReceived:
    values = {"bond_invt_no": BOND_INVT_NO, "seq_no": LIST_SEQ_NO, "notice_date": NOTICE, **fields}
    return BondedListReceiptReceived(
        receipt_id=receipt_id, message_type="INV201", list_stat=list_stat, note="审核意见", **values
    )


def envelope(event: Event, tenant: str = "acme") -> tuple[str, Envelope]:
    return envelope_for(event, source="/guanwu/sync", tenant=tenant)


async def deliver(service: Service, *events: Event, tenant: str = "acme") -> None:
    """The events as one poll's worth, each on its topic."""
    await service.bus.publish_many([envelope(event, tenant) for event in events])


def failed(service: Service) -> list[str]:
    """The receipts and declaration events that went to a dead-letter topic (the anomaly events' own
    consumers are not this test's business)."""
    return [topic for topic, _ in service.bus.dead_letters if not topic.startswith(topics.ANOMALY_EVENTS)]


async def records(service: Service, tenant: str = "acme") -> list[dict[str, Any]]:
    page = await service.client.get(URL, params={"limit": 500}, headers=bearer(tenant=tenant))
    assert page.status_code == 200, page.text
    return list(page.json()["items"])


CONFIGURED = [
    (dec_result("E"), "declaration", "退单", ENTRY_ID),
    (dec_result("C"), "declaration", "查验", ENTRY_ID),
    (dec_result("S"), "declaration", "查验", ENTRY_ID),
    (deleted(), "declaration", "删单", ENTRY_ID),
    (inv201("3"), "bonded_list", "删单", BOND_INVT_NO),
    (inv201("2"), "bonded_list", "退单", BOND_INVT_NO),
]


@pytest.mark.parametrize(("receipt", "category", "anomaly_type", "document_no"), CONFIGURED)
async def test_each_configured_receipt_kind_registers_one_record_of_its_type(
    service: Service, receipt: Event, category: str, anomaly_type: str, document_no: str
) -> None:
    await deliver(service, receipt)

    [record] = await records(service)
    assert (record["category"], record["anomaly_type"], record["document_no"]) == (
        category,
        anomaly_type,
        document_no,
    )
    assert (record["source_receipt_id"], record["registered_by"], record["handling_status"]) == (
        getattr(receipt, "receipt_id", None),
        "system",
        "未处理",
    )
    assert record["occurred_on"] == "2026-11-29"
    [(announced, event)] = await service.registered()
    assert (event.anomaly_id, event.anomaly_type, event.category) == (
        record["anomaly_id"],
        anomaly_type,
        category,
    )
    assert announced.tenant == "acme" and failed(service) == []


async def test_a_receipt_kind_not_configured_registers_nothing(service: Service) -> None:
    await deliver(
        service,
        dec_result("P", "R1"),  # 放行
        dec_result("L", "R2"),  # 入库成功
        dec_result("v", "R3"),  # 退回修改 (Z), not configured by default
        inv201("0", "Q1"),  # 审核通过
        BondedListReceiptReceived(
            receipt_id="Q2", message_type="INV202", manage_result="2", notice_date=NOTICE, seq_no=LIST_SEQ_NO
        ),
    )
    assert await records(service) == [] and await service.registered() == []
    assert failed(service) == []


async def test_a_redelivered_receipt_makes_one_record(service: Service) -> None:
    returned, list_deleted = envelope(dec_result("E", "R1")), envelope(inv201("3", "Q1"))
    await service.bus.publish_many([returned, list_deleted, returned])  # twice in one batch
    await service.bus.publish_many([returned, list_deleted])  # the relay republishing after a crash
    await deliver(service, dec_result("E", "R1"), inv201("3", "Q1"))  # the same receipts under new event ids

    assert sorted(r["source_receipt_id"] for r in await records(service)) == ["Q1", "R1"]
    assert len(await service.registered()) == 2
    assert failed(service) == []


@pytest.mark.parametrize("order", ["delete_first", "received_first", "apart"])
async def test_a_delete_receipt_registers_one_record_not_two(service: Service, order: str) -> None:
    as_delete, as_receipt = deleted("R9"), dec_result("D", "R9")
    if order == "apart":
        await deliver(service, as_receipt)
        await deliver(service, as_delete)
    else:
        await deliver(
            service, *((as_delete, as_receipt) if order == "delete_first" else (as_receipt, as_delete))
        )

    [record] = await records(service)
    assert (record["anomaly_type"], record["source_receipt_id"]) == ("删单", "R9")
    assert len(await service.registered()) == 1


async def test_receipts_of_a_batch_each_follow_their_tenants_rules(service: Service) -> None:
    await deliver(service, dec_result("E", "R1"), tenant="acme")
    await deliver(service, dec_result("E", "R1"), tenant="globex")
    assert [r["tenant"] for r in await records(service, "acme")] == ["acme"]
    assert [r["tenant"] for r in await records(service, "globex")] == ["globex"]


async def test_a_tenants_own_rules_apply_to_that_tenant_only(service: Service) -> None:
    own = {"rules": [{"receipt_kind": "DEC_RESULT", "code": "P", "anomaly_type": "其他"}]}
    stored = await service.client.put(RULES, json=own, headers=bearer(roles=("manager",)))
    assert stored.status_code == 200, stored.text

    for tenant in ("acme", "globex"):
        await deliver(service, dec_result("P", "R-P"), dec_result("E", "R-E"), tenant=tenant)

    [mine] = await records(service, "acme")
    assert (mine["anomaly_type"], mine["source_receipt_id"]) == ("其他", "R-P")  # E is not in acme's rules
    [theirs] = await records(service, "globex")
    assert (theirs["anomaly_type"], theirs["source_receipt_id"]) == ("退单", "R-E")  # the settings' rules


async def test_no_rules_register_nothing_and_records_made_before_stay(service: Service) -> None:
    await deliver(service, dec_result("E", "R1"))
    cleared = await service.client.put(RULES, json={"rules": []}, headers=bearer(roles=("manager",)))
    assert cleared.status_code == 200, cleared.text
    await deliver(service, dec_result("E", "R2"), deleted("R3"), inv201("3"))
    assert [r["source_receipt_id"] for r in await records(service)] == ["R1"]


def declaration_event(version: int, **fields: Any) -> DeclarationUpdated:
    values = {
        "declaration_id": "d-1",
        "ie_flag": "I",
        "status": "已申报",
        "seq_no": SEQ_NO,
        "entry_id": ENTRY_ID,
        "trade_name": "宁波某进出口有限公司",
        **fields,
    }
    return DeclarationUpdated(version=version, **values)


async def test_a_receipt_without_names_is_filled_from_the_declaration_events(service: Service) -> None:
    newer = DeclarationStatusChanged(
        **declaration_event(3).model_dump(exclude={"version"}), version=3, previous_status="申报中"
    )
    await deliver(service, newer, declaration_event(2, trade_name="旧名称", entry_id=None))  # older: ignored
    # The receipt names the declaration by its 统一编号 only, and no 境内收发货人 or 进出口 (as sync sends it).
    await deliver(service, dec_result("E", "R1", entry_id=None, seq_no=SEQ_NO))

    [record] = await records(service)
    assert (record["document_no"], record["trade_name"], record["ie_flag"]) == (
        ENTRY_ID,
        "宁波某进出口有限公司",
        "I",
    )
    assert record["client_name"] is None  # 委托企业: no event names it yet


async def test_what_the_receipt_says_wins_over_the_lookup(service: Service) -> None:
    await deliver(service, declaration_event(1))
    await deliver(service, deleted("R1", trade_name="回执上的名称", ie_flag="E"))
    [record] = await records(service)
    assert (record["trade_name"], record["ie_flag"]) == ("回执上的名称", "E")


async def test_another_tenants_declaration_fills_nothing(service: Service) -> None:
    await deliver(service, declaration_event(1), tenant="globex")
    await deliver(service, dec_result("E", "R1", entry_id=None, seq_no=SEQ_NO))
    [record] = await records(service)
    assert (record["document_no"], record["trade_name"], record["ie_flag"]) == (SEQ_NO, None, None)


def synced_list(version: int, name: str) -> BondedListSynced:
    listed = fixtures.bonded_list()
    head = listed.head.model_copy(
        update={"seq_no": LIST_SEQ_NO, "bond_invt_no": BOND_INVT_NO, "bizop_etps_nm": name}
    )
    return BondedListSynced(
        seq_no=LIST_SEQ_NO,
        bond_invt_no=BOND_INVT_NO,
        list_stat="0",
        sw_version=version,
        sw_updated_at=NOTICE,
        bonded_list=listed.model_copy(update={"head": head}),
    )


async def test_a_bonded_list_receipt_is_filled_from_the_synced_list(service: Service) -> None:
    await deliver(service, synced_list(2, "宁波保税某公司" * 10), synced_list(1, "旧名称"))
    # The receipt names the list by its 统一编号 only and carries no 经营企业.
    await deliver(service, inv201("3", bond_invt_no=None, trade_name=None))

    [record] = await records(service)
    assert (record["category"], record["document_no"], record["ie_flag"]) == (
        "bonded_list",
        BOND_INVT_NO,
        "I",
    )
    assert record["trade_name"] == ("宁波保税某公司" * 10)[:100]  # a record holds 100 characters of it


async def test_a_bonded_list_receipts_own_names_are_kept(service: Service) -> None:
    await deliver(service, inv201("2", trade_name="回执经营企业", ie_flag="E"))
    [record] = await records(service)
    assert (record["document_no"], record["trade_name"], record["ie_flag"]) == (
        BOND_INVT_NO,
        "回执经营企业",
        "E",
    )


async def test_learning_is_idempotent_and_keeps_the_newest(service: Service) -> None:
    event = envelope(declaration_event(5, trade_name="最新"))
    await service.bus.publish_many([event, envelope(declaration_event(4, trade_name="较旧")), event])
    stored = await service.runtime.store.collection("anomaly_known_documents").find({})
    assert [(d["trade_name"], d["aggregate_version"]) for d in stored] == [("最新", 5)]
    assert event[0] == topics.DECLARATION_EVENTS
