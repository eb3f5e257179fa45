"""Customs message formats: DecMessage, its receipts, 核注清单 INV101/201/202, and the signed bytes."""

from guanwu.customs.messages._mapping import UnrepresentableTextError
from guanwu.customs.messages.canonical import canonical_sign_bytes, canonical_sign_bytes_of_message
from guanwu.customs.messages.dec_message import (
    DEC_NAMESPACE,
    build_dec_message,
    parse_dec_message,
    parse_dec_message_with_sign,
)
from guanwu.customs.messages.safe_xml import (
    DEFAULT_MAX_BYTES,
    MalformedXmlError,
    MessageFormatError,
    UnsafeXmlError,
    XmlError,
    parse_xml,
)

__all__ = [
    "DEC_NAMESPACE",
    "DEFAULT_MAX_BYTES",
    "MalformedXmlError",
    "MessageFormatError",
    "UnrepresentableTextError",
    "UnsafeXmlError",
    "XmlError",
    "build_dec_message",
    "canonical_sign_bytes",
    "canonical_sign_bytes_of_message",
    "parse_dec_message",
    "parse_dec_message_with_sign",
    "parse_xml",
]
