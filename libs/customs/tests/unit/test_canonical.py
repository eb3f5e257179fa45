"""The canonical bytes the IC card signs."""

from __future__ import annotations

from decimal import Decimal

import pytest
from lxml import etree

from guanwu.contracts.declaration import DecSign, wire_fields
from guanwu.customs import fixtures
from guanwu.customs.messages import build_dec_message, canonical_sign_bytes, canonical_sign_bytes_of_message

pytestmark = pytest.mark.unit


def test_same_document_same_bytes() -> None:
    assert canonical_sign_bytes(fixtures.export_sea_general_trade()) == canonical_sign_bytes(
        fixtures.export_sea_general_trade()
    )


def test_dec_sign_is_excluded_and_layout_does_not_matter() -> None:
    document = fixtures.transit_northern()
    signed = build_dec_message(document, DecSign(oper_type="C", client_seq_no="GW1", sign="c2lnbmF0dXJl"))
    pretty = etree.tostring(
        etree.fromstring(signed), pretty_print=True, xml_declaration=True, encoding="UTF-8"
    )
    canonical = canonical_sign_bytes(document)
    assert b"DecSign" not in canonical
    assert canonical_sign_bytes_of_message(signed) == canonical == canonical_sign_bytes_of_message(pretty)


def test_canonical_bytes_are_c14n2_without_declaration() -> None:
    canonical = canonical_sign_bytes(fixtures.export_sea_general_trade())
    assert canonical.startswith(
        b'<DecMessage xmlns="http://www.chinaport.gov.cn/dec" version="3.1"><DecHead>'
    )
    assert etree.tostring(etree.fromstring(canonical), method="c14n2") == canonical


def test_equal_decimals_give_equal_bytes() -> None:
    document = fixtures.export_air()
    rescaled = document.model_copy(
        update={"head": document.head.model_copy(update={"gross_wet": Decimal("356.800")})}
    )
    assert rescaled == document
    assert canonical_sign_bytes(rescaled) == canonical_sign_bytes(document)


@pytest.mark.parametrize(
    "field", [name for name, _ in wire_fields(type(fixtures.export_sea_general_trade().head))]
)
def test_any_head_field_change_changes_the_bytes(field: str) -> None:
    document = fixtures.export_sea_general_trade()
    value = getattr(document.head, field)
    annotation = str(type(document.head).model_fields[field].annotation)
    changed_value: object
    if field == "ie_flag":
        changed_value = "I"
    elif "Decimal" in annotation:
        changed_value = (value or Decimal(0)) + 1
    elif "int" in annotation:
        changed_value = (value or 0) + 1
    else:
        changed_value = "1" if value != "1" else "2"
    head = type(document.head).model_validate({**document.head.model_dump(), field: changed_value})
    changed = document.model_copy(update={"head": head})
    assert canonical_sign_bytes(changed) != canonical_sign_bytes(document)


def test_a_goods_line_change_changes_the_bytes() -> None:
    document = fixtures.fifty_line_export()
    goods = list(document.goods)
    goods[49] = goods[49].model_copy(update={"g_name": goods[49].g_name + "X"})  # type: ignore[operator]
    assert canonical_sign_bytes(document.model_copy(update={"goods": goods})) != canonical_sign_bytes(
        document
    )
