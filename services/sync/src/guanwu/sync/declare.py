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

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import structlog

from guanwu.contracts.envelope import Envelope
from guanwu.contracts.events import (
    DeclarationDeclareRequested,
    DeclarationSigned,
    DeclarationSubmitFailed,
    DeclarationSubmitted,
    SignFailed,
)
from guanwu.contracts.events.base import Event
from guanwu.customs.messages.receipts import DecImportResponse
from guanwu.platform.events import envelope_for
from guanwu.platform.idempotency import deterministic_id
from guanwu.platform.outbox import OutboxNotifier
from guanwu.platform.store.port import Document
from guanwu.sync.declare_records import REQUEST, SIGN_FAILURE, SIGNATURE, DeclareRecords, State, stamp
from guanwu.sync.signed_message import NotSendable, client_seq_no_for, signed_message
from guanwu.sync.single_window import SingleWindow, SingleWindowAbsent

log = structlog.get_logger(__name__)

SOURCE = "/guanwu/sync"
SEQ_NO_LENGTH = 18


def _now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class DeclarePorts:
    records: DeclareRecords
    single_window: SingleWindow
    outbox_written: OutboxNotifier
    clock: Callable[[], datetime] = _now


def request_half(envelope: Envelope, event: DeclarationDeclareRequested) -> dict[str, Any]:
    return {
        "declaration_version": event.version,
        "client_seq_no": event.client_seq_no or client_seq_no_for(envelope.tenant, event.declaration_id),
        "content_sm3": event.content_sm3,
        "message_b64": event.message_b64,
        "requested_by": event.requested_by,
        "event_id": envelope.id,
        "correlation_id": envelope.correlationid,
    }


def signature_half(envelope: Envelope, event: DeclarationSigned) -> dict[str, Any]:
    return {
        "declaration_id": event.declaration_id,
        "signature_b64": event.signature_b64,
        "content_sm3": event.content_sm3,
        "certificate_serial": event.certificate_serial,
        "signer_subject": event.signer_subject,
        "device": event.device,
        "signed_at": event.signed_at.isoformat(),
        "event_id": envelope.id,
    }


def sign_failure_half(envelope: Envelope, event: SignFailed) -> dict[str, Any]:
    """The card did not sign: a record holding this ends (the API shows why) and is never sent."""
    return {
        "reason": event.reason,
        "detail": event.detail,
        "failed_at": event.failed_at.isoformat(),
        "event_id": envelope.id,
    }


HalfOf = Callable[[Envelope, Any], dict[str, Any]]
HALVES: dict[type[Event], tuple[str, HalfOf]] = {
    DeclarationDeclareRequested: (REQUEST, request_half),
    DeclarationSigned: (SIGNATURE, signature_half),
    SignFailed: (SIGN_FAILURE, sign_failure_half),
}
"""Which part of a request's record each followed event fills."""


async def keep_half(envelope: Envelope, event: Event, *, ports: DeclarePorts) -> None:
    """Keep the event's part of its request's record; send the record if that completed it."""
    half, build = HALVES[type(event)]
    assert isinstance(event, DeclarationDeclareRequested | DeclarationSigned | SignFailed)
    record = await ports.records.keep(
        envelope.tenant,
        event.request_id,
        event.declaration_id,
        half,
        build(envelope, event),
        stamp(ports.clock()),
    )
    await complete(record, ports)


