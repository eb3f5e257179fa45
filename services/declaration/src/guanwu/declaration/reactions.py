"""How the declaration follows the other services: review decisions, the card's answers, the Single Window's
acceptance and the customs receipts. Each reaction is one pure lifecycle step applied to the stored declaration.

At-least-once delivery: a redelivered event finds the step already applied and changes nothing; a concurrent
edit makes the versioned replace fail, and the step is applied again to the newer version.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from functools import partial

import structlog

from guanwu.contracts import topics
from guanwu.contracts.envelope import Envelope
from guanwu.contracts.events import (
    DeclarationSigned,
    DeclarationStatusChanged,
    DeclarationSubmitted,
    ReceiptReceived,
    ReviewApproved,
    ReviewOutcome,
    ReviewRejected,
    SignFailed,
)
from guanwu.contracts.events.base import Event
from guanwu.declaration import lifecycle
from guanwu.declaration.domain import Declaration
from guanwu.declaration.repository import DeclarationRepository
from guanwu.platform.bus.port import Subscription
from guanwu.platform.events import caused_by
from guanwu.platform.outbox import OutboxNotifier
from guanwu.platform.store.port import ConcurrencyConflict

log = structlog.get_logger(__name__)

SOURCE = "/guanwu/declaration"
ATTEMPTS = 5
Step = Callable[[Declaration], Declaration | None]


async def react(
    envelope: Envelope,
    find: Callable[[], Awaitable[Declaration | None]],
    step: Step,
    cause: str,
    *,
    repository: DeclarationRepository,
    outbox_written: OutboxNotifier,
) -> bool:
    """Apply `step` to the declaration `find` returns; True when something was stored."""
    for _ in range(ATTEMPTS):
        current = await find()
        if current is None:
            log.info("declaration.reaction_without_declaration", type=envelope.type, subject=envelope.subject)
            return False  # e.g. declared outside guanwu: nothing here to move
        changed = step(current)
        if changed is None:
            return False
        events = []
        if changed.status is not current.status:
            status_changed = changed.summary(DeclarationStatusChanged).model_copy(
                update={"previous_status": current.status.value, "cause": cause[:200]}
            )
            events.append(caused_by(envelope, status_changed, source=SOURCE))
        try:
            await repository.save(changed, events)
        except ConcurrencyConflict:
            continue  # changed meanwhile: apply the step to the newer version
        if events:
            outbox_written(repository.collection.name, changed.declaration_id)
        return True
    raise ConcurrencyConflict(repository.collection.name, envelope.subject, -1)


def _now() -> datetime:
    return datetime.now(UTC)


def _cause(event: Event) -> str:
    match event:
        case ReviewRejected():
            return f"审核退回 {event.reviewer}: {event.comment}"
        case ReviewOutcome():
            return f"审核通过 {event.reviewer}"
        case DeclarationSigned():
            return f"已签名 {event.device} {event.certificate_serial}"
        case SignFailed():
            return f"签名失败 {event.reason}"
        case DeclarationSubmitted():
            return f"申报成功 统一编号 {event.seq_no}"
        case ReceiptReceived():
            return f"回执 {event.channel} ({event.receipt_id})"
    return event.event_type


def _step(event: Event, now: datetime) -> Step:
    match event:
        case ReviewOutcome():
            return partial(lifecycle.apply_review, outcome=event, now=now)
        case DeclarationSigned():
            return partial(lifecycle.record_signature, signed=event, now=now)
        case SignFailed():
            return partial(lifecycle.record_sign_failure, failed=event, now=now)
        case DeclarationSubmitted():
            return partial(lifecycle.mark_submitted, submitted=event, now=now)
        case ReceiptReceived():
            return partial(lifecycle.apply_receipt, receipt=event, now=now)
    raise TypeError(f"no lifecycle step for {event.event_type}")


def _finder(
    envelope: Envelope, event: Event, repository: DeclarationRepository
) -> Callable[[], Awaitable[Declaration | None]]:
    """Events name the declaration by guanwu's id; a receipt may know only the customs numbers."""
    declaration_id: str | None = getattr(event, "declaration_id", None)
    if declaration_id:
        return partial(repository.get, envelope.tenant, declaration_id)
    assert isinstance(event, ReceiptReceived)
    return partial(
        repository.find_by_customs_numbers, envelope.tenant, entry_id=event.entry_id, seq_no=event.seq_no
    )


async def follow(
    envelope: Envelope,
    event: Event,
    *,
    repository: DeclarationRepository,
    outbox_written: OutboxNotifier,
    clock: Callable[[], datetime] = _now,
) -> bool:
    """The one consumer of every event the declaration follows."""
    return await react(
        envelope,
        _finder(envelope, event, repository),
        _step(event, clock()),
        _cause(event),
        repository=repository,
        outbox_written=outbox_written,
    )


FOLLOWED: tuple[tuple[str, str, tuple[type[Event], ...]], ...] = (
    ("declaration.review", topics.REVIEW_EVENTS, (ReviewApproved, ReviewRejected)),
    ("declaration.signing", topics.SIGNER_EVENTS, (DeclarationSigned, SignFailed)),
    ("declaration.receipts", topics.SYNC_EVENTS, (DeclarationSubmitted, ReceiptReceived)),
)
"""(consumer group, topic, the events of that topic the declaration follows)."""


def subscriptions(repository: DeclarationRepository, outbox_written: OutboxNotifier) -> list[Subscription]:
    handler = partial(follow, repository=repository, outbox_written=outbox_written)
    return [
        Subscription(group, topic, {cls.event_type: handler for cls in events})
        for group, topic, events in FOLLOWED
    ]
