"""How the declaration follows the other services: review decisions, the card's answers, the Single Window's
acceptance and the customs receipts. Each reaction is one pure lifecycle step applied to the stored declaration.

At-least-once delivery: a redelivered event finds the step already applied and changes nothing; a concurrent
edit makes the versioned write fail at commit, and the step is applied again to the newer version (up to
`attempts` times). A receipt whose declaration cannot be recognised yet is parked and replayed when
DeclarationSubmitted (or 数据同步, handlers/synced.py) names it (adapters/parked_receipts.py).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import Enum
from functools import partial
from typing import Generic, Protocol, TypeVar

import structlog

from guanwu.contracts.envelope import Envelope
from guanwu.contracts.events import (
    DeclarationSigned,
    DeclarationSubmitFailed,
    DeclarationSubmitted,
    DeclarationSummary,
    DeclarationUpdated,
    ReceiptReceived,
    ReviewOutcome,
    ReviewRejected,
    SignFailed,
)
from guanwu.declaration.domain import lifecycle
from guanwu.declaration.domain.model import Declaration
from guanwu.declaration.service_layer.handlers import SOURCE
from guanwu.declaration.service_layer.unit_of_work import DeclarationUnitOfWork
from guanwu.platform.clock import Clock
from guanwu.platform.events import caused_by
from guanwu.platform.store.port import ConcurrencyConflict

log = structlog.get_logger(__name__)

Step = Callable[[Declaration], Declaration | None]
Find = Callable[[], Awaitable[Declaration | None]]


class Outcome(Enum):
    MISSING = "no such declaration"
    UNCHANGED = "nothing to do"
    CHANGED = "stored"


class NamesADeclaration(Protocol):
    @property
    def declaration_id(self) -> str: ...


E = TypeVar("E", bound=NamesADeclaration)
E_contra = TypeVar("E_contra", contravariant=True)


class LifecycleStep(Protocol[E_contra]):
    """A step of domain/lifecycle.py: the declaration after the event, or None when the event does not apply."""

    def __call__(
        self, declaration: Declaration, event: E_contra, /, *, now: datetime
    ) -> Declaration | None: ...


@dataclass(frozen=True)
class Reaction(Generic[E]):
    """An event handler that applies a lifecycle step to the declaration the event names by guanwu's id;
    `cause` is what the DeclarationStatusChanged it may announce says moved the declaration."""

    step: LifecycleStep[E]
    cause: Callable[[E], str]

    async def __call__(
        self, envelope: Envelope, event: E, *, uow: DeclarationUnitOfWork, clock: Clock, attempts: int
    ) -> Outcome:
        find = partial(uow.declarations.get, envelope.tenant, event.declaration_id)
        now = clock()

        def step(current: Declaration) -> Declaration | None:
            return self.step(current, event, now=now)

        outcome = await apply_step(envelope, find, step, self.cause(event), uow=uow, attempts=attempts)
        return _reported(outcome, envelope)


def _review_cause(event: ReviewOutcome) -> str:
    if isinstance(event, ReviewRejected):
        return f"审核退回 {event.reviewer}: {event.comment}"
    return f"审核通过 {event.reviewer}"


apply_review_decision = Reaction[ReviewOutcome](lifecycle.apply_review, _review_cause)
"""审核通过 / 审核退回 of the version that was submitted."""
keep_signature = Reaction[DeclarationSigned](
    lifecycle.record_signature, lambda event: f"已签名 {event.device} {event.certificate_serial}"
)
"""The card signed what was sent (or other bytes: then it counts as a failed signing)."""
keep_sign_failure = Reaction[SignFailed](
    lifecycle.record_sign_failure, lambda event: f"签名失败 {event.reason}"
)
"""No signature: back to 审核通过 with the reason."""
mark_declare_failed = Reaction[DeclarationSubmitFailed](
    lifecycle.mark_submit_failed, lambda event: f"申报失败 {event.code}: {event.message}"
)
"""The Single Window refused the signed declaration: 申报失败."""
_declared = Reaction[DeclarationSubmitted](
    lifecycle.mark_submitted, lambda event: f"申报成功 统一编号 {event.seq_no}"
)


async def mark_declared(
    envelope: Envelope,
    event: DeclarationSubmitted,
    *,
    uow: DeclarationUnitOfWork,
    clock: Clock,
    attempts: int,
) -> Outcome:
    """The Single Window took it: 已申报 with the 统一编号; the receipts that overtook it are applied now."""
    outcome = await _declared(envelope, event, uow=uow, clock=clock, attempts=attempts)
    if outcome is not Outcome.MISSING:
        numbers = [event.entry_id] if event.entry_id else []
        await replay_parked(envelope.tenant, [event.seq_no], numbers, uow=uow, clock=clock, attempts=attempts)
    return outcome


async def replay_parked(
    tenant: str,
    seq_nos: Sequence[str],
    entry_ids: Sequence[str],
    *,
    uow: DeclarationUnitOfWork,
    clock: Clock,
    attempts: int,
) -> None:
    """Apply the receipts parked for these customs numbers now that a declaration carries them; each applied
    one leaves the parking."""
    parked = await uow.parked_receipts.waiting_for_any(tenant, seq_nos=seq_nos, entry_ids=entry_ids)
    for receipt_envelope in parked:
        receipt = ReceiptReceived.model_validate(receipt_envelope.data)
        if await _apply_receipt(receipt_envelope, receipt, uow, clock, attempts) is not Outcome.MISSING:
            uow.parked_receipts.release(tenant, receipt.receipt_id)
            await uow.commit()


async def apply_customs_receipt(
    envelope: Envelope, event: ReceiptReceived, *, uow: DeclarationUnitOfWork, clock: Clock, attempts: int
) -> Outcome:
    """A customs receipt (回执) joins its declaration's history and may move it on; one that overtook the
    acceptance naming the declaration is parked until it arrives."""
    outcome = await _apply_receipt(envelope, event, uow, clock, attempts)
    if outcome is Outcome.MISSING:
        uow.parked_receipts.park(envelope, event, now=clock())
        await uow.commit()
        # Look again: the acceptance may have been stored (and its replay run) while this was parked.
        outcome = await _apply_receipt(envelope, event, uow, clock, attempts)
        if outcome is not Outcome.MISSING:
            uow.parked_receipts.release(envelope.tenant, event.receipt_id)
            await uow.commit()
    return _reported(outcome, envelope)


async def _apply_receipt(
    envelope: Envelope, receipt: ReceiptReceived, uow: DeclarationUnitOfWork, clock: Clock, attempts: int
) -> Outcome:
    """A receipt names the declaration by guanwu's id when sync knows it, else by the customs numbers."""
    if receipt.declaration_id:
        find: Find = partial(uow.declarations.get, envelope.tenant, receipt.declaration_id)
    else:
        find = partial(
            uow.declarations.find_by_customs_numbers,
            envelope.tenant,
            entry_id=receipt.entry_id,
            seq_no=receipt.seq_no,
        )
    step = partial(lifecycle.apply_receipt, receipt=receipt, now=clock())
    cause = f"回执 {receipt.channel} ({receipt.receipt_id})"
    return await apply_step(
        envelope, find, step, cause, uow=uow, attempts=attempts, document_change=DeclarationUpdated
    )


