"""HTTP API of the card signer: the card's state, and a signature for an authorised caller."""

from __future__ import annotations

import base64
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, HTTPException
from pydantic import BaseModel, Field

from guanwu.card_signer.domain import CardStatus, FailureReason, SignFailure
from guanwu.card_signer.service_layer.card_queue import CardQueue
from guanwu.card_signer.service_layer.owners import CardOwners
from guanwu.platform.auth import CurrentPrincipal, require_roles

SIGNING_ROLES = ("preparer", "manager")  # admin is implied by require_roles

_STATUS_BY_REASON = {
    FailureReason.BAD_REQUEST: 400,
    FailureReason.BUSY: 429,
    FailureReason.TIMEOUT: 504,
    FailureReason.PIN_WRONG: 409,
    FailureReason.PIN_LAST_TRY_REFUSED: 409,
    FailureReason.PIN_BLOCKED: 409,
    FailureReason.PIN_MISSING: 503,
    FailureReason.TENANT_NOT_SERVED: 403,
}
_MESSAGES_ZH = {
    FailureReason.NO_READER: "未找到读卡器",
    FailureReason.NO_CARD: "读卡器中没有卡",
    FailureReason.CARD_REMOVED: "签名时卡被拔出",
    FailureReason.PIN_MISSING: "未配置卡口令",
    FailureReason.PIN_WRONG: "卡口令错误",
    FailureReason.PIN_LAST_TRY_REFUSED: "卡口令仅剩一次重试机会，系统不再尝试，请用卡管理工具验证口令",
    FailureReason.PIN_BLOCKED: "卡口令已锁定",
    FailureReason.TOKEN_LOCKED: "软证书无法打开",
    FailureReason.TIMEOUT: "签名超时",
    FailureReason.BUSY: "签名队列已满，请稍后再试",
    FailureReason.CARD_ERROR: "卡返回错误",
    FailureReason.BAD_REQUEST: "请求无效",
    FailureReason.TENANT_NOT_SERVED: "本签名服务的 IC 卡属于其他企业：不为贵企业签名，也不显示卡的信息",
}


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


def failure_http(failure: SignFailure) -> HTTPException:
    return HTTPException(
        _STATUS_BY_REASON.get(failure.reason, 503),
        detail={
            "code": f"card_signer.{failure.reason.value}",
            "message_zh": _MESSAGES_ZH.get(failure.reason, "签名失败"),
            "message_en": failure.detail or failure.reason.value,
            "retries_left": failure.retries_left,
        },
    )


def build_router(queue: CardQueue, owners: CardOwners) -> APIRouter:
    router = APIRouter(prefix="/api/card-signer", tags=["card-signer"])

    @router.get("/cards", response_model=list[CardView], summary="读卡器与卡状态 / readers and the card")
    async def cards(principal: CurrentPrincipal) -> list[CardView]:
        try:
            owners.admit_viewer(principal.tenant)
            return [CardView.of(status) for status in await queue.status()]
        except SignFailure as failure:
            raise failure_http(failure) from None

    @router.post(
        "/sign",
        response_model=SignatureView,
        summary="用操作员卡签名 / sign with the operator's card",
        dependencies=[require_roles(*SIGNING_ROLES)],
    )
    async def sign(form: SignForm, principal: CurrentPrincipal) -> SignatureView:
        try:
            owners.admit_signature(principal.tenant)
        except SignFailure as failure:
            raise failure_http(failure) from None
        try:
            content = base64.b64decode(form.content_b64, validate=True)
        except ValueError:  # binascii.Error, or a non-ASCII character (a plain ValueError)
            raise failure_http(SignFailure(FailureReason.BAD_REQUEST, "content_b64 is not base64")) from None
        try:
            signature = await queue.sign(content, form.user_id.encode("utf-8"))
        except SignFailure as failure:
            raise failure_http(failure) from None
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

    return router
