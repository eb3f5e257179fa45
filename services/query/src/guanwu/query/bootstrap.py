"""Composition root of the query service."""

from __future__ import annotations

from guanwu.contracts import topics
from guanwu.contracts.events import REGISTRY, DeclarationSummary
from guanwu.platform.bus.port import Subscription
from guanwu.platform.outbox import OutboxNotifier
from guanwu.platform.runtime import ServiceParts
from guanwu.platform.store.port import DocumentStore
from guanwu.query.api import build_router
from guanwu.query.config import QuerySettings
from guanwu.query.projection import DeclarationReadModel

GROUP = "query.declarations"


def build(settings: QuerySettings, store: DocumentStore, outbox_written: OutboxNotifier) -> ServiceParts:
    read_model = DeclarationReadModel(store)

    # Every declaration event carries the summary; the projection follows all of them, a poll's worth at once.
    handlers = {
        cls.event_type: read_model.apply_many for cls in REGISTRY.all() if issubclass(cls, DeclarationSummary)
    }
    return ServiceParts(
        name="query",
        routers=[build_router(read_model)],
        subscriptions=[Subscription(GROUP, topics.DECLARATION_EVENTS, batch_handlers=handlers)],
        on_start=[read_model.ensure_indexes],
        tags=[{"name": "query", "description": "业务数据查询 — business data query"}],
    )
