"""申报 (F-43): send each signed declaration to the Single Window once and announce its 统一编号.

Flow: DeclarationDeclareRequested (the unsigned canonical DecMessage) and DeclarationSigned (the card's
signature) are kept as two halves of one record; the handler that completes the record builds the signed
DecMessage, posts it, and writes the outcome with its event in one write: DeclarationSubmitted when the
Single Window accepts it, DeclarationSubmitFailed when it refuses it (or the message cannot be made).

Delivery: a redelivered event finds its half already kept and a finished record, so nothing is sent again.
A crash between the POST and the write sends again; the Single Window answers a re-sent message with the
same 统一编号 and the event id derives from the record, so there is still one DeclarationSubmitted. When the
Single Window cannot answer, the handler raises (the dispatcher retries) and `resend_ready` picks the
record up later if the retries ran out.
"""

from __future__ import annotations

import contextlib
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import TypeVar

import structlog

from guanwu.contracts.envelope import Envelope
from guanwu.contracts.events import DeclarationStatusChanged
from guanwu.contracts.events.base import Event
from guanwu.customs.messages.receipts import DecImportResponse
from guanwu.platform.clock import Clock
from guanwu.platform.store.port import ConcurrencyConflict, DuplicateKeyError
from guanwu.sync.domain.events import announce_refusal, announce_submitted
from guanwu.sync.domain.records import (
    DeclareRecord,
    FollowedEvent,
    Half,
    NoDeclareRecord,
    State,
    abandoned,
    declare_record_id,
    first_half,
    half_of,
    refusal_in,
    rejected,
    sent,
    unsent,
    with_half,
)
from guanwu.sync.domain.signed_message import NotSendable, signed_message
from guanwu.sync.domain.single_window import SingleWindow, SingleWindowAbsent
from guanwu.sync.service_layer.observer import UNOBSERVED, SyncObserver
from guanwu.sync.service_layer.unit_of_work import SyncUnitOfWork

log = structlog.get_logger(__name__)

T = TypeVar("T")
Step = Callable[[DeclareRecord], DeclareRecord | None]
Announce = Callable[[DeclareRecord], tuple[str, Envelope]]


async def keep_half(
    envelope: Envelope,
    event: Event,
    *,
    uow: SyncUnitOfWork,
    clock: Clock,
    single_window: SingleWindow,
    write_attempts: int,
    observer: SyncObserver = UNOBSERVED,
) -> None:
    """Keep the event's part of its request's record; send the record if that completed it."""
    assert isinstance(event, FollowedEvent)
    half = half_of(envelope, event)
    record = await _retrying(lambda: _keep(envelope.tenant, event, half, uow, clock), write_attempts)
    await send_record(
        record,
        uow=uow,
        clock=clock,
        single_window=single_window,
        write_attempts=write_attempts,
        observer=observer,
    )


async def abandon_request(
    envelope: Envelope, event: Event, *, uow: SyncUnitOfWork, clock: Clock, write_attempts: int
) -> None:
    """The declaration gave a signing request up (签名超时, back to 审核通过): its record is closed, so a
    signature that still comes sends nothing. A record already sent or refused stays as it is (the receipts
    then tell the declaration where it really is)."""
    assert isinstance(event, DeclarationStatusChanged)
    request_id = event.abandoned_request_id
    if request_id is None:
        return
    record_id = declare_record_id(envelope.tenant, request_id)
    reason = (event.cause or "申报请求已放弃 / the declaration gave the request up")[:500]

    async def attempt() -> None:
        async with uow:
            current = await uow.declarations.get(envelope.tenant, record_id)
            closed = None if current is None else abandoned(current, reason, clock())
            if closed is None:
                return
            uow.declarations.save(closed)
            await uow.commit()
        log.info("declaration.request_abandoned", declaration_id=event.declaration_id, request_id=request_id)

    await _retrying(attempt, write_attempts)


async def _keep(
    tenant: str, event: FollowedEvent, half: Half, uow: SyncUnitOfWork, clock: Clock
) -> DeclareRecord:
    """Store one half; returns the record after the write (or as it was, when this half was known)."""
    async with uow:
        current = await uow.declarations.get(tenant, declare_record_id(tenant, event.request_id))
        if current is None:
            record = first_half(tenant, event.request_id, event.declaration_id, half, clock())
            uow.declarations.add(record)
        else:
            changed = with_half(current, half, clock())
            if changed is None:
                return current  # redelivered: the record already holds it
            record = changed
            uow.declarations.save(record)
        await uow.commit()
    return record


async def _retrying(attempt: Callable[[], Awaitable[T]], attempts: int) -> T:
    """Another writer changed the record meanwhile (its other half arrived at once, a sweep re-sent it): the
    attempt reads it again."""
    for _ in range(attempts - 1):
        with contextlib.suppress(ConcurrencyConflict, DuplicateKeyError):
            return await attempt()
    return await attempt()


