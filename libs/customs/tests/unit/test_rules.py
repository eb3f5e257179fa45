"""Logic checks: every rule has a passing and a failing case; 暂存 accepts a draft that 申报 rejects."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from hostile_declarations import LEAVES, Expect, HostileEdit, Leaf, leaf_at

from guanwu.contracts.declaration import DeclarationDocument, DocumentKind, TransitBlock, TrnHead
from guanwu.customs import fixtures as fx
from guanwu.customs.rules import RULES, Finding, Level, Severity, blocking, check
from guanwu.customs.rules.docs import render
from guanwu.customs.rules.fields import field_specs

TODAY = date(2024, 9, 10)
REPO = Path(__file__).resolve().parents[4]


def codes(doc: DeclarationDocument, level: Level = Level.DECLARE) -> set[str]:
    return {f.rule_code for f in check(doc, level, today=TODAY)}


def head(doc: DeclarationDocument, **update: Any) -> DeclarationDocument:
    # model_copy does not validate: rules must also catch what the model would refuse (e.g. parsed XML)
    return doc.model_copy(update={"head": doc.head.model_copy(update=update)})


def line(doc: DeclarationDocument, index: int, **update: Any) -> DeclarationDocument:
    goods = list(doc.goods)
    goods[index] = goods[index].model_copy(update=update)
    return doc.model_copy(update={"goods": goods})


def export() -> DeclarationDocument:
    return fx.export_sea_general_trade()


def import_() -> DeclarationDocument:
    return fx.import_general()


# ---- fixtures the other engineer calls valid stay free of errors ---------------------------------------


@pytest.mark.parametrize("build", fx.VALID_DECLARATIONS, ids=lambda b: b.__name__)
@pytest.mark.parametrize("level", list(Level))
def test_valid_fixtures_have_no_errors(build: Callable[[], DeclarationDocument], level: Level) -> None:
    assert blocking(check(build(), level, today=TODAY)) == []


def test_findings_carry_code_path_severity_and_two_languages() -> None:
    findings = check(fx.invalid_net_over_gross(), Level.DECLARE, today=TODAY)
    finding = next(f for f in findings if f.rule_code == "DEC-HEAD-WT-NetGross")
    assert finding == Finding(
        finding.rule_code, "head.net_wt", Severity.ERROR, finding.message_zh, finding.message_en
    )
    assert "净重" in finding.message_zh and "Net weight" in finding.message_en
    assert finding.blocks_declare


# ---- 暂存 vs 申报 -----------------------------------------------------------------------------------------


def draft() -> DeclarationDocument:
    """Only what the reference marks 暂存必填 (Y/…): enough to save, not to declare."""
    full = export()
    keep = {s.attr for s in field_specs() if s.block == "head" and s.stage_required} | {"ie_flag"}
    kept = {k: v for k, v in full.head.model_dump().items() if k in keep}
    goods = [g.model_copy(update={"g_qty": None, "decl_total": None, "duty_mode": None}) for g in full.goods]
    return DeclarationDocument(head=type(full.head)(**kept), goods=goods)


def test_stage_accepts_an_incomplete_draft_that_declare_rejects() -> None:
    doc = draft()
    assert blocking(check(doc, Level.STAGE, today=TODAY)) == []
    rejected = {f.rule_code for f in blocking(check(doc, Level.DECLARE, today=TODAY))}
    assert {"DEC-HEAD-REQ-TradeMode", "DEC-HEAD-REQ-GrossWet", "DEC-LIST-REQ-DutyMode"} <= rejected


def test_stage_required_fields_block_even_a_draft() -> None:
    assert "DEC-HEAD-REQ-AgentCode" in codes(head(draft(), agent_code=None), Level.STAGE)


# ---- table-driven rules: one failing case per generated rule -------------------------------------------

HEAD_SPECS = [s for s in field_specs() if s.block == "head"]
GOODS_SPECS = [s for s in field_specs() if s.block == "goods"]


def _target(block: str) -> tuple[Callable[..., DeclarationDocument], DeclarationDocument]:
    base = import_() if block == "head" else export()
    if block == "head":
        return lambda doc, attr, value: head(doc, **{attr: value}), base
    return lambda doc, attr, value: line(doc, 0, **{attr: value}), base


@pytest.mark.parametrize(
    "spec",
    [s for s in HEAD_SPECS + GOODS_SPECS if s.stage_required or s.declare_required],
    ids=lambda s: s.rule_code("REQ"),
)
def test_required_rules(spec: Any) -> None:
    set_field, base = _target(spec.block)
    if spec.ie == "E":
        base = export()
    code = spec.rule_code("REQ")
    assert code not in codes(base)
    missing = set_field(base, spec.attr, None)
    assert code in codes(missing, Level.DECLARE)
    assert (code in codes(missing, Level.STAGE)) == spec.stage_required


@pytest.mark.parametrize(
    "spec", [s for s in HEAD_SPECS + GOODS_SPECS if s.max_len], ids=lambda s: s.rule_code("LEN")
)
def test_length_rules(spec: Any) -> None:
    set_field, base = _target(spec.block)
    code = spec.rule_code("LEN")
    assert code not in codes(base)
    assert code in codes(set_field(base, spec.attr, "9" * (spec.max_len + 1)), Level.STAGE)


@pytest.mark.parametrize(
    "spec", [s for s in HEAD_SPECS + GOODS_SPECS if s.table], ids=lambda s: s.rule_code("CODE")
)
def test_code_table_rules(spec: Any) -> None:
    set_field, base = _target(spec.block)
    code = spec.rule_code("CODE")
    assert code not in codes(base)
    bad = "#" * (spec.max_len or 3)
    assert code in codes(set_field(base, spec.attr, bad), Level.STAGE)


@pytest.mark.parametrize("spec", [s for s in HEAD_SPECS if s.values], ids=lambda s: s.rule_code("VAL"))
def test_value_set_rules(spec: Any) -> None:
    set_field, base = _target(spec.block)
    code = spec.rule_code("VAL")
    assert code not in codes(base)
    assert code in codes(set_field(base, spec.attr, "#"), Level.STAGE)


def _findings_on(doc: DeclarationDocument, path: str) -> list[Finding]:
    return [f for f in check(doc, Level.STAGE, today=TODAY) if f.field_path == path]


@pytest.mark.parametrize("alias", ["RMB", "CNH", "cny"])
def test_a_common_currency_alias_gets_a_hint_of_its_iso_code(alias: str) -> None:
    [finding] = _findings_on(line(export(), 0, trade_curr=alias), "goods[0].trade_curr")
    assert finding.rule_code == "DEC-LIST-CODE-TradeCurr"
    assert "CNY" in finding.message_zh and "人民币" in finding.message_zh
    assert "did you mean CNY" in finding.message_en


@pytest.mark.parametrize(
    ("attr", "table"), [("trade_curr", "currency"), ("origin_country", "country")], ids=str
)
def test_a_legacy_numeric_code_is_an_error_that_names_the_iso_code(attr: str, table: str) -> None:
    """金关二期 writes currency 142 and country 142 (reference §4); a DecMessage carries ISO alpha codes."""
    from guanwu.customs.codes import load_default_tables

    iso = load_default_tables()[table].from_legacy("142")
    assert iso is not None
    [finding] = _findings_on(line(export(), 0, **{attr: "142"}), f"goods[0].{attr}")
    assert finding.blocks_declare
    assert iso.code in finding.message_zh and iso.name_zh in finding.message_zh
    assert iso.code in finding.message_en and "legacy" in finding.message_en


def test_an_unknown_code_without_a_likely_meaning_stays_a_plain_warning() -> None:
    [finding] = _findings_on(line(export(), 0, trade_curr="QQQ"), "goods[0].trade_curr")
    assert finding.severity is Severity.WARNING and "did you mean" not in finding.message_en


def test_a_sub_office_of_a_known_district_is_accepted() -> None:
    assert "DEC-HEAD-CODE-IEPort" not in codes(head(import_(), ie_port="5349"))
    assert "DEC-HEAD-CODE-IEPort" in codes(head(import_(), ie_port="1149"))


def test_other_blocks_are_checked_with_their_paths() -> None:
    doc = fx.fifty_line_export()
    boxes = [doc.containers[0].model_copy(update={"container_id": None}), *doc.containers[1:]]
    findings = check(doc.model_copy(update={"containers": boxes}), Level.STAGE, today=TODAY)
    assert any(
        f.rule_code == "DEC-CONT-REQ-ContainerId" and f.field_path == "containers[0].container_id"
        for f in findings
    )


# ---- signs: quantities, prices, totals and weights ----------------------------------------------------

# What outsiders saw released (issue 9): each value must block 申报 with a finding on the field itself.
RELEASED_WITH_BAD_NUMBERS: dict[str, tuple[Callable[[], DeclarationDocument], str]] = {
    "g_qty -5, decl_total -12.5": (
        lambda: line(export(), 0, g_qty=Decimal(-5), decl_price=Decimal("2.5"), decl_total=Decimal("-12.5")),
        "goods[0].g_qty",
    ),
    "decl_total -12.5": (
        lambda: line(export(), 0, g_qty=Decimal(-5), decl_price=Decimal("2.5"), decl_total=Decimal("-12.5")),
        "goods[0].decl_total",
    ),
    "decl_price -1": (lambda: line(export(), 0, decl_price=Decimal(-1)), "goods[0].decl_price"),
    "net_wt -5": (lambda: head(export(), net_wt=Decimal(-5)), "head.net_wt"),
    "g_qty 0": (lambda: line(export(), 0, g_qty=Decimal(0), decl_total=Decimal(0)), "goods[0].g_qty"),
    "first_qty -3": (lambda: line(export(), 0, first_qty=Decimal(-3)), "goods[0].first_qty"),
}


@pytest.mark.parametrize("case", sorted(RELEASED_WITH_BAD_NUMBERS))
def test_bad_numbers_block_declare_on_their_field(case: str) -> None:
    build, path = RELEASED_WITH_BAD_NUMBERS[case]
    flagged = [f for f in blocking(check(build(), Level.DECLARE, today=TODAY)) if f.field_path == path]
    assert flagged, f"nothing blocks {case}"
    assert all(f.message_zh and f.message_en for f in flagged)


SIGNED_SPECS = [s for s in field_specs() if s.sign]


def _set_first_row(doc: DeclarationDocument, block: str, attr: str, value: Any) -> DeclarationDocument:
    if block == "head":
        return head(doc, **{attr: value})
    if block == "goods":
        return line(doc, 0, **{attr: value})
    if block == "containers":
        rows = [doc.containers[0].model_copy(update={attr: value}), *doc.containers[1:]]
        return doc.model_copy(update={"containers": rows})
    assert block.startswith("transit.") and doc.transit is not None
    name = block.removeprefix("transit.")
    rows = getattr(doc.transit, name)
    rows = [rows[0].model_copy(update={attr: value}), *rows[1:]]
    return doc.model_copy(update={"transit": doc.transit.model_copy(update={name: rows})})


def _base_for(block: str) -> DeclarationDocument:
    return {"head": import_, "goods": export, "containers": fx.fifty_line_export}.get(
        block, fx.transit_northern
    )()


@pytest.mark.parametrize("spec", SIGNED_SPECS, ids=lambda s: s.rule_code("NEG"))
def test_a_negative_number_is_an_error_even_in_a_draft(spec: Any) -> None:
    base = _base_for(spec.block)
    code = spec.rule_code("NEG")
    assert code not in codes(base)
    negative = _set_first_row(base, spec.block, spec.attr, -1)
    found = [f for f in check(negative, Level.STAGE, today=TODAY) if f.rule_code == code]
    assert [f.severity for f in found] == [Severity.ERROR]
    assert found[0].field_path.endswith(f".{spec.attr}") and "-1" in found[0].message_en
    assert spec.rule_code("POS") not in codes(negative)  # one finding for one wrong value


@pytest.mark.parametrize("spec", SIGNED_SPECS, ids=lambda s: f"{s.block}.{s.code}")
def test_zero_blocks_declare_only_where_the_reference_says_greater_than_zero(spec: Any) -> None:
    zero = _set_first_row(_base_for(spec.block), spec.block, spec.attr, Decimal(0))
    code = spec.rule_code("POS")
    assert code not in codes(zero, Level.STAGE)  # a draft may hold 0 while it is being filled in
    assert (code in codes(zero, Level.DECLARE)) == (spec.sign == ">0")
    assert spec.rule_code("NEG") not in codes(zero)


def test_the_reference_floors_are_in_the_table() -> None:
    """§1.6: GrossWet > 0 and DeclTotal > 0; GQty and DeclPrice follow (DeclTotal ≈ GQty × DeclPrice)."""
    floors = {(s.block, s.code): s.sign for s in SIGNED_SPECS}
    for field in (("head", "GrossWet"), ("goods", "DeclTotal"), ("goods", "GQty"), ("goods", "DeclPrice")):
        assert floors[field] == ">0"
    for field in (("head", "NetWt"), ("head", "PackNo"), ("goods", "FirstQty"), ("goods", "SecondQty")):
        assert floors[field] == ">=0"


# What the declaration service's property test (hostile_declarations) found passing the 申报-level checks:
# built as the API builds them, on the southern transit fixture, whose transit block has no
# TrnContaGoodsList yet (the edit adds the row with only that field).
FOUND_BY_THE_PROPERTY: dict[str, tuple[tuple[str | int, ...], str, str]] = {
    "conta_goods_count -3": (
        ("transit", "conta_goods", 0, "conta_goods_count"),
        "-3",
        "DEC-TRNCONTAGOODS-NEG-ContaGoodsCount",
    ),
    "conta_goods_weight -0.5": (
        ("transit", "conta_goods", 0, "conta_goods_weight"),
        "-0.5",
        "DEC-TRNCONTAGOODS-NEG-ContaGoodsWeight",
    ),
    "trn_list ie_date 20240230": (("transit", "trn_list", "ie_date"), "20240230", "DEC-HEAD-DATE-Format"),
}


def _edited(
    base: DeclarationDocument, path: tuple[str | int, ...], value: Any
) -> tuple[DeclarationDocument, str]:
    """`base` with the field at `path` set as a client would send it (JSON), and the finding path of it."""
    edit = HostileEdit(leaf_at(path), value, "hostile", Expect.FLAG)
    return DeclarationDocument.model_validate(edit.apply(base.model_dump(mode="json"))), edit.field_path


@pytest.mark.parametrize("case", sorted(FOUND_BY_THE_PROPERTY))
def test_transit_values_the_property_found_block_declare(case: str) -> None:
    path, value, code = FOUND_BY_THE_PROPERTY[case]
    doc, field_path = _edited(fx.transit_southern(), path, value)
    found = [f for f in blocking(check(doc, Level.DECLARE, today=TODAY)) if f.field_path == field_path]
    assert [f.rule_code for f in found] == [code]
    assert value in found[0].message_zh and value in found[0].message_en
    assert found[0].message_zh.startswith("转") and found[0].message_en.startswith("Transit")


# Every number and every date of the model, set as the property sets them, on a fixture that has every
# block the rules read (head, goods, containers and all four transit blocks): a negative number or a date
# that is not in the calendar is an error on that field. A field added to the model without a floor in
# fields.csv or a place in the date rule fails here.
NUMBER_LEAVES = [leaf for leaf in LEAVES if leaf.annotation is Decimal]
DATE_LEAVES = [leaf for leaf in LEAVES if "yyyyMMdd" in leaf.description]


def _leaf_id(leaf: Leaf) -> str:
    return HostileEdit(leaf, None, "", Expect.FLAG).field_path


def test_the_walk_sees_the_transit_numbers_and_dates() -> None:
    paths = {_leaf_id(leaf) for leaf in NUMBER_LEAVES + DATE_LEAVES}
    assert {
        "transit.containers[0].trans_weight",
        "transit.conta_goods[0].conta_goods_count",
        "transit.conta_goods[0].conta_goods_weight",
        "transit.head.valid_time",
        "transit.trn_list.ie_date",
    } <= paths


@pytest.mark.parametrize("leaf", NUMBER_LEAVES, ids=_leaf_id)
def test_every_negative_number_of_the_model_is_an_error(leaf: Leaf) -> None:
    base = fx.transit_northern()
    doc, path = _edited(base, leaf.path, "-1")
    assert not [f for f in blocking(check(base, Level.DECLARE, today=TODAY)) if f.field_path == path]
    assert [f for f in blocking(check(doc, Level.DECLARE, today=TODAY)) if f.field_path == path]


@pytest.mark.parametrize("leaf", DATE_LEAVES, ids=_leaf_id)
@pytest.mark.parametrize("value", ["20240230", "20231301", "20230000", "2023023a"])
def test_every_impossible_date_of_the_model_is_an_error(leaf: Leaf, value: str) -> None:
    doc, path = _edited(fx.transit_northern(), leaf.path, value)
    found = [f for f in check(doc, Level.STAGE, today=TODAY) if f.field_path == path]
    assert [(f.rule_code, f.severity) for f in found] == [("DEC-HEAD-DATE-Format", Severity.ERROR)]
    assert value in found[0].message_zh and value in found[0].message_en


def test_a_negative_fee_amount_is_an_error() -> None:
    doc = head(export(), fee_mark="3", fee_curr="USD", fee_rate=Decimal(-100))
    found = [f for f in check(doc, Level.STAGE, today=TODAY) if f.field_path == "head.fee_rate"]
    assert [f.rule_code for f in found] == ["DEC-HEAD-FEE-Consistent"] and found[0].blocks_declare


# ---- cross-field rules: a passing base and a failing mutation each -------------------------------------


def _transit_without_manifest() -> DeclarationDocument:
    doc = fx.transit_southern()
    assert doc.transit is not None
    transit = doc.transit.model_copy(update={"head": doc.transit.head.model_copy(update={"trans_no": None})})
    return doc.model_copy(update={"transit": transit})


def _southern_in_hainan() -> DeclarationDocument:
    return head(fx.transit_southern(), custom_master="6401")


def _renumbered() -> DeclarationDocument:
    return line(export(), 1, g_no=5)


def _containers_pointing_nowhere() -> DeclarationDocument:
    doc = fx.fifty_line_export()
    boxes = [doc.containers[0].model_copy(update={"goods_no": "1,51"}), *doc.containers[1:]]
    return doc.model_copy(update={"containers": boxes})


def _bad_container_number() -> DeclarationDocument:
    doc = fx.fifty_line_export()
    number = doc.containers[0].container_id or ""
    wrong = number[:10] + str((int(number[10]) + 1) % 10)
    boxes = [doc.containers[0].model_copy(update={"container_id": wrong}), *doc.containers[1:]]
    return doc.model_copy(update={"containers": boxes})


def _transit_block_on_plain_declaration() -> DeclarationDocument:
    return export().model_copy(update={"transit": TransitBlock(head=TrnHead(trans_no="1234567890123"))})


CROSS_CASES: dict[str, tuple[Callable[[], DeclarationDocument], Callable[[], DeclarationDocument]]] = {
    "DEC-HEAD-WT-NetGross": (export, fx.invalid_net_over_gross),
    "DEC-HEAD-FEE-Consistent": (
        export,
        lambda: head(export(), fee_mark="2", fee_curr=None, fee_rate=Decimal(100)),
    ),
    "DEC-HEAD-FEE-TransMode": (
        import_,
        lambda: head(import_(), trans_mode="3", fee_mark=None, fee_curr=None, fee_rate=None),
    ),
    "DEC-HEAD-DATE-Format": (export, lambda: head(export(), ie_date="20240231")),
    "DEC-HEAD-DATE-Future": (import_, lambda: head(import_(), ie_date="20240920")),
    "DEC-HEAD-DATE-Late": (
        lambda: head(import_(), ie_date="20240901"),
        lambda: head(import_(), ie_date="20240801"),
    ),
    "DEC-DOC-KIND": (export, lambda: export().model_copy(update={"kind": DocumentKind.RECORD_LIST})),
    "DEC-DOC-RecordListTradeMode": (
        fx.export_record_list,
        lambda: head(fx.export_record_list(), trade_mode="0110"),
    ),
    "DEC-LIST-GNO-SEQ": (export, _renumbered),
    "DEC-LIST-MAX": (
        export,
        lambda: DeclarationDocument.model_construct(
            **{**dict(fx.fifty_line_export()), "goods": [*fx.fifty_line_export().goods] * 2}
        ),
    ),
    "DEC-LIST-MIN": (export, lambda: export().model_copy(update={"goods": []})),
    "DEC-LIST-TOTAL": (export, lambda: line(export(), 0, decl_total=Decimal("999999"))),
    "DEC-LIST-FMT-CodeTS": (export, lambda: line(export(), 0, code_ts="84713000")),
    "DEC-LIST-PAIR-Second": (export, lambda: line(export(), 0, second_qty=Decimal(1), second_unit=None)),
    "DEC-LIST-FMT-DistrictCode": (export, lambda: line(export(), 0, district_code="4403A")),
    "DEC-LIST-EXP-Dest": (export, lambda: line(export(), 0, destination_country=None)),
    "DEC-LIST-EXP-DestCHN": (export, lambda: line(export(), 0, destination_country="CHN")),
    "DEC-HEAD-FMT-USCC": (export, lambda: head(export(), agent_code_scc="91440300MA5DC0QX0X")),
    "DEC-HEAD-FMT-CustomsCode": (export, lambda: head(export(), agent_code="44031a0001")),
    "DEC-HEAD-FMT-OwnerCode": (export, lambda: head(export(), owner_code="1234567")),
    "DEC-HEAD-FMT-CopCode": (
        lambda: head(export(), cop_code="551385082", cop_code_scc=None),
        lambda: head(export(), cop_code="551385083", cop_code_scc=None),
    ),
    "DEC-HEAD-XF-CopCodeScc": (
        lambda: head(export(), cop_code="551385082", cop_code_scc="91110108551385082Q"),
        lambda: head(export(), cop_code="551385083", cop_code_scc="91110108551385082Q"),
    ),
    "DEC-HEAD-FMT-EntryId": (
        lambda: head(export(), entry_id="530120240000000001"),
        lambda: head(export(), entry_id="530120241000000001"),
    ),
    "DEC-HEAD-FMT-SeqNo": (
        lambda: head(export(), seq_no="E20240000000000001"),
        lambda: head(export(), seq_no="X20240000000000001"),
    ),
    "DEC-TRN-Block": (fx.transit_southern, _transit_block_on_plain_declaration),
    "DEC-TRN-EdiId": (fx.transit_northern, lambda: head(fx.transit_northern(), edi_id="1")),
    "DEC-TRN-SouthDistrict": (fx.transit_southern, _southern_in_hainan),
    "DEC-TRN-SouthManifest": (fx.transit_southern, _transit_without_manifest),
    "DEC-TRN-H2000Name": (
        lambda: head(export(), edi_id="6", traf_name="◎粤Z1234港"),
        lambda: head(export(), edi_id="6", traf_name="粤Z1234港"),
    ),
    "DEC-CONT-GoodsRef": (fx.fifty_line_export, _containers_pointing_nowhere),
    "DEC-CONT-FMT-Number": (fx.fifty_line_export, _bad_container_number),
}


@pytest.mark.parametrize("code", sorted(CROSS_CASES))
def test_cross_field_rule_passes_and_fails(code: str) -> None:
    passing, failing = CROSS_CASES[code]
    assert code not in codes(passing())
    assert code in codes(failing())


def test_every_rule_is_tested() -> None:
    generated = {s.rule_code(k) for s in field_specs() for k in ("REQ", "LEN", "CODE", "VAL", "NEG", "POS")}
    hand_written = {m.code for m in RULES} - generated
    assert hand_written == set(CROSS_CASES) | {"DEC-LIST-UNIT-Legal"}  # that one: see the tariff test below


def test_total_tolerance_allows_price_rounding() -> None:
    doc = line(export(), 0, g_qty=Decimal(3), decl_price=Decimal("0.3333"), decl_total=Decimal("1.00"))
    assert "DEC-LIST-TOTAL" not in codes(doc)


def test_legal_units_are_checked_only_against_a_loaded_tariff(tmp_path: Path) -> None:
    from guanwu.customs.codes import load_default_tables, with_tariff

    doc = export()
    hs = doc.goods[0].code_ts
    tariff = tmp_path / "tariff.csv"
    tariff.write_text(f"code,name_zh,first_unit,second_unit\n{hs},x,999,\n", encoding="utf-8")
    assert "DEC-LIST-UNIT-Legal" not in codes(doc)
    tables = with_tariff(load_default_tables(), tariff)
    found = {f.rule_code for f in check(doc, Level.DECLARE, tables, today=TODAY)}
    assert "DEC-LIST-UNIT-Legal" in found


# ---- docs ---------------------------------------------------------------------------------------------


def test_docs_rules_md_is_up_to_date() -> None:
    committed = (REPO / "docs" / "rules.md").read_text(encoding="utf-8")
    assert committed == render(), "docs/rules.md is stale: run `uv run python -m guanwu.customs.rules.docs`"


def test_docs_list_every_rule() -> None:
    text = render()
    assert all(f"`{m.code}`" in text for m in RULES)
