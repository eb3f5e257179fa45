"""Composition root of the sync service."""

from __future__ import annotations

from functools import partial

import httpx
import structlog

from guanwu.contracts import topics
from guanwu.contracts.envelope import Envelope
from guanwu.contracts.events import DeclarationDeclareRequested, DeclarationSigned, SignFailed
from guanwu.contracts.events.base import Event
from guanwu.platform.bus.port import Subscription
from guanwu.platform.outbox import OutboxNotifier
from guanwu.platform.runtime import ServiceParts
from guanwu.platform.store.port import DocumentStore
from guanwu.sync.api import build_router
from guanwu.sync.config import SyncSettings
from guanwu.sync.declare import (
    DeclarePorts,
    keep_half,
    resend_forever,
)
from guanwu.sync.declare_records import DeclareRecords
from guanwu.sync.receipts import ReceiptStore, poll_forever
from guanwu.sync.single_window import HttpSingleWindow, NoSingleWindow, SingleWindow
from guanwu.sync.tenants import SyncTenants

log = structlog.get_logger(__name__)


def http_single_window(base_url: str, transport: httpx.AsyncBaseTransport | None = None) -> SingleWindow:
    return HttpSingleWindow(httpx.AsyncClient(base_url=base_url, transport=transport, timeout=10.0))


def declare_subscriptions(ports: DeclarePorts, tenants: SyncTenants) -> list[Subscription]:
    """申报 needs both the declared message and the card's signature; either may come first. A tenant that
    declares is followed by the receipt poller from then on."""
    keep = partial(keep_half, ports=ports)

    async def keep_request(envelope: Envelope, event: Event) -> None:
        await tenants.learn(envelope.tenant)
        await keep(envelope, event)

    return [
        Subscription(
            "sync.declare-requests",
            topics.DECLARATION_EVENTS,
            {DeclarationDeclareRequested.event_type: keep_request},
        ),
        Subscription(
            "sync.signatures",
            topics.SIGNER_EVENTS,
            {DeclarationSigned.event_type: keep, SignFailed.event_type: keep},
        ),
    ]


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
    single_window = (
        None
        if settings.single_window_url is None
        else http_single_window(settings.single_window_url, transport)
    )
    tenants = settings.tenants
    poll_interval_seconds, resend_interval_seconds = (
        settings.poll_interval_seconds,
        settings.resend_interval_seconds,
    )
    receipts = ReceiptStore(store)
    declarations = DeclareRecords(store)
    known = SyncTenants(store, tenants)
    ports = DeclarePorts(declarations, single_window or NoSingleWindow(), outbox_written)
    background = []
    if single_window is not None:
        poller = partial(
            poll_forever, known.all, single_window, receipts, outbox_written, poll_interval_seconds
        )
        background = [poller, partial(resend_forever, ports, resend_interval_seconds)]

    async def say_unconnected() -> None:
        if single_window is None:
            log.warning("sync has no Single Window: declarations are kept unsent, no receipts are polled")

    return ServiceParts(
        name="sync",
        routers=[build_router(receipts, declarations)],
        subscriptions=declare_subscriptions(ports, known),
        outbox_collections=[receipts.receipts, declarations.collection],
        publishes_to=[topics.SYNC_EVENTS],
        on_start=[receipts.ensure_indexes, declarations.ensure_indexes, say_unconnected],
        background=background,
        tags=[{"name": "sync", "description": "数据同步 — sync with the Single Window"}],
    )
