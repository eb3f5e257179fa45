"""The one entry point for parsing XML that comes from outside: customs receipts, imported messages.

Refused outright, before and after libxml2 sees the bytes:
- anything over a size limit (default 5 MiB; a 50-line declaration is ~60 KiB);
- any DOCTYPE: guanwu's messages never need one, and a DTD is what billion-laughs and external-entity
  attacks ride on. Entities are also never resolved and the network is never touched, as a second wall.
"""

from __future__ import annotations

import threading

from lxml import etree

DEFAULT_MAX_BYTES = 5 * 1024 * 1024


class XmlError(ValueError):
    """Base of every error raised while reading a customs message."""


class UnsafeXmlError(XmlError):
    """The input is refused for safety: too large, or carrying a DTD/entity declarations."""


class MalformedXmlError(XmlError):
    """The input is not well-formed XML."""


class MessageFormatError(XmlError):
    """Well-formed XML that is not the expected message (wrong root, bad value, ...)."""


_local = threading.local()


def _parser() -> etree.XMLParser:
    # lxml parsers keep state and are not safe to share between threads: one per thread.
    parser: etree.XMLParser | None = getattr(_local, "parser", None)
    if parser is None:
        parser = etree.XMLParser(
            resolve_entities=False,
            no_network=True,
            dtd_validation=False,
            load_dtd=False,
            huge_tree=False,
            remove_comments=True,
            remove_pis=True,
        )
        _local.parser = parser
    return parser


def parse_xml(data: bytes, *, max_bytes: int = DEFAULT_MAX_BYTES) -> etree._Element:
    """Parse untrusted XML bytes and return the root element, or raise an `XmlError` subclass."""
    if not isinstance(data, bytes | bytearray | memoryview):
        raise TypeError(
            f"parse_xml takes bytes, not {type(data).__name__}: the XML declaration names the encoding"
        )
    data = bytes(data)
    if len(data) > max_bytes:
        raise UnsafeXmlError(f"XML refused: {len(data)} bytes is over the limit of {max_bytes} bytes")
    if b"<!DOCTYPE" in data or b"<!ENTITY" in data:
        raise UnsafeXmlError("XML refused: DOCTYPE/ENTITY declarations are not allowed in customs messages")
    try:
        root = etree.fromstring(data, _parser())
    except etree.XMLSyntaxError as exc:
        raise MalformedXmlError(f"malformed XML: {exc}") from exc
    # The byte scan misses a DOCTYPE in UTF-16 and other encodings; the parsed tree does not.
    if root.getroottree().docinfo.doctype:
        raise UnsafeXmlError("XML refused: DOCTYPE/ENTITY declarations are not allowed in customs messages")
    return root


def local_name(element: etree._Element) -> str:
    """The tag without its namespace: receipts arrive with and without xmlns."""
    tag = element.tag
    if not isinstance(tag, str):
        return ""
    return tag.rpartition("}")[2]
