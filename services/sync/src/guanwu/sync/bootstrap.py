"""Composition root of the sync service."""

from __future__ import annotations

from functools import partial

import httpx

from guanwu.contracts import topics
from guanwu.contracts.events import DeclarationDeclareRequested, DeclarationSigned, SignFailed
from guanwu.platform.bus.port import Subscription
from guanwu.platform.outbox import OutboxNotifier
from guanwu.platform.runtime import ServiceParts
from guanwu.platform.store.port import DocumentStore
from guanwu.sync.api import build_router
from guanwu.sync.declare import (
    DeclarePorts,
    keep_half,
    resend_forever,
)
from guanwu.sync.declare_records import DeclareRecords
from guanwu.sync.receipts import ReceiptStore, poll_forever
from guanwu.sync.single_window import HttpSingleWindow, SingleWindow


def http_single_window(base_url: str, transport: httpx.AsyncBaseTransport | None = None) -> SingleWindow:
    return HttpSingleWindow(httpx.AsyncClient(base_url=base_url, transport=transport, timeout=10.0))


def declare_subscriptions(ports: DeclarePorts) -> list[Subscription]:
    """申报 needs both the declared message and the card's signature; either may come first."""
    keep = partial(keep_half, ports=ports)
    return [
        Subscription(
            "sync.declare-requests",
            topics.DECLARATION_EVENTS,
            {DeclarationDeclareRequested.event_type: keep},
        ),
        Subscription(
            "sync.signatures",
            topics.SIGNER_EVENTS,
            {DeclarationSigned.event_type: keep, SignFailed.event_type: keep},
        ),
    ]


def build(
    store: DocumentStore,
    outbox_written: OutboxNotifier,
    *,
    single_window: SingleWindow,
    tenants: list[str],
    poll_interval_seconds: float = 1.0,
    resend_interval_seconds: float = 30.0,
) -> ServiceParts:
    receipts = ReceiptStore(store)
    declarations = DeclareRecords(store)
    ports = DeclarePorts(declarations, single_window, outbox_written)
    poller = partial(poll_forever, tenants, single_window, receipts, outbox_written, poll_interval_seconds)
    return ServiceParts(
        name="sync",
        routers=[build_router(receipts, declarations)],
        subscriptions=declare_subscriptions(ports),
        outbox_collections=[receipts.receipts, declarations.collection],
        publishes_to=[topics.SYNC_EVENTS],
        on_start=[receipts.ensure_indexes, declarations.ensure_indexes],
        background=[poller, partial(resend_forever, ports, resend_interval_seconds)],
        tags=[{"name": "sync", "description": "数据同步 — sync with the Single Window"}],
    )
