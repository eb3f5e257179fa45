"""Handlers of the card signer: SignRequested → DeclarationSigned or SignFailed, and the HTTP API's signature
and card state.

Redelivery: the answer is recorded with its event in one write, under an id derived from the request, so a
redelivered request finds its answer and is not signed twice; the answer's event id is derived from the
request as well, so a consumer's inbox drops a second answer to the same request.
"""

from __future__ import annotations

import base64
import binascii
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from pydantic import ValidationError

from guanwu.card_signer.domain import CardStatus, FailureReason, Signature, SignFailure
from guanwu.card_signer.domain.refusals import SignRefused
from guanwu.card_signer.domain.results import SignResult, answer_event_id, sign_result_id
from guanwu.card_signer.service_layer.card_queue import CardQueue
from guanwu.card_signer.service_layer.owners import CardOwners
from guanwu.card_signer.service_layer.unit_of_work import CardSignerUnitOfWork
from guanwu.contracts.envelope import Envelope
from guanwu.contracts.events.base import Event
from guanwu.contracts.events.signer import DeclarationSigned, SignFailed, SignRequested
from guanwu.platform.clock import Clock
from guanwu.platform.events import caused_by

SOURCE = "/guanwu/card-signer"
log = logging.getLogger("guanwu.card_signer.consumer")


async def answer_sign_request(
    envelope: Envelope,
    _event: Event,
    *,
    uow: CardSignerUnitOfWork,
    queue: CardQueue,
    owners: CardOwners,
    clock: Clock,
) -> None:
    """Sign what was requested and record the answer with its event (the relay publishes it)."""
    async with uow:
        if await uow.results.get(envelope.tenant, sign_result_id(envelope)) is not None:
            return  # redelivered: answered before, do not sign twice
        topic, answer = await answer_to(envelope, queue=queue, owners=owners, clock=clock)
        uow.results.add(SignResult.answering(envelope, answer, clock()), [(topic, answer)], once=True)
        await uow.commit()


async def answer_to(
    request: Envelope, *, queue: CardQueue, owners: CardOwners, clock: Clock
) -> tuple[str, Envelope]:
    """The answer to one SignRequested: DeclarationSigned, or SignFailed with the reason. A request that
    names no request and declaration to answer to raises, for the bus to dead-letter it."""
    answer: Event
    try:
        sign_request = SignRequested.model_validate(request.data)
        content = base64.b64decode(sign_request.content_b64, validate=True)
    except (ValidationError, binascii.Error) as exc:
        answer = _unreadable(request.data, exc, clock)
    else:
        try:
            owners.admit_signature(request.tenant)
            signature = await queue.sign(content, sign_request.user_id.encode("utf-8"))
        except SignFailure as failure:
            log.info("sign request %s failed: %s", sign_request.request_id, failure.reason.value)
            answer = failed_event(sign_request.request_id, sign_request.declaration_id, failure, clock)
        else:
            answer = signed_event(sign_request, signature, clock)
    return caused_by(request, answer, source=SOURCE, event_id=answer_event_id(request))


def _unreadable(data: dict[str, Any], exc: ValidationError | binascii.Error, clock: Clock) -> SignFailed:
    request_id, declaration_id = str(data.get("request_id", "")), str(data.get("declaration_id", ""))
    if not (request_id and declaration_id):
        raise exc  # nothing to answer to: let the bus dead-letter it
    failure = SignFailure(FailureReason.BAD_REQUEST, f"invalid SignRequested: {type(exc).__name__}")
    return failed_event(request_id[:64], declaration_id[:64], failure, clock)


def signed_event(request: SignRequested, signature: Signature, clock: Clock) -> DeclarationSigned:
    return DeclarationSigned(
        request_id=request.request_id,
        declaration_id=request.declaration_id,
        signature_b64=base64.b64encode(signature.der).decode(),
        content_sm3=signature.message_sm3.hex(),
        user_id=signature.user_id.decode("utf-8", "replace"),
        certificate_serial=signature.certificate.serial_hex,
        signer_subject=signature.certificate.subject,
        certificate_b64=base64.b64encode(signature.certificate.der).decode() or None,
        device=signature.device,
        signed_at=clock(),
    )


def failed_event(request_id: str, declaration_id: str, failure: SignFailure, clock: Clock) -> SignFailed:
    return SignFailed(
        request_id=request_id,
        declaration_id=declaration_id,
        reason=failure.reason.value,
        retries_left=failure.retries_left,
        detail=failure.detail[:500],
        failed_at=clock(),
    )


async def card_statuses(tenant: str, *, queue: CardQueue, owners: CardOwners) -> list[CardStatus]:
    """The readers and the card, shown to the tenants the card belongs to only."""
    with _refused_with_its_reason():
        owners.admit_viewer(tenant)
        return await queue.status()


async def sign_content(
    tenant: str, content_b64: str, user_id: str, *, queue: CardQueue, owners: CardOwners
) -> Signature:
    """A signature for a caller of the HTTP API; another tenant is refused before the card is used."""
    with _refused_with_its_reason():
        owners.admit_signature(tenant)
        try:
            content = base64.b64decode(content_b64, validate=True)
        except ValueError:  # binascii.Error, or a non-ASCII character (a plain ValueError)
            raise SignFailure(FailureReason.BAD_REQUEST, "content_b64 is not base64") from None
        return await queue.sign(content, user_id.encode("utf-8"))


@contextmanager
def _refused_with_its_reason() -> Iterator[None]:
    """A failure over HTTP is a refusal: the reason's code and messages, with the status it calls for."""
    try:
        yield
    except SignFailure as failure:
        raise SignRefused(failure) from None
