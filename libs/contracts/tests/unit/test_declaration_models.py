"""The declaration models: wire codes are complete and unique, bounds come from the reference."""

from __future__ import annotations

from decimal import Decimal

import pytest
from pydantic import BaseModel, ValidationError

from guanwu.contracts import declaration as dm

pytestmark = pytest.mark.unit

WIRE_MODELS: list[type[BaseModel]] = [
    dm.DecHead,
    dm.DecList,
    dm.DecGoodsLimit,
    dm.Container,
    dm.LicenseDocu,
    dm.DecRequestCert,
    dm.EdocRealation,
    dm.DecOtherPack,
    dm.DecCopLimit,
    dm.DecUser,
    dm.DecCopPromise,
    dm.DecFreeTxt,
    dm.DecSign,
    dm.TrnHead,
    dm.TrnList,
    dm.TrnContainer,
    dm.TrnContaGoodsList,
    dm.InvtHead,
    dm.InvtList,
]


@pytest.mark.parametrize("model", WIRE_MODELS, ids=lambda m: m.__name__)
def test_every_scalar_field_has_a_unique_wire_code_that_opens_its_description(model: type[BaseModel]) -> None:
    codes = dict(dm.wire_fields(model))
    scalar_fields = [n for n, f in model.model_fields.items() if not isinstance(f.default_factory, type)]
    assert set(codes) == {n for n in scalar_fields if n != "goods_limits"}
    assert len(set(codes.values())) == len(codes)
    for name, code in codes.items():
        assert (model.model_fields[name].description or "").startswith(code + " ")


def test_wire_code_names_the_official_tag() -> None:
    assert dm.wire_code(dm.DecList, "code_ts") == "CodeTS"
    assert dm.wire_code(dm.DecHead, "gross_wet") == "GrossWet"
    assert dm.wire_code(dm.DecHead, "promise_itmes") == "PromiseItmes"
    with pytest.raises(KeyError):
        dm.wire_code(dm.DecList, "goods_limits")


def test_head_lengths_follow_the_reference() -> None:
    with pytest.raises(ValidationError):
        dm.DecHead(ie_flag="E", agent_code="12345678901")
    with pytest.raises(ValidationError):
        dm.DecHead(ie_flag="E", custom_master="51000")
    with pytest.raises(ValidationError):
        dm.DecHead(ie_flag="X")  # type: ignore[arg-type]


def test_amounts_are_decimals_with_the_reference_precision() -> None:
    head = dm.DecHead(ie_flag="I", gross_wet=Decimal("1234.56789"))
    assert isinstance(head.gross_wet, Decimal)
    with pytest.raises(ValidationError):
        dm.DecHead(ie_flag="I", gross_wet=Decimal("1.123456"))
    with pytest.raises(ValidationError):
        dm.DecList(g_no=1, decl_price=Decimal("1.12345"))


def test_a_draft_head_needs_only_the_ie_flag() -> None:
    assert dm.DecHead(ie_flag="E").agent_code is None


def test_unknown_keys_are_refused() -> None:
    with pytest.raises(ValidationError):
        dm.DecHead.model_validate({"ie_flag": "E", "AgentCode": "1234567890"})


def test_at_most_fifty_goods_lines() -> None:
    head = dm.DecHead(ie_flag="E")
    dm.DeclarationDocument(head=head, goods=[dm.DecList(g_no=i) for i in range(1, 51)])
    with pytest.raises(ValidationError):
        dm.DeclarationDocument(head=head, goods=[dm.DecList(g_no=min(i, 50)) for i in range(1, 52)])


@pytest.mark.parametrize(
    ("head", "kind"),
    [
        ({}, dm.DocumentKind.DECLARATION),
        ({"type": "ML"}, dm.DocumentKind.RECORD_LIST),
        ({"bill_type": "1"}, dm.DocumentKind.RECORD_LIST),
        ({"bill_type": "4"}, dm.DocumentKind.DECLARATION),
        ({"decl_trn_rel": "1"}, dm.DocumentKind.TRANSIT_DECLARATION),
        ({"decl_trn_rel": "1", "type": "LY"}, dm.DocumentKind.TRANSIT_RECORD_LIST),
    ],
)
def test_kind_follows_the_head_markers(head: dict[str, str], kind: dm.DocumentKind) -> None:
    assert dm.infer_kind(dm.DecHead(ie_flag="E", **head)) is kind  # type: ignore[arg-type]
    assert kind.label


def test_json_round_trip_keeps_decimals_exact() -> None:
    doc = dm.DeclarationDocument(
        head=dm.DecHead(ie_flag="E", net_wt=Decimal("0.00001")),
        goods=[dm.DecList(g_no=1, decl_total=Decimal("12345678901234.5678"))],
    )
    assert dm.DeclarationDocument.model_validate_json(doc.model_dump_json()) == doc
