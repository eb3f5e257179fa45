"""The fixtures obey the reference's rules, so services can rely on them."""

from __future__ import annotations

from decimal import Decimal

import pytest

from guanwu.contracts.declaration import DeclarationDocument, infer_kind
from guanwu.customs import fixtures
from guanwu.customs.fixtures._check_digits import container_no, organization_code, uscc
from guanwu.customs.rules import Level, blocking, check

pytestmark = pytest.mark.unit


def test_check_digits_match_published_examples() -> None:
    assert uscc("91110108551385082") == "91110108551385082Q"
    assert container_no("CSQU305438") == "CSQU3054383"
    assert organization_code("55138508") == "551385082"  # embedded in the USCC above


@pytest.mark.parametrize("builder", fixtures.VALID_DECLARATIONS, ids=lambda b: b.__name__)
def test_valid_declarations_follow_the_rules(builder) -> None:  # type: ignore[no-untyped-def]
    document: DeclarationDocument = builder()
    head = document.head
    assert infer_kind(head) is document.kind
    assert head.net_wt is not None and head.gross_wet is not None and head.net_wt <= head.gross_wet
    assert [line.g_no for line in document.goods] == list(range(1, len(document.goods) + 1))
    for line in document.goods:
        assert line.decl_total == line.g_qty * line.decl_price  # type: ignore[operator]
        assert line.code_ts is not None and len(line.code_ts) == 10 and line.code_ts.isdigit()
        if head.ie_flag == "E":
            assert line.destination_country and line.district_code
    for code in (head.agent_code_scc, head.trade_co_scc, head.owner_code_scc):
        assert code is not None and uscc(code[:17]) == code
    for box in document.containers:
        assert box.container_id is not None and container_no(box.container_id[:10]) == box.container_id
    if document.kind.is_transit:
        assert document.transit is not None
        mode = head.edi_id
        assert document.transit.head.trans_no if mode == "5" else document.transit.head.turn_no
    assert DeclarationDocument.model_validate(document.model_dump()) == document


@pytest.mark.parametrize("builder", fixtures.VALID_DECLARATIONS, ids=lambda b: b.__name__)
@pytest.mark.parametrize("level", list(Level))
def test_valid_declarations_raise_no_error_and_no_cop_code_finding(builder, level: Level) -> None:  # type: ignore[no-untyped-def]
    """Services take these as valid: no error at either level, and the 录入单位 code (a 9-character
    组织机构代码 with its GB 11714 check character, embedded in CopCodeScc) raises nothing, not even a warning."""
    findings = check(builder(), level)
    assert blocking(findings) == []
    assert [f for f in findings if "CopCode" in f.rule_code] == []


def test_invalid_variants() -> None:
    bad = fixtures.invalid_net_over_gross().head
    assert bad.net_wt > bad.gross_wet  # type: ignore[operator]
    assert len(fixtures.invalid_51_lines()["goods"]) == 51
    draft = fixtures.invalid_missing_for_declare()
    assert draft.head.agent_code is None and draft.head.trade_mode is None


def test_southern_transit_is_declared_in_guangdong() -> None:
    head = fixtures.transit_southern().head
    assert (
        head.edi_id == "5" and head.custom_master is not None and head.custom_master[:2] in {"51", "52", "53"}
    )
    assert head.traf_name == "@" + fixtures.transit_southern().transit.head.trans_no  # type: ignore[union-attr,operator]


def test_bonded_list_numbers() -> None:
    bonded = fixtures.bonded_list()
    assert bonded.head.bond_invt_no is not None and bonded.head.bond_invt_no.startswith("QD3111")
    for line in bonded.goods:
        assert line.dcl_total_amt is not None and line.dcl_qty is not None and line.dcl_uprc_amt is not None
        assert abs(line.dcl_qty * line.dcl_uprc_amt - line.dcl_total_amt) < Decimal("0.01")
