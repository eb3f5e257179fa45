"""How the declaration follows the other services: review decisions, the card's answers, the Single Window's
acceptance and the customs receipts. Each reaction is one pure lifecycle step applied to the stored declaration.

At-least-once delivery: a redelivered event finds the step already applied and changes nothing; a concurrent
edit makes the versioned replace fail, and the step is applied again to the newer version. A receipt whose
declaration cannot be recognised yet is parked and replayed when DeclarationSubmitted names it (parked.py).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import Enum
from functools import partial

import structlog

from guanwu.contracts import topics
from guanwu.contracts.envelope import Envelope
from guanwu.contracts.events import (
    DeclarationSigned,
    DeclarationStatusChanged,
    DeclarationSubmitFailed,
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
from guanwu.declaration.parked import ParkedReceipts
from guanwu.declaration.repository import DeclarationRepository
from guanwu.platform.bus.port import Subscription
from guanwu.platform.events import caused_by
from guanwu.platform.outbox import OutboxNotifier
from guanwu.platform.store.port import ConcurrencyConflict

log = structlog.get_logger(__name__)

SOURCE = "/guanwu/declaration"
ATTEMPTS = 5
Step = Callable[[Declaration], Declaration | None]


class Outcome(Enum):
    MISSING = "no such declaration"
    UNCHANGED = "nothing to do"
    CHANGED = "stored"


async def react(
    envelope: Envelope,
    find: Callable[[], Awaitable[Declaration | None]],
    step: Step,
    cause: str,
    *,
    repository: DeclarationRepository,
    outbox_written: OutboxNotifier,
) -> Outcome:
    """Apply `step` to the declaration `find` returns."""
    for _ in range(ATTEMPTS):
        current = await find()
        if current is None:
            return Outcome.MISSING
        changed = step(current)
        if changed is None:
            return Outcome.UNCHANGED
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
        return Outcome.CHANGED
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
        case DeclarationSubmitFailed():
            return f"申报失败 {event.code}: {event.message}"
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
        case DeclarationSubmitFailed():
            return partial(lifecycle.mark_submit_failed, failed=event, now=now)
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


@dataclass(frozen=True)
class Followers:
    """What every reaction needs: where declarations live, where early receipts wait, whom to wake."""

    repository: DeclarationRepository
    parked: ParkedReceipts
    outbox_written: OutboxNotifier
    clock: Callable[[], datetime] = _now

    async def apply(self, envelope: Envelope, event: Event) -> Outcome:
        return await react(
            envelope,
            _finder(envelope, event, self.repository),
            _step(event, self.clock()),
            _cause(event),
            repository=self.repository,
            outbox_written=self.outbox_written,
        )

    async def follow(self, envelope: Envelope, event: Event) -> Outcome:
        """The one consumer of every event the declaration follows."""
        outcome = await self.apply(envelope, event)
        if outcome is Outcome.MISSING and isinstance(event, ReceiptReceived):
            await self.parked.park(envelope, event)
            # Look again: the acceptance may have been stored (and its replay run) while this was parked.
            outcome = await self.apply(envelope, event)
            if outcome is not Outcome.MISSING:
                await self.parked.release(envelope.tenant, event.receipt_id)
        if outcome is not Outcome.MISSING and isinstance(event, DeclarationSubmitted):
            await self.replay_parked(envelope.tenant, event)
        if outcome is Outcome.MISSING:
            log.info("declaration.reaction_without_declaration", type=envelope.type, subject=envelope.subject)
        return outcome

    async def replay_parked(self, tenant: str, submitted: DeclarationSubmitted) -> None:
        for envelope in await self.parked.waiting_for(
            tenant, seq_no=submitted.seq_no, entry_id=submitted.entry_id
        ):
            receipt = ReceiptReceived.model_validate(envelope.data)
            if await self.apply(envelope, receipt) is not Outcome.MISSING:
                await self.parked.release(tenant, receipt.receipt_id)


FOLLOWED: tuple[tuple[str, str, tuple[type[Event], ...]], ...] = (
    ("declaration.review", topics.REVIEW_EVENTS, (ReviewApproved, ReviewRejected)),
    ("declaration.signing", topics.SIGNER_EVENTS, (DeclarationSigned, SignFailed)),
    (
        "declaration.receipts",
        topics.SYNC_EVENTS,
        (DeclarationSubmitted, DeclarationSubmitFailed, ReceiptReceived),
    ),
)
"""(consumer group, topic, the events of that topic the declaration follows)."""


def subscriptions(followers: Followers) -> list[Subscription]:
    return [
        Subscription(group, topic, {cls.event_type: followers.follow for cls in events})
        for group, topic, events in FOLLOWED
    ]
