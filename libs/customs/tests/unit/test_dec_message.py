"""DecMessage: the XML round trip keeps every field; the output is Canonical XML."""

from __future__ import annotations

import sys
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lxml import etree

from guanwu.contracts.declaration import DecHead, DeclarationDocument, DecList, DecSign
from guanwu.customs import fixtures
from guanwu.customs.messages import (
    MessageFormatError,
    UnrepresentableTextError,
    build_dec_message,
    parse_dec_message,
    parse_dec_message_with_sign,
)

sys.path.insert(0, str(Path(__file__).parent))  # importlib mode: make the sibling strategies importable
from customs_strategies import documents, model_strategy

pytestmark = pytest.mark.unit


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(document=documents(), sign=st.one_of(st.none(), model_strategy(DecSign)))
def test_round_trip_keeps_every_field(document: DeclarationDocument, sign: DecSign | None) -> None:
    xml = build_dec_message(document, sign)
    parsed, parsed_sign = parse_dec_message_with_sign(xml)
    assert parsed == document
    assert parsed_sign == sign


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(document=documents())
def test_output_is_canonical_xml(document: DeclarationDocument) -> None:
    xml = build_dec_message(document)
    body = xml.split(b"\n", 1)[1]
    assert etree.tostring(etree.fromstring(xml), method="c14n2") == body


@pytest.mark.parametrize("builder", fixtures.VALID_DECLARATIONS, ids=lambda b: b.__name__)
def test_fixtures_round_trip(builder) -> None:  # type: ignore[no-untyped-def]
    document = builder()
    assert DeclarationDocument.model_validate(document.model_dump()) == document
    assert parse_dec_message(build_dec_message(document)) == document


def test_message_shape() -> None:
    xml = build_dec_message(fixtures.export_sea_general_trade(), DecSign(oper_type="G", client_seq_no="GW1"))
    assert xml.startswith(
        b'<?xml version="1.0" encoding="UTF-8"?>\n<DecMessage xmlns="http://www.chinaport.gov.cn/dec" version="3.1"><DecHead>'
    )
    root = etree.fromstring(xml)
    blocks = [etree.QName(child).localname for child in root]
    assert blocks[:3] == ["DecHead", "DecLists", "DecContainers"]
    assert blocks.index("DecSign") < blocks.index("EdocRealation")
    assert (
        root.findtext("{http://www.chinaport.gov.cn/dec}DecHead/{http://www.chinaport.gov.cn/dec}GrossWet")
        == "9876.5"
    )


def test_reads_a_pretty_printed_message_without_namespace() -> None:
    xml = """<?xml version="1.0" encoding="UTF-8"?>
    <DecMessage Version="3.1">
      <DecHead>
        <IEFlag>E</IEFlag>
        <AgentName>宁波港通报关有限公司</AgentName>
        <SeqNo></SeqNo>
        <SomeNewField>x</SomeNewField>
      </DecHead>
      <DecLists><DecList><GNo>1</GNo><GQty>1E+3</GQty></DecList></DecLists>
      <DecMarkLob><AttachName>a.pdf</AttachName></DecMarkLob>
    </DecMessage>""".encode()
    document = parse_dec_message(xml)
    assert document.head == DecHead(ie_flag="E", agent_name="宁波港通报关有限公司")
    assert document.goods == [DecList(g_no=1, g_qty=Decimal(1000))]


def test_wrong_root_and_bad_values_are_message_format_errors() -> None:
    with pytest.raises(MessageFormatError, match="DecMessage root"):
        parse_dec_message(b"<Other/>")
    with pytest.raises(MessageFormatError, match="no DecHead"):
        parse_dec_message(b"<DecMessage/>")
    with pytest.raises(MessageFormatError, match=r"AgentCode|agent_code"):
        parse_dec_message(
            b"<DecMessage><DecHead><IEFlag>E</IEFlag><AgentCode>12345678901</AgentCode></DecHead></DecMessage>"
        )
    with pytest.raises(MessageFormatError, match="more than one"):
        parse_dec_message(b"<DecMessage><DecHead><IEFlag>E</IEFlag></DecHead><DecHead/></DecMessage>")


def test_control_characters_cannot_be_written() -> None:
    document = DeclarationDocument(head=DecHead(ie_flag="E", note_s="bell\x07"))
    with pytest.raises(UnrepresentableTextError, match="U\\+0007"):
        build_dec_message(document)


def test_fifty_lines_fit_and_fifty_one_do_not() -> None:
    assert len(parse_dec_message(build_dec_message(fixtures.fifty_line_export())).goods) == 50
    with pytest.raises(ValueError, match="50"):
        DeclarationDocument.model_validate(fixtures.invalid_51_lines())


def test_a_legacy_numeric_currency_is_kept_as_written_and_flagged_with_its_iso_code() -> None:
    """Choice: parse, do not convert. The signature covers the bytes as written (sync refuses a message whose
    canonical form differs from what was signed), and the customs want the ISO code, so the sender must fix
    it; the logic checks name the code the table maps it to."""
    from guanwu.customs.rules import Level, blocking, check

    xml = build_dec_message(fixtures.export_sea_general_trade())
    assert b"<TradeCurr>USD</TradeCurr>" in xml
    parsed = parse_dec_message(xml.replace(b"<TradeCurr>USD</TradeCurr>", b"<TradeCurr>142</TradeCurr>", 1))
    assert parsed.goods[0].trade_curr == "142"
    [finding] = [f for f in blocking(check(parsed, Level.DECLARE)) if f.field_path == "goods[0].trade_curr"]
    assert "CNY" in finding.message_en and "人民币" in finding.message_zh
