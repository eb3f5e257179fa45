"""Code tables: bundled data is well-formed and traceable; enterprises override it without code changes."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from guanwu.customs.codes import (
    CodeTableImportError,
    Table,
    hs_format_problem,
    legal_units,
    load_default_tables,
    override_from_csv,
    with_tariff,
)

CODE_SHAPES = {
    Table.CUSTOMS_DISTRICT: r"\d{4}",
    Table.TRADE_MODE: r"\d{4}",
    Table.LEVY_KIND: r"\d{3}",
    Table.TRANSPORT_MODE: r"[0-9A-Z]",
    Table.TRANSACTION_MODE: r"[1-7]",
    Table.WRAP_TYPE: r"\d{2}",
    Table.DUTY_MODE: r"[1-9]",
    Table.UNIT: r"\d{3}",
    Table.CURRENCY: r"[A-Z]{3}",
    Table.COUNTRY: r"[A-Z]{3}",
    Table.LICENSE_DOCUMENT: r"[0-9A-Za-z]",
    Table.ATTACHED_DOCUMENT: r"\d{8}",
    Table.CONTAINER_TYPE: r"\d{2}",
    Table.CONTAINER_ISO_TYPE: r"[0-9A-Z]{4}",
    Table.SOUTHERN_MODE_DISTRICT: r"\d{2}00",
    Table.RECORD_LIST_TRADE_MODE: r"\d{4}",
    Table.HS: r"\d{10}",
}
CONFIDENCES = {"official", "2src", "src", "infer", "mem", "unsure"}


def test_every_table_is_bundled_with_provenance_and_well_formed_codes() -> None:
    tables = load_default_tables()
    assert set(tables) == {t.value for t in Table}
    for name, shape in CODE_SHAPES.items():
        table = tables[name]
        assert len(table) > 0
        assert any(line.startswith("source:") for line in table.provenance), name
        for entry in table:
            assert re.fullmatch(shape, entry.code), (name, entry.code)
            assert entry.name_zh, (name, entry.code)
            assert entry.confidence in CONFIDENCES, (name, entry.code, entry.confidence)


def test_reference_facts_are_in_the_tables() -> None:
    tables = load_default_tables()
    assert tables[Table.TRADE_MODE].name_of("0110") == "一般贸易"
    assert tables[Table.UNIT].name_of("035") == "千克"
    assert tables[Table.TRANSACTION_MODE].name_of("3") == "FOB"
    assert tables[Table.CUSTOMS_DISTRICT].name_of("5301") == "皇岗海关"
    for code in ("ZZZ", "ZUN", "CAI", "CEU"):
        assert code in tables[Table.COUNTRY]


def test_legacy_numeric_codes_map_both_ways() -> None:
    tables = load_default_tables()
    currency, country = tables[Table.CURRENCY], tables[Table.COUNTRY]
    assert currency.to_legacy("USD") == "502"
    entry = currency.from_legacy("142")
    assert entry is not None and entry.code == "CNY"
    assert country.to_legacy("CHN") == "142"
    assert country.to_legacy("ZZZ") is None
    for table in (currency, country):
        legacies = [e.legacy for e in table if e.legacy]
        assert len(legacies) == len(set(legacies)), "a legacy code must map back to one ISO code"


def test_southern_mode_districts_are_guangdong_only() -> None:
    southern = load_default_tables()[Table.SOUTHERN_MODE_DISTRICT]
    assert {"5100", "5200", "5300", "5700", "6000", "6700", "6800"} <= southern.codes()
    assert "6400" not in southern  # 海口 is Hainan


def test_an_enterprise_extends_a_table_from_an_official_csv(tmp_path: Path) -> None:
    official = tmp_path / "trade_mode.csv"
    official.write_text("\ufeff代码,名称\n0110,一般贸易(官方)\n9999,测试方式\n", encoding="utf-8")
    tables = override_from_csv(official)
    trade = tables[Table.TRADE_MODE]
    assert trade.name_of("9999") == "测试方式"
    assert trade.name_of("0110") == "一般贸易(官方)"
    assert "0214" in trade  # extend keeps the rest
    assert trade.get("9999") is not None and trade.get("9999").confidence == "enterprise"  # type: ignore[union-attr]
    assert "9999" not in load_default_tables()[Table.TRADE_MODE]  # the bundled registry is untouched


def test_replace_swaps_the_whole_table(tmp_path: Path) -> None:
    official = tmp_path / "unit.csv"
    official.write_text("code,name_zh\n035,千克\n", encoding="utf-8")
    tables = load_default_tables().override_from_csv(official, replace=True)
    assert tables[Table.UNIT].codes() == {"035"}


def test_json_parameter_files_with_official_keys_load_from_a_directory(tmp_path: Path) -> None:
    rows = {"data": [{"codeValue": "5399", "codeName": "测试现场"}]}
    (tmp_path / "cusCustoms.json").write_text(json.dumps(rows, ensure_ascii=False), encoding="utf-8")
    tables = load_default_tables(overrides_dir=tmp_path)
    assert tables[Table.CUSTOMS_DISTRICT].name_of("5399") == "测试现场"


@pytest.mark.parametrize(
    ("filename", "content", "needle"),
    [
        ("trade_mode.csv", "foo,bar\n1,2\n", "missing a code or a name column"),
        ("trade_mode.csv", "code,name\n,空\n", "row 1 has an empty code"),
        ("mystery.csv", "code,name\n1,x\n", "cannot tell which table"),
        ("unit.json", "{not json", "not valid JSON"),
    ],
)
def test_bad_parameter_files_are_refused_in_both_languages(
    tmp_path: Path, filename: str, content: str, needle: str
) -> None:
    path = tmp_path / filename
    path.write_text(content, encoding="utf-8")
    with pytest.raises(CodeTableImportError) as info:
        load_default_tables(overrides_dir=tmp_path)
    assert needle in str(info.value)
    assert re.search(r"[\u4e00-\u9fff]", str(info.value))


def test_hs_format_is_always_checked() -> None:
    assert hs_format_problem("9001100000") is None
    assert hs_format_problem("90011000") is not None
    assert hs_format_problem("90011000ab") is not None
    assert hs_format_problem("９００１１０００００") is not None  # full-width digits are not ASCII digits


def test_a_tariff_file_replaces_the_sample_and_gives_legal_units(tmp_path: Path) -> None:
    tariff = tmp_path / "tariff.csv"
    tariff.write_text(
        "code,name_zh,first_unit,second_unit\n8471300000,笔记本电脑,001,035\n", encoding="utf-8"
    )
    tables = with_tariff(load_default_tables(), tariff)
    assert tables[Table.HS].codes() == {"8471300000"}
    assert legal_units(tables[Table.HS], "8471300000") == ("001", "035")
    assert legal_units(tables[Table.HS], "9001100000") is None
