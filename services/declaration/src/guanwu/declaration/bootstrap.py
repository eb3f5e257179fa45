"""Composition root of the declaration service: the unit of work over the store, the context its entrypoints
share, its routers and its subscriptions."""

from __future__ import annotations

from datetime import timedelta

from guanwu.contracts import topics
from guanwu.declaration.config import DeclarationSettings
from guanwu.declaration.entrypoints import api, consumers, imports_api, job_orders_api
from guanwu.declaration.metrics import PrometheusDeclarationMetrics
from guanwu.declaration.service_layer.context import DeclarationContext
from guanwu.declaration.service_layer.handlers.declarations import count_declarations_by_status
from guanwu.declaration.service_layer.handlers.sweeps import (
    expire_parked_receipts,
    time_out_unanswered_signing,
)
from guanwu.declaration.service_layer.unit_of_work import DeclarationUnitOfWork
from guanwu.platform.clock import Clock, utc_now
from guanwu.platform.http.limits import UploadRoute
from guanwu.platform.outbox import OutboxNotifier
from guanwu.platform.runtime import ServiceParts, every
from guanwu.platform.store.port import DocumentStore


def build(
    settings: DeclarationSettings,
    store: DocumentStore,
    outbox_written: OutboxNotifier,
    *,
    clock: Clock = utc_now,
) -> ServiceParts:
    metrics = PrometheusDeclarationMetrics()

    def new_uow() -> DeclarationUnitOfWork:
        return DeclarationUnitOfWork(store, outbox_written, status_changes=metrics)

    async def count_declarations() -> None:
        metrics.counted(await count_declarations_by_status(uow=new_uow()))

    async def time_out_signing() -> None:
        timeout = timedelta(seconds=settings.signing_timeout_seconds)
        await time_out_unanswered_signing(uow=new_uow(), clock=clock, timeout=timeout, observer=metrics)

    async def expire_receipts() -> None:
        ttl = timedelta(seconds=settings.parked_receipt_ttl_seconds)
        await expire_parked_receipts(uow=new_uow(), clock=clock, ttl=ttl, observer=metrics)

    context = DeclarationContext(
        new_uow=new_uow,
        clock=clock,
        reaction_attempts=settings.reaction_attempts,
        import_limits=settings.imports,
    )
    uow = new_uow()  # for what the runtime needs at start: indexes, the collection the relay sweeps
    return ServiceParts(
        name="declaration",
        routers=[api.router, api.templates_router, imports_api.router, job_orders_api.router],
        uploads=[UploadRoute(imports_api.router.prefix, settings.imports.max_bytes)],
        subscriptions=consumers.subscriptions(context),
        outbox_collections=[uow.declarations.collection, uow.job_orders.collection, uow.sends.collection],
        publishes_to=[topics.DECLARATION_EVENTS, topics.SIGNER_REQUESTS],
        on_start=[
            uow.declarations.ensure_indexes,
            uow.templates.ensure_indexes,
            uow.parked_receipts.ensure_indexes,
            uow.bonded_lists.ensure_indexes,
            uow.imports.ensure_indexes,
            uow.job_orders.ensure_indexes,
            uow.sends.ensure_indexes,
        ],
        background=[
            every(settings.metrics_refresh_seconds, count_declarations, what="declarations by status"),
            every(settings.signing_timeout_sweep_seconds, time_out_signing, what="signing timeout"),
            every(settings.parked_receipt_sweep_seconds, expire_receipts, what="parked receipt expiry"),
        ],
        tags=[{"name": "declaration", "description": "报关单制单 — declaration drafting"}],
        context=context,
    )
