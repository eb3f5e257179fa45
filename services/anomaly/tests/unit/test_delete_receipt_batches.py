"""删单 receipts arrive in batches (a poll's worth): one record per receipt, whatever repeats."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from guanwu.anomaly.service_layer.handlers import register_anomalies_for_delete_receipts
from guanwu.anomaly.service_layer.unit_of_work import AnomalyUnitOfWork
from guanwu.contracts.envelope import Envelope
from guanwu.contracts.events import DeleteReceiptReceived
from guanwu.platform.clock import utc_now
from guanwu.platform.events import envelope_for
from guanwu.platform.store.memory import MemoryDocumentStore
from guanwu.platform.store.port import OUTBOX_FIELD, VERSION_FIELD


def receipt(receipt_id: str, tenant: str = "acme") -> tuple[Envelope, DeleteReceiptReceived]:
    event = DeleteReceiptReceived(
        receipt_id=receipt_id, entry_id="610120260000000001", notice_date=datetime(2026, 11, 29, tzinfo=UTC)
    )
    return envelope_for(event, source="/test", tenant=tenant)[1], event


async def test_a_batch_stores_one_record_per_receipt_and_hands_each_new_one_to_the_relay() -> None:
    store = MemoryDocumentStore()
    kicked: list[tuple[Any, ...]] = []

    def outbox_written(collection: Any = None, doc_id: Any = None, written: Any = None) -> None:
        kicked.append((collection, doc_id, written))

    def new_uow() -> AnomalyUnitOfWork:
        return AnomalyUnitOfWork(store, outbox_written)

    first = await register_anomalies_for_delete_receipts(
        [receipt("R1"), receipt("R2"), receipt("R1"), receipt("R1", tenant="other")],
        uow=new_uow(),
        clock=utc_now,
    )
    again = await register_anomalies_for_delete_receipts(
        [receipt("R2"), receipt("R3")], uow=new_uow(), clock=utc_now
    )

    assert first == [True, True, False, True]  # R1 twice in one batch; another tenant's R1 is its own
    assert again == [False, True]  # a redelivered R2
    collection = new_uow().anomalies.collection
    records = await collection.find({})
    assert sorted((r["tenant"], r["source_receipt_id"]) for r in records) == [
        ("acme", "R1"),
        ("acme", "R2"),
        ("acme", "R3"),
        ("other", "R1"),
    ]
    assert len(kicked) == 4
    for name, doc_id, written in kicked:  # the relay gets each new record exactly as stored
        stored = await collection.get(doc_id)
        assert name == collection.name and written == stored
        assert written[VERSION_FIELD] == 1 and len(written[OUTBOX_FIELD]) == 1
