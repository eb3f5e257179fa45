"""What the anomaly service consumes: 删单 receipts from sync, a poll's worth at a time."""

from __future__ import annotations

from guanwu.anomaly.service_layer.context import AnomalyContext
from guanwu.anomaly.service_layer.handlers import register_anomalies_for_delete_receipts
from guanwu.contracts import topics
from guanwu.contracts.events import DeleteReceiptReceived
from guanwu.platform.bus.port import Subscription
from guanwu.platform.unit_of_work import with_new_unit_of_work

GROUP = "anomaly.registration"


def subscriptions(context: AnomalyContext) -> list[Subscription]:
    on_delete_receipts = with_new_unit_of_work(
        register_anomalies_for_delete_receipts, context.new_uow, clock=context.clock
    )
    return [
        Subscription(
            GROUP,
            topics.SYNC_EVENTS,
            batch_handlers={DeleteReceiptReceived.event_type: on_delete_receipts},
        )
    ]