async def apply_step(
    envelope: Envelope,
    find: Find,
    step: Step,
    cause: str,
    *,
    uow: DeclarationUnitOfWork,
    attempts: int,
    other_change: type[DeclarationSummary] | None = None,
    document_change: type[DeclarationSummary] | None = None,
) -> Outcome:
    """Apply `step` to the declaration `find` returns, announcing a change of state as caused by `envelope`
    (and, with `other_change`, a change that leaves the state as it was by that event; with `document_change`,
    one that leaves the state but alters the document, so readers keep the document as it is)."""
    for _ in range(attempts):
        current = await find()
        if current is None:
            return Outcome.MISSING
        changed = step(current)
        if changed is None:
            return Outcome.UNCHANGED
        events = []
        if changed.status is not current.status:
            events.append(caused_by(envelope, changed.status_changed(current, cause), source=SOURCE))
        elif other_change is not None:
            events.append(caused_by(envelope, changed.summary(other_change), source=SOURCE))
        elif document_change is not None and changed.document != current.document:
            events.append(caused_by(envelope, changed.summary(document_change), source=SOURCE))
        uow.declarations.save(changed, events)
        try:
            await uow.commit()
        except ConcurrencyConflict:  # VersionConflict: changed meanwhile, apply the step to the newer version
            continue
        return Outcome.CHANGED
    raise ConcurrencyConflict(uow.declarations.collection.name, envelope.subject, -1)


def _reported(outcome: Outcome, envelope: Envelope) -> Outcome:
    if outcome is Outcome.MISSING:
        log.info("declaration.reaction_without_declaration", type=envelope.type, subject=envelope.subject)
    return outcome
