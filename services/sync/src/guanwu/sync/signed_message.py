"""The signed DecMessage sync sends: the declared canonical bytes plus a DecSign carrying the card's signature.

No I/O. The two halves are the stored forms of DeclarationDeclareRequested and DeclarationSigned
(see `declare.request_half` / `declare.signature_half`).
"""

from __future__ import annotations

import base64
from datetime import datetime, timedelta, timezone
from typing import Any

from guanwu.contracts.declaration import DecSign
from guanwu.customs.messages import build_dec_message, canonical_sign_bytes, parse_dec_message
from guanwu.platform.idempotency import deterministic_id

DECLARE = "C"  # OperType C 报关单申报
DECLARANT = "2"  # DomainId 2 申报人
CERTIFICATE_MAX = 20  # DecSign/Certificate 证书号 holds at most 20 characters
BEIJING = timezone(timedelta(hours=8), "Asia/Shanghai")


class NotSendable(Exception):
    """The halves cannot make a message the Single Window would take; sending it would only be refused."""

    def __init__(self, code: str, zh: str, en: str) -> None:
        super().__init__(f"{zh} / {en}")
        self.code, self.message = code, f"{zh} / {en}"


def client_seq_no_for(tenant: str, declaration_id: str) -> str:
    """ClientSeqNo 客户端编号: 18 characters, unique per declaration, the same for every 申报 of it.

    Derived rather than stored, so a declaration declared again after 退回修改 keeps its 统一编号.
    """
    number = int(deterministic_id("client-seq-no", tenant, declaration_id), 16) % 10**16
    return f"GW{number:016d}"


def _common_name(subject: str) -> str | None:
    for part in subject.split(","):
        key, _, value = part.strip().partition("=")
        if key.upper() == "CN" and value:
            return value[:30]  # OperName 30
    return None


def dec_sign(request: dict[str, Any], signature: dict[str, Any]) -> DecSign:
    serial = signature.get("certificate_serial") or ""
    # Customs time is Beijing time; SignDate has 16 characters at most, yyyyMMddHHmmss fits.
    signed_at = datetime.fromisoformat(signature["signed_at"]).astimezone(BEIJING)
    return DecSign(
        oper_type=DECLARE,
        oper_name=_common_name(signature.get("signer_subject") or ""),
        client_seq_no=request["client_seq_no"],
        sign=signature["signature_b64"],
        sign_date=signed_at.strftime("%Y%m%d%H%M%S"),
        # A longer serial (an X.509 serial may have 40 hex digits) would be cut into a wrong number: leave it
        # out; the record keeps the whole serial.
        certificate=serial if len(serial) <= CERTIFICATE_MAX else None,
        domain_id=DECLARANT,
    )


def signed_message(request: dict[str, Any], signature: dict[str, Any]) -> bytes:
    """The DecMessage with DecSign, after checking that the card signed exactly the declared bytes."""
    if signature["content_sm3"] != request["content_sm3"]:
        raise NotSendable(
            "signature_mismatch",
            "签名内容与申报报文不一致",
            "the card signed other content than the declared message (SM3 differs)",
        )
    try:
        raw = base64.b64decode(request["message_b64"], validate=True)
        document = parse_dec_message(raw)
        if canonical_sign_bytes(document) != raw:
            raise NotSendable(
                "not_canonical", "申报报文不是规范形式", "the declared message is not in canonical form"
            )
        return build_dec_message(document, dec_sign(request, signature))
    except ValueError as exc:  # bad base64, XmlError, or a DecSign value over its length
        raise NotSendable(
            "bad_message", "无法生成申报报文", f"cannot build the signed message: {exc}"
        ) from exc
