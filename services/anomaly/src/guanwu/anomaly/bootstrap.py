"""Composition root of the anomaly service: binds handlers to the store and the bus."""

from __future__ import annotations

from guanwu.anomaly.adapters import AnomalyRepository
from guanwu.anomaly.config import AnomalySettings
from guanwu.anomaly.entrypoints import api, consumers
from guanwu.anomaly.metrics import PrometheusAnomalyMetrics
from guanwu.anomaly.service_layer.context import AnomalyContext
from guanwu.anomaly.service_layer.handlers import count_anomalies_by_type_and_status
from guanwu.anomaly.service_layer.unit_of_work import AnomalyUnitOfWork
from guanwu.contracts import topics
from guanwu.platform.clock import Clock, utc_now
from guanwu.platform.outbox import OutboxNotifier
from guanwu.platform.runtime import ServiceParts, every
from guanwu.platform.store.port import DocumentStore


def build(
    settings: AnomalySettings,
    store: DocumentStore,
    outbox_written: OutboxNotifier,
    *,
    clock: Clock = utc_now,
) -> ServiceParts:
    """The anomaly service's parts; `clock` is for tests."""
    metrics = PrometheusAnomalyMetrics()

    def new_uow() -> AnomalyUnitOfWork:
        return AnomalyUnitOfWork(store, outbox_written, registrations=metrics)

    async def count_anomalies() -> None:
        metrics.counted(await count_anomalies_by_type_and_status(uow=new_uow()))

    context = AnomalyContext(new_uow=new_uow, clock=clock)
    return ServiceParts(
        name="anomaly",
        routers=[api.router],
        subscriptions=consumers.subscriptions(context),
        outbox_collections=[store.collection(AnomalyRepository.collection_name)],
        publishes_to=[topics.ANOMALY_EVENTS],
        on_start=[context.new_uow().anomalies.ensure_indexes],
        background=[
            every(settings.metrics_refresh_seconds, count_anomalies, what="anomalies by type and status")
        ],
        tags=[{"name": "anomaly", "description": "异常状态登记 — anomaly registration"}],
        context=context,
    )
