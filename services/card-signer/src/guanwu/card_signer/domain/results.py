"""The answer given to a sign request, kept so that a redelivered request is not signed twice.

Choices: one record per request envelope, written once (a deterministic id) together with its
DeclarationSigned/SignFailed event; the relay publishes the event.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import BaseModel

from guanwu.contracts.envelope import Envelope
from guanwu.platform.ids import deterministic_id

_ANSWER_NAMESPACE = uuid.UUID("6f1c3c1e-7d0a-4b8e-9a55-4755414e5755")


def sign_result_id(request: Envelope) -> str:
    return deterministic_id("sign-result", request.source, request.id)


def answer_event_id(request: Envelope) -> str:
    """Derived from the request, so a consumer's inbox drops a second answer to the same request (a second
    signature would differ: SM2 signatures are randomised)."""
    return str(uuid.uuid5(_ANSWER_NAMESPACE, f"{request.source}|{request.id}"))


class SignResult(BaseModel):
    result_id: str
    tenant: str
    request_envelope_id: str
    answer_type: str
    subject: str
    answered_at: datetime

    @classmethod
    def answering(cls, request: Envelope, answer: Envelope, answered_at: datetime) -> SignResult:
        return cls(
            result_id=sign_result_id(request),
            tenant=request.tenant,
            request_envelope_id=request.id,
            answer_type=answer.type,
            subject=answer.subject,
            answered_at=answered_at,
        )
