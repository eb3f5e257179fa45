"""The signed DecMessage sync sends: the declared canonical bytes plus a DecSign carrying the card's signature.

No I/O. The two halves are the kept forms of DeclarationDeclareRequested and DeclarationSigned
(see `records.half_of`).
"""

from __future__ import annotations

import base64
from datetime import timedelta, timezone

from guanwu.contracts.declaration import DecSign
from guanwu.customs.messages import build_dec_message, canonical_sign_bytes, parse_dec_message
from guanwu.sync.domain.records import RequestHalf, SignatureHalf

DECLARE = "C"  # OperType C 报关单申报
DECLARANT = "2"  # DomainId 2 申报人
CERTIFICATE_MAX = 20  # DecSign/Certificate 证书号 holds at most 20 characters
BEIJING = timezone(timedelta(hours=8), "Asia/Shanghai")


class NotSendable(Exception):
    """The halves cannot make a message the Single Window would take; sending it would only be refused."""

    def __init__(self, code: str, zh: str, en: str) -> None:
        super().__init__(f"{zh} / {en}")
        self.code, self.message = code, f"{zh} / {en}"


def _common_name(subject: str) -> str | None:
    for part in subject.split(","):
        key, _, value = part.strip().partition("=")
        if key.upper() == "CN" and value:
            return value[:30]  # OperName 30
    return None


def dec_sign(request: RequestHalf, signature: SignatureHalf) -> DecSign:
    serial = signature.certificate_serial
    # Customs time is Beijing time; SignDate has 16 characters at most, yyyyMMddHHmmss fits.
    signed_at = signature.signed_at.astimezone(BEIJING)
    return DecSign(
        oper_type=DECLARE,
        oper_name=_common_name(signature.signer_subject),
        client_seq_no=request.client_seq_no,
        sign=signature.signature_b64,
        sign_date=signed_at.strftime("%Y%m%d%H%M%S"),
        # A longer serial (an X.509 serial may have 40 hex digits) would be cut into a wrong number: leave it
        # out; the record keeps the whole serial.
        certificate=serial if len(serial) <= CERTIFICATE_MAX else None,
        domain_id=DECLARANT,
    )


def signed_message(request: RequestHalf, signature: SignatureHalf) -> bytes:
    """The DecMessage with DecSign, after checking that the card signed exactly the declared bytes."""
    if signature.content_sm3 != request.content_sm3:
        raise NotSendable(
            "signature_mismatch",
            "签名内容与申报报文不一致",
            "the card signed other content than the declared message (SM3 differs)",
        )
    try:
        raw = base64.b64decode(request.message_b64, validate=True)
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
