"""Composition root of the review service: binds handlers to the store and the bus."""

from __future__ import annotations

from functools import partial

from guanwu.contracts import topics
from guanwu.contracts.events import DeclarationSubmittedForReview
from guanwu.platform.bus.port import Subscription
from guanwu.platform.outbox import OutboxNotifier
from guanwu.platform.runtime import ServiceParts
from guanwu.platform.store.port import DocumentStore
from guanwu.review.api import build_router
from guanwu.review.config import ReviewSettings
from guanwu.review.handlers import ReviewCommands, open_review_task
from guanwu.review.repository import ReviewRepository

GROUP = "review.tasks"


def build(settings: ReviewSettings, store: DocumentStore, outbox_written: OutboxNotifier) -> ServiceParts:
    repository = ReviewRepository(store)
    on_submitted = partial(open_review_task, repository=repository)
    return ServiceParts(
        name="review",
        routers=[build_router(repository, ReviewCommands(repository, outbox_written))],
        subscriptions=[
            Subscription(
                GROUP, topics.DECLARATION_EVENTS, {DeclarationSubmittedForReview.event_type: on_submitted}
            )
        ],
        outbox_collections=[repository.collection],
        publishes_to=[topics.REVIEW_EVENTS],
        on_start=[repository.ensure_indexes],
        tags=[{"name": "review", "description": "审单 — declaration review"}],
    )
