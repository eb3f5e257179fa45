"""SignRequested → DeclarationSigned or SignFailed.

Redelivery: the answer's event id is derived from the request's envelope id, so a consumer's inbox drops a
second answer to the same request (a second signature would differ: SM2 signatures are randomised).
"""

from __future__ import annotations

import base64
import binascii
import logging
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime

from pydantic import ValidationError

from guanwu.card_signer.domain import FailureReason, Signature, SignFailure
from guanwu.card_signer.service_layer.card_queue import CardQueue
from guanwu.card_signer.service_layer.owners import CardOwners
from guanwu.contracts.envelope import Envelope
from guanwu.contracts.events.base import Event
from guanwu.contracts.events.signer import DeclarationSigned, SignFailed, SignRequested

SOURCE = "/guanwu/card-signer"
_ANSWER_NAMESPACE = uuid.UUID("6f1c3c1e-7d0a-4b8e-9a55-4755414e5755")

Publish = Callable[[str, Envelope], Awaitable[None]]
log = logging.getLogger("guanwu.card_signer.consumer")


def signed_event(request: SignRequested, signature: Signature) -> DeclarationSigned:
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
        signed_at=datetime.now(UTC),
    )


def failed_event(request_id: str, declaration_id: str, failure: SignFailure) -> SignFailed:
    return SignFailed(
        request_id=request_id,
        declaration_id=declaration_id,
        reason=failure.reason.value,
        retries_left=failure.retries_left,
        detail=failure.detail[:500],
        failed_at=datetime.now(UTC),
    )


async def handle_sign_requested(
    envelope: Envelope, signer_queue: CardQueue, publish: Publish, owners: CardOwners
) -> None:
    data = envelope.data
    answer: Event
    try:
        request = SignRequested.model_validate(data)
        content = base64.b64decode(request.content_b64, validate=True)
    except (ValidationError, binascii.Error) as exc:
        request_id, declaration_id = str(data.get("request_id", "")), str(data.get("declaration_id", ""))
        if not (request_id and declaration_id):
            raise  # nothing to answer to: let the bus dead-letter it
        detail = f"invalid SignRequested: {type(exc).__name__}"
        answer = failed_event(
            request_id[:64], declaration_id[:64], SignFailure(FailureReason.BAD_REQUEST, detail)
        )
    else:
        try:
            owners.admit_signature(envelope.tenant)
            signature = await signer_queue.sign(content, request.user_id.encode("utf-8"))
        except SignFailure as failure:
            log.info("sign request %s failed: %s", request.request_id, failure.reason.value)
            answer = failed_event(request.request_id, request.declaration_id, failure)
        else:
            answer = signed_event(request, signature)
    out = Envelope(
        id=str(uuid.uuid5(_ANSWER_NAMESPACE, f"{envelope.source}|{envelope.id}")),
        source=SOURCE,
        type=answer.event_type,
        subject=answer.aggregate_id(),
        tenant=envelope.tenant,
        correlationid=envelope.correlationid,
        causationid=envelope.id,
        data=answer.model_dump(mode="json"),
    )
    await publish(answer.topic, out)
