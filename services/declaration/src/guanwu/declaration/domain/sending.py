"""发送 (F-12): a reviewer's ReviewSendRequested carried out as the preparer's 申报 would be. Pure: no I/O.

The review service checks who may send (the tenant's `reviewers_may_send`); this service checks the
declaration: it must be 审核通过 by the very review task that asks (so at the version that task approved).
Then the same declare step as the API runs, as the reviewer, its signing request's id derived from the send,
so a redelivered request finds the declaration already declared by it and changes nothing. A send that cannot
be carried out is answered with DeclarationSendRefused; either way a `SendRecord` remembers the answer.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from guanwu.contracts.envelope import Envelope
from guanwu.contracts.events import DeclarationSendRefused, ReviewSendRequested
from guanwu.declaration.domain.errors import DECLARATION, LifecycleError
from guanwu.declaration.domain.lifecycle import ensure_approved
from guanwu.declaration.domain.model import Declaration
from guanwu.platform.ids import deterministic_id
from guanwu.platform.refusal import NotFound, Noun, Refusal

SEND = Noun("send", "发送", "send")
MESSAGE_LIMIT = 1000
"""DeclarationSendRefused's messages are at most this long."""


@dataclass(frozen=True)
class SendCaller:
    """The reviewer who pressed 发送, in the tenant of the request: the caller of the declare step."""

    tenant: str
    user_id: str


@dataclass(frozen=True)
class SendOrder:
    """What makes a 申报 the answer to a send: its id on DeclarationDeclareRequested, the signing request's id
    derived from it, and the request the events are caused by (same flow)."""

    send_id: str
    request_id: str
    cause: Envelope


def signing_request_id(tenant: str, send_id: str) -> str:
    """The SignRequested.request_id of the 申报 a send causes: a redelivered send derives the same one."""
    return deterministic_id("review-send-signing", tenant, send_id)


def send_record_id(tenant: str, send_id: str) -> str:
    return deterministic_id("review-send", tenant, send_id)


def refused_event_id(tenant: str, send_id: str) -> str:
    return deterministic_id("send-refused", tenant, send_id)


def declared_by(declaration: Declaration | None, request_id: str) -> bool:
    """This send's 申报 happened already (a redelivery, or a crash before the answer was recorded)."""
    signing = None if declaration is None else declaration.signing
    return signing is not None and signing.request_id == request_id


def why_not_send(declaration: Declaration | None, request: ReviewSendRequested) -> Refusal | None:
    """Why the declaration cannot be declared for this send (None: it can): missing, not 审核通过, or
    approved by another review task (another version)."""
    if declaration is None:
        return NotFound(DECLARATION)
    try:
        ensure_approved(declaration)
    except LifecycleError as refusal:
        return refusal
    review = declaration.review
    if review is None or review.review_id != request.review_id or review.outcome != "approved":
        return LifecycleError(
            "declaration.send_version_changed",
            f"报关单已不是该审核任务审核通过的版本（第 {request.declaration_version} 版），不能发送申报；"
            "请重新提交审核",
            f"The declaration is no longer the version the review task approved (version "
            f"{request.declaration_version}): it cannot be sent; submit it for review again",
        )
    return None


class SendRecord(BaseModel):
    """How this service answered one send (stored once, its id from the tenant and the send's id). A refused
    one carries its DeclarationSendRefused in the outbox of its own insert."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    tenant: str
    send_id: str
    review_id: str
    declaration_id: str
    requested_by: str
    outcome: Literal["declared", "refused"]
    at: datetime
    declared_version: int | None = Field(None, description="declared: the declaration's version after 申报")
    code: str | None = None
    message_zh: str | None = None
    message_en: str | None = None


def _clipped(text: str) -> str:
    return text if len(text) <= MESSAGE_LIMIT else text[: MESSAGE_LIMIT - 1] + "…"


def declared_record(request: ReviewSendRequested, tenant: str, version: int, now: datetime) -> SendRecord:
    return SendRecord(
        tenant=tenant,
        send_id=request.send_id,
        review_id=request.review_id,
        declaration_id=request.declaration_id,
        requested_by=request.requested_by,
        outcome="declared",
        at=now,
        declared_version=version,
    )


def refusal_of(
    request: ReviewSendRequested, tenant: str, refusal: Refusal, now: datetime
) -> tuple[SendRecord, DeclarationSendRefused]:
    """The record of a refused send and the event that answers it, with the refusal's code and messages."""
    answer = DeclarationSendRefused(
        declaration_id=request.declaration_id,
        review_id=request.review_id,
        send_id=request.send_id,
        code=refusal.code[:100],
        message_zh=_clipped(refusal.message_zh),
        message_en=_clipped(refusal.message_en),
    )
    record = SendRecord(
        tenant=tenant,
        send_id=request.send_id,
        review_id=request.review_id,
        declaration_id=request.declaration_id,
        requested_by=request.requested_by,
        outcome="refused",
        at=now,
        code=answer.code,
        message_zh=answer.message_zh,
        message_en=answer.message_en,
    )
    return record, answer
