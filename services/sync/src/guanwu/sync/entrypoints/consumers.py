"""What sync consumes: the one table of its subscriptions.

申报 needs both the declared message and the card's signature; either may come first."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from guanwu.contracts import topics
from guanwu.contracts.envelope import Envelope
from guanwu.contracts.events import (
    DeclarationDeclareRequested,
    DeclarationSigned,
    DeclarationStatusChanged,
    SignFailed,
    SyncRequested,
)
from guanwu.contracts.events.base import Event
from guanwu.platform.bus.port import Subscription
from guanwu.platform.unit_of_work import with_new_unit_of_work
from guanwu.sync.service_layer.context import SyncContext
from guanwu.sync.service_layer.handlers.declare import abandon_request, keep_half
from guanwu.sync.service_layer.handlers.jobs import take_sync_request
from guanwu.sync.service_layer.handlers.receipts import follow_tenant_receipts

Handler = Callable[[Envelope, Event], Awaitable[None]]


def in_turn(*handlers: Handler) -> Handler:
    """One event, several reactions, one after the other (a failure stops the rest; the redelivery repeats
    them, each idempotent)."""

    async def handle(envelope: Envelope, event: Event) -> None:
        for handler in handlers:
            await handler(envelope, event)

    handle.__name__ = "_then_".join(h.__name__ for h in handlers)
    return handle


def subscriptions(context: SyncContext) -> list[Subscription]:
    keep = with_new_unit_of_work(
        keep_half,
        context.new_uow,
        clock=context.clock,
        single_window=context.single_window,
        write_attempts=context.settings.write_attempts,
        observer=context.observer,
    )
    abandon = with_new_unit_of_work(
        abandon_request, context.new_uow, clock=context.clock, write_attempts=context.settings.write_attempts
    )
    follow = with_new_unit_of_work(follow_tenant_receipts, context.new_uow, tenants=context.tenants)
    take_request = with_new_unit_of_work(
        take_sync_request,
        context.new_uow,
        clock=context.clock,
        connected=context.connected,
        wakeup=context.job_wakeup,
        observer=context.job_observer,
    )
    return [
        Subscription(
            "sync.declare-requests",
            topics.DECLARATION_EVENTS,
            {
                DeclarationDeclareRequested.event_type: in_turn(follow, keep),
                # A request the declaration gave up (签名超时) is never sent, even when signed late.
                DeclarationStatusChanged.event_type: abandon,
            },
        ),
        Subscription(
            "sync.signatures",
            topics.SIGNER_EVENTS,
            {DeclarationSigned.event_type: keep, SignFailed.event_type: keep},
        ),
        # 数据同步: a SyncRequested from anyone (sync's own API included) becomes a job once.
        Subscription(
            "sync.requests",
            topics.SYNC_REQUESTS,
            {SyncRequested.event_type: take_request},
        ),
    ]
