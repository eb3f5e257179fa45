"""Composition root of the anomaly service: binds handlers to the store and the bus."""

from __future__ import annotations

from functools import partial

from guanwu.anomaly.api import build_router
from guanwu.anomaly.config import AnomalySettings
from guanwu.anomaly.handlers import register_anomalies_for_delete_receipts
from guanwu.anomaly.repository import AnomalyRepository
from guanwu.contracts import topics
from guanwu.contracts.events import DeleteReceiptReceived
from guanwu.platform.bus.port import Subscription
from guanwu.platform.outbox import OutboxNotifier
from guanwu.platform.runtime import ServiceParts
from guanwu.platform.store.port import DocumentStore

GROUP = "anomaly.registration"


def build(settings: AnomalySettings, store: DocumentStore, outbox_written: OutboxNotifier) -> ServiceParts:
    repository = AnomalyRepository(store)
    on_delete_receipts = partial(
        register_anomalies_for_delete_receipts, repository=repository, outbox_written=outbox_written
    )
    return ServiceParts(
        name="anomaly",
        routers=[build_router(repository, outbox_written)],
        subscriptions=[
            Subscription(
                GROUP,
                topics.SYNC_EVENTS,
                batch_handlers={DeleteReceiptReceived.event_type: on_delete_receipts},
            )
        ],
        outbox_collections=[repository.collection],
        publishes_to=[topics.ANOMALY_EVENTS],
        on_start=[repository.ensure_indexes],
        tags=[{"name": "anomaly", "description": "异常状态登记 — anomaly registration"}],
    )
