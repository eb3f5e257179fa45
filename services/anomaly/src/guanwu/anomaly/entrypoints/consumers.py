"""What the anomaly service consumes: 删单 receipts from sync, a poll's worth at a time."""

from __future__ import annotations

from collections.abc import Sequence

from guanwu.anomaly.service_layer.context import AnomalyContext
from guanwu.anomaly.service_layer.handlers import register_anomalies_for_delete_receipts
from guanwu.anomaly.service_layer.handlers.statistics import count_anomaly_events
from guanwu.contracts import topics
from guanwu.contracts.envelope import Envelope
from guanwu.contracts.events import REGISTRY, AnomalyEvent, DeleteReceiptReceived
from guanwu.contracts.events.base import Event
from guanwu.platform.bus.port import Subscription
from guanwu.platform.unit_of_work import with_new_unit_of_work

GROUP = "anomaly.registration"
STATISTICS_GROUP = "anomaly.statistics"


def subscriptions(context: AnomalyContext) -> list[Subscription]:
    on_delete_receipts = with_new_unit_of_work(
        register_anomalies_for_delete_receipts, context.new_uow, clock=context.clock
    )
    return [
        Subscription(
            GROUP,
            topics.SYNC_EVENTS,
            batch_handlers={DeleteReceiptReceived.event_type: on_delete_receipts},
        ),
        *_statistics(context),
    ]


def _statistics(context: AnomalyContext) -> list[Subscription]:
    """异常统计分析 counted here unless the stream process counts it (settings `statistics`)."""
    if context.statistics is None or context.statistics.source != "embedded":
        return []
    store = context.statistics.store

    async def on_anomaly_events(items: Sequence[tuple[Envelope, Event]]) -> None:
        await count_anomaly_events(items, statistics=store)

    kinds = [cls for cls in REGISTRY.all() if issubclass(cls, AnomalyEvent)]
    return [
        Subscription(
            STATISTICS_GROUP,
            topics.ANOMALY_EVENTS,
            batch_handlers={cls.event_type: on_anomaly_events for cls in kinds},
        )
    ]
