"""What the query service consumes, a poll's worth at a time: every declaration event, and sync's synced
核注清单, declarations and receipts."""

from __future__ import annotations

from functools import partial

from guanwu.contracts import topics
from guanwu.contracts.events import (
    REGISTRY,
    BondedListReceiptReceived,
    BondedListSynced,
    DeclarationSummary,
    DeclarationSynced,
    ReceiptReceived,
)
from guanwu.platform.bus.port import Subscription
from guanwu.query.service_layer.context import QueryContext
from guanwu.query.service_layer.handlers import (
    project_bonded_list_events,
    project_declaration_events,
    project_receipt_events,
)

GROUP = "query.declarations"
BONDED_LISTS_GROUP = "query.bonded_lists"
RECEIPTS_GROUP = "query.receipts"


def subscriptions(context: QueryContext) -> list[Subscription]:
    # Every declaration event carries the summary; the projection follows all of them.
    project = partial(project_declaration_events, read_model=context.read_model, history=context.history)
    handlers = {cls.event_type: project for cls in REGISTRY.all() if issubclass(cls, DeclarationSummary)}
    # One handler object for both types, so a run mixing lists and receipts is one batch.
    bonded = partial(project_bonded_list_events, read_model=context.bonded_lists)
    receipts = partial(project_receipt_events, read_model=context.read_model, history=context.history)
    return [
        Subscription(GROUP, topics.DECLARATION_EVENTS, batch_handlers=handlers),
        Subscription(
            BONDED_LISTS_GROUP,
            topics.SYNC_EVENTS,
            batch_handlers={
                BondedListSynced.event_type: bonded,
                BondedListReceiptReceived.event_type: bonded,
            },
        ),
        # The declarations' receipts (申报状态, 跟踪报关单动态): a group of its own, so it reads the topic from
        # its beginning wherever the 核注清单 group stands.
        Subscription(
            RECEIPTS_GROUP,
            topics.SYNC_EVENTS,
            batch_handlers={ReceiptReceived.event_type: receipts, DeclarationSynced.event_type: receipts},
        ),
    ]
