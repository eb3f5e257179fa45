"""Command and event handlers of the anomaly service."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, datetime

from guanwu.anomaly.domain import Anomaly, AnomalyInput, anomaly_for_delete_receipt
from guanwu.anomaly.repository import AnomalyRepository
from guanwu.contracts.envelope import Envelope, new_event_id
from guanwu.contracts.events import AnomalyRegistered, DeleteReceiptReceived
from guanwu.contracts.events.base import Event
from guanwu.platform.events import caused_by, envelope_for
from guanwu.platform.idempotency import deterministic_id
from guanwu.platform.outbox import OutboxNotifier

SOURCE = "/guanwu/anomaly"
Clock = Callable[[], datetime]


def utc_clock() -> datetime:
    return datetime.now(UTC)


def _registered(anomaly: Anomaly) -> AnomalyRegistered:
    return AnomalyRegistered(
        anomaly_id=anomaly.anomaly_id,
        category=anomaly.category.value,
        document_no=anomaly.document_no,
        anomaly_type=anomaly.anomaly_type.value,
        occurred_on=anomaly.occurred_on,
        handling_status=anomaly.handling_status.value,
        source_receipt_id=anomaly.source_receipt_id,
    )


async def register_anomalies_for_delete_receipts(
    items: Sequence[tuple[Envelope, Event]],
    *,
    repository: AnomalyRepository,
    outbox_written: OutboxNotifier,
    clock: Clock = utc_clock,
) -> list[bool]:
    """Exactly one 删单 record per receipt: the record's id derives from the tenant and the receipt id, so a
    redelivered receipt (also twice in one batch) finds its record there. One store write for the batch;
    returns, per receipt, whether its record is new."""
    now = clock()
    records = []
    for envelope, event in items:
        assert isinstance(event, DeleteReceiptReceived)
        anomaly_id = deterministic_id("delete-receipt", envelope.tenant, event.receipt_id)
        anomaly = anomaly_for_delete_receipt(event, anomaly_id=anomaly_id, tenant=envelope.tenant, now=now)
        registered = caused_by(
            envelope, _registered(anomaly), source=SOURCE, event_id=deterministic_id("registered", anomaly_id)
        )
        records.append((anomaly, [registered]))
    stored = await repository.add_many(records)
    for (anomaly, _), doc in zip(records, stored, strict=True):
        if doc is not None:
            outbox_written(repository.collection.name, anomaly.anomaly_id, doc)
    return [doc is not None for doc in stored]


async def register_anomaly(
    form: AnomalyInput,
    *,
    tenant: str,
    user_id: str,
    repository: AnomalyRepository,
    outbox_written: OutboxNotifier,
    clock: Clock = utc_clock,
) -> Anomaly:
    """新增: a record entered by hand."""
    anomaly = Anomaly(
        **form.model_dump(),
        anomaly_id=new_event_id(),
        tenant=tenant,
        registered_at=clock(),
        registered_by=user_id,
    )
    await repository.add(anomaly, [envelope_for(_registered(anomaly), source=SOURCE, tenant=tenant)])
    outbox_written(repository.collection.name, anomaly.anomaly_id)
    return anomaly
