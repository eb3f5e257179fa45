"""The one table of what the declaration service consumes: consumer group, topic, event type → reaction."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from guanwu.contracts import topics
from guanwu.contracts.events import (
    BondedListSynced,
    DeclarationSigned,
    DeclarationSubmitFailed,
    DeclarationSubmitted,
    DeclarationSynced,
    ReceiptReceived,
    ReviewApproved,
    ReviewRejected,
    ReviewSendRequested,
    SignFailed,
)
from guanwu.declaration.service_layer.context import DeclarationContext
from guanwu.declaration.service_layer.handlers import reactions, sending, synced
from guanwu.platform.bus.port import BatchHandler, EventHandler, Subscription
from guanwu.platform.unit_of_work import with_new_unit_of_work


def subscriptions(context: DeclarationContext) -> list[Subscription]:
    def bind(reaction: Callable[..., Awaitable[reactions.Outcome]]) -> EventHandler:
        """The reaction as the bus calls it, with a fresh unit of work per event."""
        return with_new_unit_of_work(
            reaction, context.new_uow, clock=context.clock, attempts=context.reaction_attempts
        )

    def bind_batch(handler: Callable[..., Awaitable[None]]) -> BatchHandler:
        """A batch handler as the bus calls it, with a fresh unit of work per batch."""
        return with_new_unit_of_work(
            handler, context.new_uow, clock=context.clock, attempts=context.reaction_attempts
        )

    return [
        Subscription(
            "declaration.review",
            topics.REVIEW_EVENTS,
            {
                ReviewApproved.event_type: bind(reactions.apply_review_decision),
                ReviewRejected.event_type: bind(reactions.apply_review_decision),
                # 发送: after the approval it follows (one partition per declaration keeps them in order).
                ReviewSendRequested.event_type: bind(sending.carry_out_send),
            },
        ),
        Subscription(
            "declaration.signing",
            topics.SIGNER_EVENTS,
            {
                DeclarationSigned.event_type: bind(reactions.keep_signature),
                SignFailed.event_type: bind(reactions.keep_sign_failure),
            },
        ),
        Subscription(
            "declaration.receipts",
            topics.SYNC_EVENTS,
            {
                DeclarationSubmitted.event_type: bind(reactions.mark_declared),
                DeclarationSubmitFailed.event_type: bind(reactions.mark_declare_failed),
                ReceiptReceived.event_type: bind(reactions.apply_customs_receipt),
            },
        ),
        # Apart from the receipts, so that a sync job's thousands of records never hold a receipt back.
        Subscription(
            "declaration.sync",
            topics.SYNC_EVENTS,
            batch_handlers={
                DeclarationSynced.event_type: bind_batch(synced.sync_declarations),
                BondedListSynced.event_type: with_new_unit_of_work(
                    synced.keep_bonded_lists, context.new_uow, clock=context.clock
                ),
            },
        ),
    ]
