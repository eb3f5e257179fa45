"""Receipt ingestion (回执): each receipt becomes one stored record with its event in the same write.

Resuming after a crash: the cursor is saved after the receipts it covers, so a crash re-reads some receipts;
their record ids derive from the receipt id, so they are recognised and nothing is published twice.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

import structlog

from guanwu.contracts.envelope import Envelope
from guanwu.contracts.events import DeleteReceiptReceived, ReceiptReceived
from guanwu.platform.events import envelope_for
from guanwu.platform.idempotency import deterministic_id
from guanwu.platform.outbox import OutboxNotifier, add_events
from guanwu.platform.store.port import (
    OUTBOX_PENDING_FIELD,
    Collection,
    ConcurrencyConflict,
    DocumentStore,
    as_inserted,
)
from guanwu.sync.single_window import RemoteReceipt, SingleWindow

log = structlog.get_logger(__name__)

SOURCE = "/guanwu/sync"
RECEIPTS = "sync_receipts"
CURSORS = "sync_cursors"
DELETE_CHANNEL = "D"


class ReceiptStore:
    def __init__(self, store: DocumentStore) -> None:
        self.receipts: Collection = store.collection(RECEIPTS)
        self.cursors: Collection = store.collection(CURSORS)

    async def ensure_indexes(self) -> None:
        await self.receipts.ensure_index([("tenant", 1), ("entry_id", 1)])

    async def position(self, tenant: str) -> tuple[int, int | None]:
        doc = await self.cursors.get(f"receipts:{tenant}")
        return (int(doc["position"]), int(doc["_version"])) if doc else (0, None)

    async def save_position(self, tenant: str, position: int, version: int | None) -> None:
        doc = {"_id": f"receipts:{tenant}", "tenant": tenant, "position": position}
        if version is None:
            await self.cursors.insert(doc)
        else:
            await self.cursors.replace(doc, expected_version=version)


def receipt_events(tenant: str, receipt: RemoteReceipt, record_id: str) -> list[tuple[str, Envelope]]:
    """Every receipt is announced as ReceiptReceived; a 删单 one also as DeleteReceiptReceived (anomaly follows it).

    Event ids derive from the receipt, so a receipt read twice after a crash is the same event twice.
    """
    numbers = {"receipt_id": receipt.receipt_id, "entry_id": receipt.entry_id, "seq_no": receipt.seq_no}
    details = {"notice_date": receipt.notice_date, "note": receipt.note}
    heads = {"trade_name": receipt.trade_name, "ie_flag": receipt.ie_flag}
    received = ReceiptReceived(channel=receipt.channel, **numbers, **details, **heads)
    events = [
        envelope_for(
            received, source=SOURCE, tenant=tenant, event_id=deterministic_id("receipt-event", record_id)
        )
    ]
    if receipt.channel == DELETE_CHANNEL:
        deleted = DeleteReceiptReceived(channel=receipt.channel, **numbers, **details, **heads)
        events.append(envelope_for(deleted, source=SOURCE, tenant=tenant, event_id=record_id))
    return events


def receipt_record(tenant: str, receipt: RemoteReceipt) -> dict[str, object]:
    record_id = deterministic_id("receipt", tenant, receipt.receipt_id)
    doc: dict[str, object] = {"_id": record_id, "tenant": tenant, **receipt.model_dump(mode="json")}
    return add_events(doc, receipt_events(tenant, receipt, record_id))


async def ingest_once(
    tenant: str,
    single_window: SingleWindow,
    store: ReceiptStore,
    outbox_written: OutboxNotifier,
    limit: int,
) -> int:
    """Pull one page of receipts for a tenant; returns how many were read."""
    position, version = await store.position(tenant)
    page = await single_window.receipts_after(tenant, position, limit)
    records = [receipt_record(tenant, receipt) for receipt in page.receipts]
    # One write for the page; a receipt read again after a crash finds its record (the id derives from it).
    inserted = await store.receipts.insert_many(records)
    for record, new in zip(records, inserted, strict=True):
        if new and OUTBOX_PENDING_FIELD in record:
            outbox_written(store.receipts.name, str(record["_id"]), as_inserted(record))
    if page.receipts:
        await store.save_position(tenant, page.next_position, version)
    return len(page.receipts)


async def poll_forever(
    tenants: Callable[[], Awaitable[list[str]]],
    single_window: SingleWindow,
    store: ReceiptStore,
    outbox_written: OutboxNotifier,
    interval_seconds: float,
    limit: int = 200,
) -> None:
    """Each round reads the tenants again, so one that appears is polled from the next round on."""
    while True:
        busy = False
        for tenant in await tenants():
            try:
                busy |= await ingest_once(tenant, single_window, store, outbox_written, limit) > 0
            except ConcurrencyConflict:
                busy = True  # another poller moved the cursor: read again
            except Exception as exc:  # the Single Window is an outside system: keep polling
                log.warning("receipt poll failed", tenant=tenant, error=f"{type(exc).__name__}: {exc}")
        if not busy:
            await asyncio.sleep(interval_seconds)
