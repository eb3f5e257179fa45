"""Sync's background loops (run only when a Single Window is configured): the receipt poller and the
resend sweep."""

from __future__ import annotations

import asyncio

import structlog

from guanwu.platform.store.port import ConcurrencyConflict
from guanwu.sync.service_layer.context import SyncContext
from guanwu.sync.service_layer.handlers.declare import resend_ready
from guanwu.sync.service_layer.handlers.receipts import read_receipts

log = structlog.get_logger(__name__)


async def poll_forever(context: SyncContext) -> None:
    """Each round reads the tenants again, so one that appears is polled from the next round on."""
    settings = context.settings
    while True:
        busy = False
        for tenant in await context.tenants.all(uow=context.new_uow()):
            ok = True
            try:
                read = await read_receipts(
                    tenant,
                    uow=context.new_uow(),
                    single_window=context.single_window,
                    limit=settings.receipt_page_size,
                    observer=context.observer,
                )
                busy |= read > 0
            except ConcurrencyConflict:
                busy = True  # another poller moved the cursor (the receipts are kept): read again
            except Exception as exc:  # the Single Window is an outside system: keep polling
                ok = False
                log.warning("receipt poll failed", tenant=tenant, error=f"{type(exc).__name__}: {exc}")
            context.observer.job_ran("receipt_poll", ok=ok)
        if not busy:
            await asyncio.sleep(settings.poll_interval_seconds)


async def resend_once(context: SyncContext, *, min_age_seconds: float) -> int:
    """One sweep over the complete records left unsent for `min_age_seconds`; how many were sent or refused."""
    return await resend_ready(
        uow=context.new_uow(),
        clock=context.clock,
        single_window=context.single_window,
        write_attempts=context.settings.write_attempts,
        min_age_seconds=min_age_seconds,
        limit=context.settings.resend_batch_size,
        observer=context.observer,
    )


async def resend_forever(context: SyncContext) -> None:
    interval = context.settings.resend_interval_seconds
    while True:
        await resend_once(context, min_age_seconds=interval)
        await asyncio.sleep(interval)
