"""Handlers of the anomaly records (异常状态登记): 新增, 修改, 变更状态, 删除 (one or many), the 删单 receipt's
record, the operators' counts. Each command changes one record in a unit of work and announces it through the
outbox; a refusal changes nothing."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

from guanwu.anomaly.domain.records import (
    Anomaly,
    AnomalyEdit,
    AnomalyInput,
    AnomalyType,
    HandlingStatus,
    StatusChange,
    anomaly_entered,
    anomaly_for_delete_receipt,
    change_event_id,
    deleted,
    edited,
    new_anomaly_id,
    registered,
    registered_event_id,
    status_changed,
)
from guanwu.anomaly.service_layer.handlers import SOURCE
from guanwu.anomaly.service_layer.unit_of_work import AnomalyUnitOfWork
from guanwu.contracts.envelope import Envelope
from guanwu.contracts.events import DeleteReceiptReceived
from guanwu.contracts.events.anomaly import AnomalyEvent
from guanwu.contracts.events.base import Event
from guanwu.platform.clock import Clock
from guanwu.platform.events import caused_by, envelope_for
from guanwu.platform.refusal import VersionConflict


@dataclass(frozen=True)
class Caller:
    """Who changes which record, based on which version (If-Match)."""

    tenant: str
    user_id: str
    anomaly_id: str
    expected_version: int


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


def _announced(anomaly: Anomaly, event: AnomalyEvent) -> tuple[str, Envelope]:
    return envelope_for(
        event,
        source=SOURCE,
        tenant=anomaly.tenant,
        event_id=change_event_id(anomaly.anomaly_id, event.version),
    )


async def _save(uow: AnomalyUnitOfWork, anomaly: Anomaly, event: AnomalyEvent) -> Anomaly:
    uow.anomalies.save(anomaly, [_announced(anomaly, event)])
    await uow.commit()
    return anomaly


async def edit_anomaly(caller: Caller, *, form: AnomalyEdit, uow: AnomalyUnitOfWork, clock: Clock) -> Anomaly:
    """修改 based on the version the caller read; a form that changes nothing writes nothing."""
    anomaly = await uow.anomalies.load(
        caller.tenant, caller.anomaly_id, expected_version=caller.expected_version
    )
    step = edited(anomaly, form, user_id=caller.user_id, now=clock())
    return anomaly if step is None else await _save(uow, *step)


async def change_anomaly_status(
    caller: Caller, *, change: StatusChange, uow: AnomalyUnitOfWork, clock: Clock
) -> Anomaly:
    """变更状态 through the state machine, based on the version the caller read."""
    anomaly = await uow.anomalies.load(
        caller.tenant, caller.anomaly_id, expected_version=caller.expected_version
    )
    return await _save(uow, *status_changed(anomaly, change, user_id=caller.user_id, now=clock()))


async def delete_anomaly(caller: Caller, *, reason: str, uow: AnomalyUnitOfWork, clock: Clock) -> Anomaly:
    """删除 one record, based on the version the caller read: gone from the lists, kept in the store."""
    anomaly = await uow.anomalies.load(
        caller.tenant, caller.anomaly_id, expected_version=caller.expected_version
    )
    return await _save(uow, *deleted(anomaly, user_id=caller.user_id, now=clock(), reason=reason))


class DeleteOutcome(StrEnum):
    DELETED = "deleted"
    NOT_FOUND = "not_found"  # no such record in the tenant, or already deleted
    CONFLICT = "conflict"  # changed by someone else while being deleted: read it again


async def delete_anomalies(
    anomaly_ids: Sequence[str],
    *,
    tenant: str,
    user_id: str,
    reason: str,
    uow: AnomalyUnitOfWork,
    clock: Clock,
) -> list[tuple[str, DeleteOutcome]]:
    """删除 of the selected records, each in its own write (the store has no multi-document transaction):
    answers per id, in the order given; an id given twice is deleted once."""
    outcomes: dict[str, DeleteOutcome] = {}
    for anomaly_id in dict.fromkeys(anomaly_ids):
        anomaly = await uow.anomalies.get(tenant, anomaly_id)
        if anomaly is None:
            outcomes[anomaly_id] = DeleteOutcome.NOT_FOUND
            continue
        try:
            await _save(uow, *deleted(anomaly, user_id=user_id, now=clock(), reason=reason))
        except VersionConflict:
            outcomes[anomaly_id] = DeleteOutcome.CONFLICT
        else:
            outcomes[anomaly_id] = DeleteOutcome.DELETED
    return [(anomaly_id, outcomes[anomaly_id]) for anomaly_id in anomaly_ids]


async def count_anomalies_by_type_and_status(
    *, uow: AnomalyUnitOfWork
) -> dict[tuple[AnomalyType, HandlingStatus], int]:
    """How many records each type and handling status have, over all tenants (operators' metrics, never an
    API answer)."""
    return await uow.anomalies.count_by_type_and_status()
