"""Composition root of the sync service."""

from __future__ import annotations

from functools import partial

import httpx
import structlog

from guanwu.contracts import topics
from guanwu.platform.clock import utc_now
from guanwu.platform.outbox import OutboxNotifier
from guanwu.platform.runtime import BackgroundTask, ServiceParts
from guanwu.platform.store.port import DocumentStore
from guanwu.sync.adapters.single_window import NoSingleWindow, SingleWindowCalls, http_single_window
from guanwu.sync.adapters.single_window_query import NoSingleWindowQuery, Tries, http_single_window_query
from guanwu.sync.config import SyncSettings
from guanwu.sync.domain.query import SingleWindowQuery
from guanwu.sync.domain.single_window import SingleWindow
from guanwu.sync.entrypoints import api, background, consumers, jobs_api
from guanwu.sync.metrics import PrometheusJobMetrics, PrometheusSyncMetrics
from guanwu.sync.service_layer.context import SyncContext
from guanwu.sync.service_layer.handlers.receipts import PolledTenants
from guanwu.sync.service_layer.unit_of_work import SyncUnitOfWork

log = structlog.get_logger(__name__)


def single_window_of(
    settings: SyncSettings,
    transport: httpx.AsyncBaseTransport | None,
    calls: SingleWindowCalls | None = None,
) -> SingleWindow:
    if settings.single_window_url is None:
        return NoSingleWindow()
    return http_single_window(
        settings.single_window_url,
        transport,
        timeout_seconds=settings.single_window_timeout_seconds,
        calls=calls,
    )


def query_of(
    settings: SyncSettings,
    transport: httpx.AsyncBaseTransport | None,
    calls: SingleWindowCalls | None = None,
) -> SingleWindowQuery:
    """The Single Window's query screens (sync jobs), with the retries and the rate limit of the settings."""
    if settings.single_window_url is None:
        return NoSingleWindowQuery()
    return http_single_window_query(
        settings.single_window_url,
        transport,
        timeout_seconds=settings.single_window_timeout_seconds,
        requests_per_second=settings.single_window_requests_per_second,
        tries=Tries(
            settings.single_window_attempts,
            settings.single_window_backoff_seconds,
            settings.single_window_backoff_max_seconds,
        ),
        calls=calls,
    )


def build(
    settings: SyncSettings,
    store: DocumentStore,
    outbox_written: OutboxNotifier,
    *,
    transport: httpx.AsyncBaseTransport | None = None,
) -> ServiceParts:
    """`settings.single_window_url=None`: no upstream (embedded without a simulator). 申报 requests are still
    kept, so a sync started later with a Single Window sends them; nothing is polled or retried meanwhile.
    `transport` carries the HTTP to the Single Window some other way than a socket (the embedded simulator)."""
    connected = settings.single_window_url is not None
    metrics = PrometheusSyncMetrics()
    context = SyncContext(
        new_uow=partial(SyncUnitOfWork, store, outbox_written),
        clock=utc_now,
        single_window=single_window_of(settings, transport, metrics),
        tenants=PolledTenants(settings.tenants),
        settings=settings,
        observer=metrics,
        query=query_of(settings, transport, metrics),
        job_observer=PrometheusJobMetrics(),
    )
    uow = context.new_uow()
    loops: list[BackgroundTask] = [
        partial(background.poll_forever, context),
        partial(background.resend_forever, context),
        partial(background.run_jobs_forever, context),
    ]

    indexed = (uow.receipts, uow.declarations, uow.bonded_list_receipts, uow.receipt_quarantine)

    async def ensure_indexes() -> None:
        for repository in (*indexed, uow.jobs, uow.quarantine):
            await repository.ensure_indexes()

    async def say_unconnected() -> None:
        if not connected:
            log.warning("sync has no Single Window: declarations are kept unsent, no receipts are polled")

    return ServiceParts(
        name="sync",
        routers=[api.router, jobs_api.router],
        subscriptions=consumers.subscriptions(context),
        outbox_collections=[
            uow.receipts.collection,
            uow.declarations.collection,
            uow.bonded_list_receipts.collection,
            uow.jobs.collection,
            uow.synced.collection,
        ],
        publishes_to=[topics.SYNC_EVENTS, topics.SYNC_REQUESTS],
        on_start=[ensure_indexes, say_unconnected],
        background=loops if connected else [],
        tags=[{"name": "sync", "description": "数据同步 — sync with the Single Window"}],
        context=context,
    )
