"""Composition root of the anomaly service: binds handlers to the store and the bus."""

from __future__ import annotations

from guanwu.anomaly.adapters import AnomalyRepository
from guanwu.anomaly.adapters.attachments import BLOB_BUCKET
from guanwu.anomaly.adapters.statistics import StatisticsStore
from guanwu.anomaly.config import AnomalySettings
from guanwu.anomaly.domain.attachments import AttachmentKind
from guanwu.anomaly.domain.rules import rules_from_settings
from guanwu.anomaly.entrypoints import api, attachments_api, consumers, rules_api, statistics_api
from guanwu.anomaly.metrics import PrometheusAnomalyMetrics
from guanwu.anomaly.service_layer.context import AnomalyContext
from guanwu.anomaly.service_layer.handlers import count_anomalies_by_type_and_status
from guanwu.anomaly.service_layer.handlers.attachments import AttachmentPolicy, Attachments
from guanwu.anomaly.service_layer.handlers.statistics import StatisticsReading
from guanwu.anomaly.service_layer.unit_of_work import AnomalyUnitOfWork
from guanwu.contracts import topics
from guanwu.platform.clock import Clock, utc_now
from guanwu.platform.http.limits import UploadRoute
from guanwu.platform.outbox import OutboxNotifier
from guanwu.platform.runtime import ServiceParts, every
from guanwu.platform.store.blobs import BlobStore, blobs_of
from guanwu.platform.store.port import DocumentStore


def build(
    settings: AnomalySettings,
    store: DocumentStore,
    outbox_written: OutboxNotifier,
    *,
    clock: Clock = utc_now,
    blobs: BlobStore | None = None,
) -> ServiceParts:
    """The anomaly service's parts; `clock` is for tests. Attachments' files go to `blobs`, by default the blob
    store that goes with `store` (GridFS on Mongo, the data folder next to SQLite)."""
    metrics = PrometheusAnomalyMetrics()

    def new_uow() -> AnomalyUnitOfWork:
        return AnomalyUnitOfWork(store, outbox_written, registrations=metrics)

    async def count_anomalies() -> None:
        metrics.counted(await count_anomalies_by_type_and_status(uow=new_uow()))

    statistics = StatisticsStore(store)
    context = AnomalyContext(
        new_uow=new_uow,
        clock=clock,
        default_rules=rules_from_settings(settings.auto_registration),
        statistics=StatisticsReading(statistics, settings.statistics),
        attachments=_attachments(settings, blobs or blobs_of(store, BLOB_BUCKET)),
    )
    return ServiceParts(
        name="anomaly",
        routers=[api.router, rules_api.router, statistics_api.router, attachments_api.router],
        uploads=[UploadRoute(attachments_api.router.prefix, settings.attachment_max_bytes)],
        subscriptions=consumers.subscriptions(context),
        outbox_collections=[store.collection(AnomalyRepository.collection_name)],
        publishes_to=[topics.ANOMALY_EVENTS],
        on_start=[
            context.new_uow().anomalies.ensure_indexes,
            context.new_uow().documents.ensure_indexes,
            statistics.ensure_indexes,
            context.new_uow().attachments.ensure_indexes,
        ],
        background=[
            every(settings.metrics_refresh_seconds, count_anomalies, what="anomalies by type and status")
        ],
        tags=[{"name": "anomaly", "description": "异常状态登记 — anomaly registration"}],
        context=context,
    )


def _attachments(settings: AnomalySettings, blobs: BlobStore) -> Attachments:
    policy = AttachmentPolicy(
        max_bytes=settings.attachment_max_bytes,
        allowed=frozenset(AttachmentKind(kind) for kind in settings.attachment_types),
        per_record=settings.attachments_per_record,
    )
    return Attachments(blobs, policy)
