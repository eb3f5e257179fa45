"""The card signer's command (`card-signer.requests.v1`) and events (`card-signer.events.v1`)."""

from __future__ import annotations

from datetime import datetime
from typing import ClassVar

from pydantic import Field

from guanwu.contracts import topics
from guanwu.contracts.events.base import REGISTRY, Event, event_type_name


@REGISTRY.register
class SignRequested(Event):
    """Sign this content (a declaration's signed form) with the operator's card: SM2 with SM3 (GM/T 0009)."""

    request_id: str = Field(min_length=1, max_length=64, description="Caller's id of the request; echoed")
    declaration_id: str = Field(min_length=1, max_length=64, description="guanwu's declaration id (报关单)")
    content_b64: str = Field(
        min_length=1, max_length=700_000, description="The exact bytes to sign, base64 (< 1 MB message)"
    )
    user_id: str = Field(
        default="1234567812345678", min_length=1, max_length=64, description="SM2 signer ID (GM/T 0009)"
    )
    requested_by: str | None = Field(default=None, max_length=64, description="Who asked for it")

    event_type: ClassVar[str] = event_type_name("card-signer", "SignRequested")
    topic: ClassVar[str] = topics.SIGNER_REQUESTS
    owner: ClassVar[str] = "card-signer"

    def aggregate_id(self) -> str:
        return self.declaration_id


@REGISTRY.register
class DeclarationSigned(Event):
    """The card (or soft token) signed the requested content."""

    request_id: str = Field(min_length=1, max_length=64, description="The SignRequested.request_id answered")
    declaration_id: str = Field(min_length=1, max_length=64, description="guanwu's declaration id (报关单)")
    signature_b64: str = Field(description="SM2Signature (DER SEQUENCE of r, s; GM/T 0009), base64")
    signature_algorithm: str = Field(default="SM2-with-SM3", description="OID 1.2.156.10197.1.501")
    content_sm3: str = Field(min_length=64, max_length=64, description="SM3 of the signed content, hex")
    user_id: str = Field(description="SM2 signer ID used in Z")
    certificate_serial: str = Field(description="Serial number of the signer's certificate, hex (证书序列号)")
    signer_subject: str = Field(description="Subject of the signer's certificate, RFC 4514 (持卡人)")
    certificate_b64: str | None = Field(default=None, description="The signer's certificate, DER, base64")
    device: str = Field(description="card (IC 卡 through PC/SC) or soft (soft token)")
    signed_at: datetime

    event_type: ClassVar[str] = event_type_name("card-signer", "DeclarationSigned")
    topic: ClassVar[str] = topics.SIGNER_EVENTS
    owner: ClassVar[str] = "card-signer"

    def aggregate_id(self) -> str:
        return self.declaration_id


@REGISTRY.register
class SignFailed(Event):
    """No signature was made. `reason` is a code; `detail` is human text and never holds the PIN."""

    request_id: str = Field(min_length=1, max_length=64, description="The SignRequested.request_id answered")
    declaration_id: str = Field(min_length=1, max_length=64, description="guanwu's declaration id (报关单)")
    reason: str = Field(
        pattern=r"^[a-z_]+$",
        max_length=40,
        description=(
            "no_reader, no_card, card_removed, pin_missing, pin_wrong, pin_last_try_refused, pin_blocked, "
            "token_locked, timeout, busy, card_error, bad_request, tenant_not_served (the card belongs to "
            "other tenants)"
        ),
    )
    retries_left: int | None = Field(default=None, ge=0, le=15, description="PIN tries left, if known")
    detail: str = Field(default="", max_length=500, description="Human-readable explanation")
    failed_at: datetime

    event_type: ClassVar[str] = event_type_name("card-signer", "SignFailed")
    topic: ClassVar[str] = topics.SIGNER_EVENTS
    owner: ClassVar[str] = "card-signer"

    def aggregate_id(self) -> str:
        return self.declaration_id