async def send_record(
    record: DeclareRecord,
    *,
    uow: SyncUnitOfWork,
    clock: Clock,
    single_window: SingleWindow,
    write_attempts: int,
    observer: SyncObserver = UNOBSERVED,
) -> None:
    """Send a record that holds both halves and record the answer; anything else waits or is done. The
    observer hears how it ended, when this call ended it (a record finished meanwhile was counted there)."""
    if record.state != State.READY:
        return
    assert record.request is not None and record.signature is not None
    try:
        message = signed_message(record.request, record.signature)
    except NotSendable as exc:
        if await _reject(record, exc.code, exc.message, uow=uow, clock=clock, write_attempts=write_attempts):
            observer.declaration_sent("refused")
        return
    answer = await _declare(
        record, message, uow=uow, clock=clock, single_window=single_window, observer=observer
    )
    if answer is None:
        return
    refusal = refusal_in(answer)
    if refusal is not None:
        if await _reject(record, *refusal, uow=uow, clock=clock, write_attempts=write_attempts):
            observer.declaration_sent("refused")
        return
    seq_no = str(answer.seq_no)
    if await _finish(record, lambda r: sent(r, seq_no, clock()), announce_submitted, uow, write_attempts):
        observer.declaration_sent("submitted")
        log.info("declaration.submitted", declaration_id=record.declaration_id, seq_no=seq_no)


async def _declare(
    record: DeclareRecord,
    message: bytes,
    *,
    uow: SyncUnitOfWork,
    clock: Clock,
    single_window: SingleWindow,
    observer: SyncObserver = UNOBSERVED,
) -> DecImportResponse | None:
    """The Single Window's answer; None when there is no Single Window to answer. Without an answer the
    record is deferred: kept ready, and sent again."""
    try:
        return await single_window.declare(record.tenant, message)
    except SingleWindowAbsent as exc:
        # Nothing to retry against: the record stays ready (the API shows why) and is sent by the resend
        # sweep of a sync that has a Single Window, e.g. after a restart with one.
        observer.declaration_sent("deferred")
        await _note(record, str(exc), uow, clock)
        log.warning("declaration.kept_unsent", declaration_id=record.declaration_id, reason=str(exc))
        return None
    except Exception as exc:
        observer.declaration_sent("deferred")
        await _note(record, f"{type(exc).__name__}: {exc}"[:500], uow, clock)
        raise  # the dispatcher retries; resend_ready takes over if it gives up


async def _note(record: DeclareRecord, message: str, uow: SyncUnitOfWork, clock: Clock) -> None:
    """Best effort: a concurrent writer wins, the note is only for people reading the record."""
    async with uow:
        uow.declarations.save(unsent(record, message, clock()))
        with contextlib.suppress(ConcurrencyConflict):
            await uow.commit()


async def _reject(
    record: DeclareRecord, code: str, message: str, *, uow: SyncUnitOfWork, clock: Clock, write_attempts: int
) -> bool:
    """Kept on the record (the API shows it) and announced, so the declaration shows 申报失败 with the reason;
    False when the record was finished meanwhile."""
    if await _finish(
        record, lambda r: rejected(r, code, message, clock()), announce_refusal, uow, write_attempts
    ):
        log.warning(
            "declaration.refused", declaration_id=record.declaration_id, code=code, message=message[:200]
        )
        return True
    return False


async def _finish(
    record: DeclareRecord, step: Step, announce: Announce, uow: SyncUnitOfWork, attempts: int
) -> DeclareRecord | None:
    """Write the outcome with its event; None when the record was finished meanwhile (a re-send)."""
    read_again = False

    async def attempt() -> DeclareRecord | None:
        nonlocal read_again
        current = await uow.declarations.load(record.tenant, record.id) if read_again else record
        read_again = True
        finished = step(current)
        if finished is None:
            return None
        async with uow:
            uow.declarations.save(finished, [announce(finished)])
            await uow.commit()
        return finished

    return await _retrying(attempt, attempts)


async def resend_ready(
    *,
    uow: SyncUnitOfWork,
    clock: Clock,
    single_window: SingleWindow,
    write_attempts: int,
    min_age_seconds: float,
    limit: int,
    observer: SyncObserver = UNOBSERVED,
) -> int:
    """Send complete records nobody is working on any more (e.g. dead-lettered while the Single Window was
    down); returns how many were sent or refused. The observer counts the sweep failed when a record could
    not be sent (the Single Window is still unreachable) or the records could not be read."""
    cutoff = clock() - timedelta(seconds=min_age_seconds)
    try:
        records = await uow.declarations.ready_before(cutoff, limit)
    except Exception:
        observer.job_ran("resend", ok=False)
        raise
    done = failed = 0
    for record in records:
        try:
            await send_record(
                record,
                uow=uow,
                clock=clock,
                single_window=single_window,
                write_attempts=write_attempts,
                observer=observer,
            )
            done += 1
        except Exception as exc:  # still unreachable: the next round tries again
            failed += 1
            log.warning("declaration.resend_failed", record=record.id, error=f"{type(exc).__name__}: {exc}")
    observer.job_ran("resend", ok=not failed)
    return done


async def declare_records(declaration_id: str, *, tenant: str, uow: SyncUnitOfWork) -> list[DeclareRecord]:
    """Every 申报 of a declaration, newest first; NoDeclareRecord when none reached sync."""
    records = await uow.declarations.for_declaration(tenant, declaration_id)
    if not records:
        raise NoDeclareRecord()
    return records
