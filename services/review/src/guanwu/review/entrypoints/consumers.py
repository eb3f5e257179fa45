"""What the review service consumes: the one table of its subscriptions."""

from __future__ import annotations

from guanwu.contracts import topics
from guanwu.contracts.events import DeclarationSubmittedForReview
from guanwu.platform.bus.port import Subscription
from guanwu.platform.unit_of_work import with_new_unit_of_work
from guanwu.review.service_layer.context import ReviewContext
from guanwu.review.service_layer.handlers import open_review_task

GROUP = "review.tasks"


def subscriptions(context: ReviewContext) -> list[Subscription]:
    open_task = with_new_unit_of_work(open_review_task, context.new_uow)
    return [
        Subscription(GROUP, topics.DECLARATION_EVENTS, {DeclarationSubmittedForReview.event_type: open_task})
    ]
