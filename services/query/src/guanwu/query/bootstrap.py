"""Composition root of the query service."""

from __future__ import annotations

from guanwu.platform.outbox import OutboxNotifier
from guanwu.platform.runtime import ServiceParts
from guanwu.platform.store.port import DocumentStore
from guanwu.query.adapters.bonded_lists import BondedListReadModel
from guanwu.query.adapters.declarations import DeclarationReadModel
from guanwu.query.adapters.history import HistoryReadModel
from guanwu.query.config import QuerySettings
from guanwu.query.entrypoints import api, consumers, export_api, print_api
from guanwu.query.service_layer.context import QueryContext


def build(settings: QuerySettings, store: DocumentStore, outbox_written: OutboxNotifier) -> ServiceParts:
    """The query service's parts. It publishes nothing, so `outbox_written` goes unused; `settings` hold
    nothing the service tunes yet (auth is the runtime's)."""
    declarations = DeclarationReadModel(store)
    context = QueryContext(
        read_model=declarations,
        bonded_lists=BondedListReadModel(store),
        history=HistoryReadModel(store, declarations),
    )
    return ServiceParts(
        name="query",
        # The exports first: /declarations/export.xlsx is not a declaration id.
        routers=[export_api.router, api.router, print_api.router],
        subscriptions=consumers.subscriptions(context),
        on_start=[
            context.read_model.ensure_indexes,
            context.bonded_lists.ensure_indexes,
            context.history.ensure_indexes,
        ],
        tags=[{"name": "query", "description": "业务数据查询 — business data query"}],
        context=context,
    )
