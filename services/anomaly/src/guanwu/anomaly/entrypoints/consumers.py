"""What the anomaly service consumes, a poll's worth at a time: sync's receipts (DEC_RESULT, 删单 and
核注清单), registered by the tenant's rules, and what declaration events and synced 核注清单 say of the documents
the records are filled from."""

from __future__ import annotations

from collections.abc import Sequence

from guanwu.anomaly.service_layer.context import AnomalyContext
from guanwu.anomaly.service_layer.handlers.receipts import (
    learn_bonded_lists,
    learn_declarations,
    register_anomalies_for_receipts,
)
from guanwu.anomaly.service_layer.handlers.statistics import count_anomaly_events
from guanwu.contracts import topics
from guanwu.contracts.envelope import Envelope
from guanwu.contracts.events import (
    REGISTRY,
    AnomalyEvent,
    BondedListReceiptReceived,
    BondedListSynced,
    DeclarationSummary,
    DeleteReceiptReceived,
    ReceiptReceived,
)
from guanwu.contracts.events.base import Event
from guanwu.platform.bus.port import Subscription
from guanwu.platform.unit_of_work import with_new_unit_of_work

GROUP = "anomaly.registration"
DOCUMENTS_GROUP = "anomaly.documents"
STATISTICS_GROUP = "anomaly.statistics"


def subscriptions(context: AnomalyContext) -> list[Subscription]:
    # One handler object for the three receipt types, so a run mixing them is one batch (one write). A synced
    # 核注清单 is learned in the same group, so it is known before a receipt that follows it on its partition.
    on_receipts = with_new_unit_of_work(
        register_anomalies_for_receipts, context.new_uow, clock=context.clock, defaults=context.default_rules
    )
    receipts = (DeleteReceiptReceived, ReceiptReceived, BondedListReceiptReceived)
    on_bonded_lists = with_new_unit_of_work(learn_bonded_lists, context.new_uow)
    on_declarations = with_new_unit_of_work(learn_declarations, context.new_uow)
    declarations = [cls for cls in REGISTRY.all() if issubclass(cls, DeclarationSummary)]
    return [
        Subscription(
            GROUP,
            topics.SYNC_EVENTS,
            batch_handlers={
                **{cls.event_type: on_receipts for cls in receipts},
                BondedListSynced.event_type: on_bonded_lists,
            },
        ),
        Subscription(
            DOCUMENTS_GROUP,
            topics.DECLARATION_EVENTS,
            batch_handlers={cls.event_type: on_declarations for cls in declarations},
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
