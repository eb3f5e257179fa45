"""Composition root of the sync service."""

from __future__ import annotations

from functools import partial

import httpx

from guanwu.contracts import topics
from guanwu.platform.outbox import OutboxNotifier
from guanwu.platform.runtime import ServiceParts
from guanwu.platform.store.port import DocumentStore
from guanwu.sync.api import build_router
from guanwu.sync.receipts import ReceiptStore, poll_forever
from guanwu.sync.single_window import HttpSingleWindow, SingleWindow


def http_single_window(base_url: str, transport: httpx.AsyncBaseTransport | None = None) -> SingleWindow:
    return HttpSingleWindow(httpx.AsyncClient(base_url=base_url, transport=transport, timeout=10.0))


def build(
    store: DocumentStore,
    outbox_written: OutboxNotifier,
    *,
    single_window: SingleWindow,
    tenants: list[str],
    poll_interval_seconds: float = 1.0,
) -> ServiceParts:
    receipts = ReceiptStore(store)
    poller = partial(poll_forever, tenants, single_window, receipts, outbox_written, poll_interval_seconds)
    return ServiceParts(
        name="sync",
        routers=[build_router(receipts)],
        outbox_collections=[receipts.receipts],
        publishes_to=[topics.SYNC_EVENTS],
        on_start=[receipts.ensure_indexes],
        background=[poller],
        tags=[{"name": "sync", "description": "数据同步 — sync with the Single Window"}],
    )
