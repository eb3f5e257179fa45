"""What the card signs for 申报 (docs/signing.md): the canonical bytes of the document and their SM3 digest."""

from __future__ import annotations

import gmalglib

from guanwu.customs.messages import UnrepresentableTextError, canonical_sign_bytes
from guanwu.declaration.domain.errors import LifecycleError
from guanwu.declaration.domain.model import Declaration
from guanwu.platform import ids

new_signing_request_id = ids.new_id

MAX_SIGNED_BYTES = 500_000
"""What one SignRequested can carry (base64 within the event's 700,000 characters, under Kafka's 1 MB)."""


def signable_content(declaration: Declaration) -> bytes:
    """The canonical bytes the card signs (docs/signing.md); refused when they cannot be signed or sent."""
    try:
        content = canonical_sign_bytes(declaration.document)
    except UnrepresentableTextError as exc:
        raise LifecycleError(
            "declaration.unsignable",
            f"报关单含有无法签名的字符：{exc}",
            f"The declaration contains characters that cannot be signed: {exc}",
        ) from None
    if len(content) > MAX_SIGNED_BYTES:
        raise LifecycleError(
            "declaration.too_large_to_sign",
            f"报关单报文 {len(content)} 字节，超过签名上限 {MAX_SIGNED_BYTES} 字节",
            f"The declaration message is {len(content)} bytes, over the signing limit of {MAX_SIGNED_BYTES}",
        )
    return content


def content_sm3(content: bytes) -> str:
    """SM3 of the signed bytes, hex: the card's answer must name the same digest (lifecycle.record_signature)."""
    return bytes(gmalglib.sm3_digest(content)).hex()
