"""One record per signing request (申报): the unsigned message, its signature, and what the Single Window said.

The declaration's request and the card's signature travel on different topics and arrive in either order;
each is kept as one half of the same record (its id derived from tenant and request id), and whichever
arrives second finds the record complete. The outcome and its event are written in one write, and only once:
a record that says `sent` or `rejected` (or `sign_failed`) is never sent again.

The steps below are pure: each returns the next record (its `version` the next one), or None when there is
nothing to do (the half is known already, the record was finished meanwhile).
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Annotated, Any

from pydantic import BaseModel, PlainSerializer

from guanwu.contracts.envelope import Envelope
from guanwu.contracts.events import DeclarationDeclareRequested, DeclarationSigned, SignFailed
from guanwu.customs.messages.receipts import DecImportResponse
from guanwu.platform.ids import deterministic_id
from guanwu.platform.refusal import NotFound, Refusal

SEQ_NO_LENGTH = 18


def stamp(moment: datetime) -> str:
    """A fixed-width UTC text, so that stored times compare as strings (the retry sweep filters on them)."""
    return moment.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


Stamp = Annotated[datetime, PlainSerializer(stamp, return_type=str, when_used="json")]
"""A time stored as a `stamp`."""


class State(StrEnum):
    WAITING_FOR_SIGNATURE = "waiting_for_signature"
    WAITING_FOR_REQUEST = "waiting_for_request"
    READY = "ready"
    SENT = "sent"
    REJECTED = "rejected"
    SIGN_FAILED = "sign_failed"  # the card did not sign: nothing to send for this request
    ABANDONED = "abandoned"  # the declaration gave the request up (签名超时): a late signature sends nothing


FINAL = frozenset({State.SENT, State.REJECTED, State.SIGN_FAILED, State.ABANDONED})


class RequestHalf(BaseModel):
    """What DeclarationDeclareRequested brought: the canonical DecMessage to send, without DecSign."""

    declaration_version: int
    client_seq_no: str
    content_sm3: str
    message_b64: str
    requested_by: str
    event_id: str
    correlation_id: str


class SignatureHalf(BaseModel):
    """What DeclarationSigned brought: the card's signature over the request's bytes."""

    declaration_id: str
    signature_b64: str
    content_sm3: str
    certificate_serial: str
    signer_subject: str
    device: str
    signed_at: datetime
    event_id: str


class SignFailureHalf(BaseModel):
    """The card did not sign (SignFailed): a record holding this ends (the API shows why) and is never sent."""

    reason: str
    detail: str
    failed_at: datetime
    event_id: str


Half = RequestHalf | SignatureHalf | SignFailureHalf
FollowedEvent = DeclarationDeclareRequested | DeclarationSigned | SignFailed


class SendFailure(BaseModel):
    """Why a record was not sent: the Single Window refused it (with a code), or could not be reached."""

    code: str | None = None
    message: str
    at: Stamp


class DeclareRecord(BaseModel):
    tenant: str
    request_id: str
    declaration_id: str
    state: State
    request: RequestHalf | None = None
    signature: SignatureHalf | None = None
    sign_failure: SignFailureHalf | None = None
    seq_no: str | None = None
    sent_at: Stamp | None = None
    error: SendFailure | None = None  # refused: state rejected
    last_error: SendFailure | None = None  # the last failure to reach the Single Window
    created_at: Stamp
    updated_at: Stamp
    version: int = 1

    @property
    def id(self) -> str:
        return declare_record_id(self.tenant, self.request_id)


class NoDeclareRecord(NotFound):
    """No 申报 of the declaration has reached sync (in the caller's tenant)."""

    def __init__(self) -> None:
        Refusal.__init__(
            self,
            "sync.declaration_not_found",
            "没有该报关单的申报记录",
            "No 申报 of this declaration has reached the sync service",
        )


def client_seq_no_for(tenant: str, declaration_id: str) -> str:
    """ClientSeqNo 客户端编号: 18 characters, unique per declaration, the same for every 申报 of it.

    Derived rather than stored, so a declaration declared again after 退回修改 keeps its 统一编号.
    """
    number = int(deterministic_id("client-seq-no", tenant, declaration_id), 16) % 10**16
    return f"GW{number:016d}"


def declare_record_id(tenant: str, request_id: str) -> str:
    return deterministic_id("declare", tenant, request_id)


def half_of(envelope: Envelope, event: FollowedEvent) -> Half:
    """The part of its request's record a followed event fills."""
    if isinstance(event, DeclarationDeclareRequested):
        return RequestHalf(
            declaration_version=event.version,
            client_seq_no=event.client_seq_no or client_seq_no_for(envelope.tenant, event.declaration_id),
            content_sm3=event.content_sm3,
            message_b64=event.message_b64,
            requested_by=event.requested_by,
            event_id=envelope.id,
            correlation_id=envelope.correlationid,
        )
    if isinstance(event, DeclarationSigned):
        return SignatureHalf(
            **event.model_dump(include=set(SignatureHalf.model_fields)), event_id=envelope.id
        )
    return SignFailureHalf(
        **event.model_dump(include=set(SignFailureHalf.model_fields)), event_id=envelope.id
    )


_SLOT = {RequestHalf: "request", SignatureHalf: "signature", SignFailureHalf: "sign_failure"}


def _state_of(record: DeclareRecord) -> State:
    if record.state in FINAL:
        return record.state
    if record.sign_failure and not record.signature:
        return State.SIGN_FAILED
    if record.request and record.signature:
        return State.READY
    return State.WAITING_FOR_REQUEST if record.signature else State.WAITING_FOR_SIGNATURE


def _next(record: DeclareRecord, now: datetime, **changes: Any) -> DeclareRecord:
    return record.model_copy(update={**changes, "updated_at": now, "version": record.version + 1})


def first_half(tenant: str, request_id: str, declaration_id: str, half: Half, now: datetime) -> DeclareRecord:
    """A new record holding the first half that arrived."""
    record = DeclareRecord.model_validate(
        {
            "tenant": tenant,
            "request_id": request_id,
            "declaration_id": declaration_id,
            "state": State.WAITING_FOR_SIGNATURE,
            _SLOT[type(half)]: half,
            "created_at": now,
            "updated_at": now,
        }
    )
    return record.model_copy(update={"state": _state_of(record)})


def with_half(record: DeclareRecord, half: Half, now: datetime) -> DeclareRecord | None:
    """The record holding `half` too; None when it holds it already (a redelivered event)."""
    slot = _SLOT[type(half)]
    if getattr(record, slot) is not None:
        return None
    changed = _next(record, now, **{slot: half})
    return changed.model_copy(update={"state": _state_of(changed)})


def sent(record: DeclareRecord, seq_no: str, now: datetime) -> DeclareRecord | None:
    """Accepted with a 统一编号; None when the record was finished meanwhile (a re-send)."""
    if record.state in FINAL:
        return None
    return _next(record, now, state=State.SENT, seq_no=seq_no, sent_at=now)


def rejected(record: DeclareRecord, code: str, message: str, now: datetime) -> DeclareRecord | None:
    """Refused (or not sendable); None when the record was finished meanwhile."""
    if record.state in FINAL:
        return None
    error = SendFailure(code=code, message=message[:500], at=now)
    return _next(record, now, state=State.REJECTED, error=error)


def abandoned(record: DeclareRecord, reason: str, now: datetime) -> DeclareRecord | None:
    """Given up by the declaration before it was sent; None when it was finished already (sent, refused)."""
    if record.state in FINAL:
        return None
    return _next(
        record, now, state=State.ABANDONED, error=SendFailure(code="abandoned", message=reason, at=now)
    )


def unsent(record: DeclareRecord, message: str, now: datetime) -> DeclareRecord:
    """The Single Window could not be reached: why, for people reading the record."""
    return _next(record, now, last_error=SendFailure(message=message, at=now))


def refusal_in(answer: DecImportResponse) -> tuple[str, str] | None:
    """(code, reason) when the Single Window's answer does not accept the message with a 统一编号."""
    if not answer.succeeded:
        reason = answer.error_message or "单一窗口未说明原因 / the Single Window gave no reason"
        return f"response_code_{answer.response_code}", reason
    if len(answer.seq_no or "") != SEQ_NO_LENGTH:
        reason = f"单一窗口未返回有效统一编号 / the Single Window answered no valid SeqNo: {answer.seq_no!r}"
        return "bad_seq_no", reason
    return None
