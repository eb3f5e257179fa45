"""What the card signer consumes: the one table of its subscriptions."""

from __future__ import annotations

from guanwu.card_signer.service_layer.context import CardSignerContext
from guanwu.card_signer.service_layer.handlers import answer_sign_request
from guanwu.contracts import topics
from guanwu.contracts.events.signer import SignRequested
from guanwu.platform.bus.port import Subscription
from guanwu.platform.unit_of_work import with_new_unit_of_work

GROUP = "card-signer.signing"


def subscriptions(context: CardSignerContext) -> list[Subscription]:
    answer = with_new_unit_of_work(
        answer_sign_request, context.new_uow, queue=context.queue, owners=context.owners, clock=context.clock
    )
    return [Subscription(GROUP, topics.SIGNER_REQUESTS, {SignRequested.event_type: answer})]
