"""The bytes the IC card signs for a declaration (see docs/signing.md for the full definition).

canonical_sign_bytes(document) = the DecMessage of `document` built WITHOUT DecSign, as Canonical XML 2.0
(W3C C14N 2.0, no comments), encoded UTF-8:
- no XML declaration, no whitespace between elements, no DecSign block;
- root start tag exactly `<DecMessage xmlns="http://www.chinaport.gov.cn/dec" version="3.1">` (namespace
  declaration first, then attributes sorted by name: C14N's order);
- blocks and fields in the fixed order of `dec_message`, None fields and empty lists left out;
- text escaped as C14N does: `&amp;`, `&lt;`, `&gt;`, `&#xD;`; quotes and non-ASCII (Chinese) literal;
- Decimals in plain notation without trailing fractional zeros (`12.50` → `12.5`, `1E+3` → `1000`), so
  that documents equal as values (pydantic `==`) have equal bytes; integers in decimal.

The signature is over the document, not over received bytes: two messages that parse to the same document
have the same canonical bytes, whatever their layout, namespace prefix or declaration.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from guanwu.contracts.declaration import DeclarationDocument
from guanwu.customs.messages.dec_message import parse_dec_message, write_dec_message
from guanwu.customs.messages.safe_xml import DEFAULT_MAX_BYTES


def _plain(value: Any) -> Any:
    if isinstance(value, Decimal):
        return value.normalize() if value else Decimal(0)
    if isinstance(value, dict):
        return {key: _plain(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_plain(item) for item in value]
    return value


def canonical_sign_bytes(document: DeclarationDocument) -> bytes:
    """The exact bytes to hand to the card's signing operation for `document`."""
    normalised = DeclarationDocument.model_validate(_plain(document.model_dump()))
    out: list[str] = []
    write_dec_message(out, normalised, sign=None)
    return "".join(out).encode("utf-8")


def canonical_sign_bytes_of_message(data: bytes, *, max_bytes: int = DEFAULT_MAX_BYTES) -> bytes:
    """The canonical bytes of a received DecMessage (its DecSign ignored), to verify its signature."""
    return canonical_sign_bytes(parse_dec_message(data, max_bytes=max_bytes))