async def complete(record: Document, ports: DeclarePorts) -> None:
    """Send a record that holds both halves and record the answer; anything else waits or is done."""
    if record.get("state") != State.READY:
        return
    try:
        message = signed_message(record[REQUEST], record[SIGNATURE])
    except NotSendable as exc:
        await _refused(record, exc.code, exc.message, ports)
        return
    try:
        answer = await ports.single_window.declare(record["tenant"], message)
    except SingleWindowAbsent as exc:
        # Nothing to retry against: the record stays ready (the API shows why) and is sent by the resend
        # sweep of a sync that has a Single Window, e.g. after a restart with one.
        await ports.records.note(
            record, "last_error", {"message": str(exc), "at": stamp(ports.clock())}, stamp(ports.clock())
        )
        log.warning("declaration.kept_unsent", declaration_id=record["declaration_id"], reason=str(exc))
        return
    except Exception as exc:
        error = {"message": f"{type(exc).__name__}: {exc}"[:500], "at": stamp(ports.clock())}
        await ports.records.note(record, "last_error", error, error["at"])
        raise  # the dispatcher retries; resend_ready takes over if it gives up
    if not answer.succeeded:
        reason = answer.error_message or "单一窗口未说明原因 / the Single Window gave no reason"
        await _refused(record, f"response_code_{answer.response_code}", reason, ports)
    elif len(answer.seq_no or "") != SEQ_NO_LENGTH:
        reason = f"单一窗口未返回有效统一编号 / the Single Window answered no valid SeqNo: {answer.seq_no!r}"
        await _refused(record, "bad_seq_no", reason, ports)
    else:
        await _submitted(record, answer, ports)


async def _submitted(record: Document, answer: DecImportResponse, ports: DeclarePorts) -> None:
    assert answer.seq_no is not None
    now = ports.clock()
    event = DeclarationSubmitted(
        declaration_id=record["declaration_id"],
        seq_no=answer.seq_no,
        request_id=record["request_id"],
        submitted_at=now,
    )
    announced = envelope_for(
        event,
        source=SOURCE,
        tenant=record["tenant"],
        correlation_id=record[REQUEST]["correlation_id"],
        causation_id=record[SIGNATURE]["event_id"],
        event_id=deterministic_id("declaration-submitted", record["_id"]),
    )
    update = {
        "state": State.SENT.value,
        "seq_no": answer.seq_no,
        "sent_at": stamp(now),
        "updated_at": stamp(now),
    }
    if await ports.records.finish(record, update, [announced]):
        ports.outbox_written(ports.records.collection.name, record["_id"])
        log.info("declaration.submitted", declaration_id=record["declaration_id"], seq_no=answer.seq_no)


async def _refused(record: Document, code: str, message: str, ports: DeclarePorts) -> None:
    """Kept on the record (the API shows it) and announced, so the declaration shows 申报失败 with the reason."""
    moment = ports.clock()
    now = stamp(moment)
    failed = DeclarationSubmitFailed(
        declaration_id=record["declaration_id"],
        request_id=record["request_id"],
        code=code[:40],
        message=message[:500],
        failed_at=moment,
    )
    announced = envelope_for(
        failed,
        source=SOURCE,
        tenant=record["tenant"],
        correlation_id=record[REQUEST]["correlation_id"],
        event_id=deterministic_id("declaration-submit-failed", record["_id"]),
    )
    update = {"state": State.REJECTED.value, "error": {"code": code, "message": message[:500], "at": now}}
    if await ports.records.finish(record, {**update, "updated_at": now}, [announced]):
        ports.outbox_written(ports.records.collection.name, record["_id"])
        log.warning(
            "declaration.refused", declaration_id=record["declaration_id"], code=code, message=message[:200]
        )


async def resend_ready(ports: DeclarePorts, min_age_seconds: float) -> int:
    """Send complete records nobody is working on any more (e.g. dead-lettered while the Single Window was
    down); returns how many were sent or refused."""
    cutoff = stamp(ports.clock() - timedelta(seconds=min_age_seconds))
    done = 0
    for record in await ports.records.ready_before(cutoff):
        try:
            await complete(record, ports)
            done += 1
        except Exception as exc:  # still unreachable: the next round tries again
            log.warning(
                "declaration.resend_failed", record=record["_id"], error=f"{type(exc).__name__}: {exc}"
            )
    return done


async def resend_forever(ports: DeclarePorts, interval_seconds: float) -> None:
    while True:
        await resend_ready(ports, min_age_seconds=interval_seconds)
        await asyncio.sleep(interval_seconds)
