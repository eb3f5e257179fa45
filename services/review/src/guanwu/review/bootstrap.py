"""Composition root of the review service: binds the handlers to the store, the relay and the clock."""

from __future__ import annotations

from functools import partial

from guanwu.contracts import topics
from guanwu.platform.clock import utc_now
from guanwu.platform.outbox import OutboxNotifier
from guanwu.platform.runtime import ServiceParts
from guanwu.platform.store.port import DocumentStore
from guanwu.review.config import ReviewSettings
from guanwu.review.entrypoints import api, consumers
from guanwu.review.service_layer.context import ReviewContext
from guanwu.review.service_layer.unit_of_work import ReviewUnitOfWork


def build(settings: ReviewSettings, store: DocumentStore, outbox_written: OutboxNotifier) -> ServiceParts:
    # `settings` holds only what every service has (auth, logging): review has nothing of its own to tune.
    context = ReviewContext(new_uow=partial(ReviewUnitOfWork, store, outbox_written), clock=utc_now)
    tasks = context.new_uow().tasks
    return ServiceParts(
        name="review",
        routers=[api.router],
        subscriptions=consumers.subscriptions(context),
        outbox_collections=[tasks.collection],
        publishes_to=[topics.REVIEW_EVENTS],
        on_start=[tasks.ensure_indexes],
        tags=[{"name": "review", "description": "审单 — declaration review"}],
        context=context,
    )
