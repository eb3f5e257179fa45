"""HTTP API of the card signer: the card's state, and a signature for an authorised caller."""

from __future__ import annotations

import base64
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends
from pydantic import BaseModel, Field

from guanwu.card_signer.domain import CardStatus
from guanwu.card_signer.service_layer import handlers
from guanwu.card_signer.service_layer.context import CardSignerContext
from guanwu.platform.auth import CurrentPrincipal, require_roles
from guanwu.platform.http.context import service_context

SIGNING_ROLES = ("preparer", "manager")  # admin is implied by require_roles
Context = Annotated[CardSignerContext, Depends(service_context("card-signer"))]

router = APIRouter(prefix="/api/card-signer", tags=["card-signer"])


class CertificateView(BaseModel):
    subject: str
    serial: str = Field(description="Hex serial number (证书序列号)")
    not_before: datetime
    not_after: datetime


class CardView(BaseModel):
    reader: str
    card_present: bool
    certificate: CertificateView | None = None
    pin_retries_left: int | None = Field(None, description="Known when the PIN is not verified yet")
    pin_blocked: bool = False
    pin_verified: bool = False
    error: str | None = None

    @classmethod
    def of(cls, status: CardStatus) -> CardView:
        cert = status.certificate
        return cls(
            reader=status.reader,
            card_present=status.card_present,
            certificate=CertificateView(
                subject=cert.subject,
                serial=cert.serial_hex,
                not_before=cert.not_before,
                not_after=cert.not_after,
            )
            if cert
            else None,
            pin_retries_left=status.pin_retries_left,
            pin_blocked=status.pin_blocked,
            pin_verified=status.pin_verified,
            error=status.error,
        )


class SignForm(BaseModel):
    content_b64: Annotated[str, Field(min_length=1, max_length=700_000, description="Bytes to sign, base64")]
    user_id: Annotated[str, Field(min_length=1, max_length=64)] = "1234567812345678"


class SignatureView(BaseModel):
    signature_b64: str = Field(description="SM2Signature DER (GM/T 0009), base64")
    signature_rs_hex: str = Field(description="r || s, 64 bytes, hex")
    signature_algorithm: str = "SM2-with-SM3"
    content_sm3: str
    user_id: str
    certificate_serial: str
    signer_subject: str
    certificate_b64: str
    device: str


@router.get("/cards", response_model=list[CardView], summary="读卡器与卡状态 / readers and the card")
async def cards(principal: CurrentPrincipal, context: Context) -> list[CardView]:
    statuses = await handlers.card_statuses(principal.tenant, queue=context.queue, owners=context.owners)
    return [CardView.of(status) for status in statuses]


@router.post(
    "/sign",
    response_model=SignatureView,
    summary="用操作员卡签名 / sign with the operator's card",
    dependencies=[require_roles(*SIGNING_ROLES)],
)
async def sign(form: SignForm, principal: CurrentPrincipal, context: Context) -> SignatureView:
    signature = await handlers.sign_content(
        principal.tenant, form.content_b64, form.user_id, queue=context.queue, owners=context.owners
    )
    return SignatureView(
        signature_b64=base64.b64encode(signature.der).decode(),
        signature_rs_hex=signature.rs.hex(),
        content_sm3=signature.message_sm3.hex(),
        user_id=form.user_id,
        certificate_serial=signature.certificate.serial_hex,
        signer_subject=signature.certificate.subject,
        certificate_b64=base64.b64encode(signature.certificate.der).decode(),
        device=signature.device,
    )
