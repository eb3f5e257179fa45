"""Handlers of the anomaly records (异常状态登记): 新增, the 删单 receipt's record, the operators' counts."""

from __future__ import annotations

from collections.abc import Sequence

from guanwu.anomaly.domain.records import (
    Anomaly,
    AnomalyInput,
    AnomalyType,
    HandlingStatus,
    anomaly_entered,
    anomaly_for_delete_receipt,
    new_anomaly_id,
    registered,
    registered_event_id,
)
from guanwu.anomaly.service_layer.handlers import SOURCE
from guanwu.anomaly.service_layer.unit_of_work import AnomalyUnitOfWork
from guanwu.contracts.envelope import Envelope
from guanwu.contracts.events import DeleteReceiptReceived
from guanwu.contracts.events.base import Event
from guanwu.platform.clock import Clock
from guanwu.platform.events import caused_by, envelope_for


async def register_anomalies_for_delete_receipts(
    items: Sequence[tuple[Envelope, Event]], *, uow: AnomalyUnitOfWork, clock: Clock
) -> list[bool]:
    """Exactly one 删单 record per receipt: the record's id derives from the tenant and the receipt id, so a
    redelivered receipt (also twice in one batch) finds its record there. One store write for the batch;
    returns, per receipt, whether its record is new."""
    now = clock()
    writes = []
    for envelope, event in items:
        assert isinstance(event, DeleteReceiptReceived)
        anomaly = anomaly_for_delete_receipt(event, tenant=envelope.tenant, now=now)
        announced = caused_by(
            envelope, registered(anomaly), source=SOURCE, event_id=registered_event_id(anomaly.anomaly_id)
        )
        writes.append(uow.anomalies.add(anomaly, [announced], once=True))
    await uow.commit()
    return [write.stored for write in writes]


async def register_anomaly(
    form: AnomalyInput, *, tenant: str, user_id: str, uow: AnomalyUnitOfWork, clock: Clock
) -> Anomaly:
    """新增: a record entered by hand."""
    anomaly = anomaly_entered(form, anomaly_id=new_anomaly_id(), tenant=tenant, user_id=user_id, now=clock())
    uow.anomalies.add(anomaly, [envelope_for(registered(anomaly), source=SOURCE, tenant=tenant)])
    await uow.commit()
    return anomaly


async def count_anomalies_by_type_and_status(
    *, uow: AnomalyUnitOfWork
) -> dict[tuple[AnomalyType, HandlingStatus], int]:
    """How many records each type and handling status have, over all tenants (operators' metrics, never an
    API answer)."""
    return await uow.anomalies.count_by_type_and_status()
