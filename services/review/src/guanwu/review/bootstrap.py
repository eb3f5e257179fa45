"""Composition root of the review service: binds the handlers to the store, the relay and the clock."""

from __future__ import annotations

from functools import partial

from guanwu.contracts import topics
from guanwu.platform.clock import utc_now
from guanwu.platform.outbox import OutboxNotifier
from guanwu.platform.runtime import ServiceParts
from guanwu.platform.store.port import DocumentStore
from guanwu.review.adapters_advanced import AuditLog, DeclarationHistory, ReviewSettingsStore
from guanwu.review.config import ReviewSettings
from guanwu.review.entrypoints import advanced_api, advanced_consumers, api, audit_api, consumers
from guanwu.review.service_layer.advanced import AdvancedContext
from guanwu.review.service_layer.context import ReviewContext
from guanwu.review.service_layer.unit_of_work import ReviewUnitOfWork


def build(settings: ReviewSettings, store: DocumentStore, outbox_written: OutboxNotifier) -> ServiceParts:
    new_uow = partial(ReviewUnitOfWork, store, outbox_written)
    advanced = AdvancedContext(
        new_uow=new_uow,
        clock=utc_now,
        history=DeclarationHistory(store),
        audit=AuditLog(store),
        settings=ReviewSettingsStore(store),
        declaration_url=settings.declaration_url,
        api_timeout_seconds=settings.api_timeout_seconds,
    )
    context = ReviewContext(new_uow=new_uow, clock=utc_now, advanced=advanced)
    tasks = context.new_uow().tasks
    return ServiceParts(
        name="review",
        routers=[api.router, advanced_api.router, audit_api.router],
        subscriptions=[*consumers.subscriptions(context), *advanced_consumers.subscriptions(advanced)],
        outbox_collections=[tasks.collection],
        publishes_to=[topics.REVIEW_EVENTS],
        on_start=[tasks.ensure_indexes, advanced.history.ensure_indexes, advanced.audit.ensure_indexes],
        tags=[{"name": "review", "description": "审单 — declaration review"}],
        context=context,
    )
