"""HS codes (商品编号): the 10-digit format check, always available, and a loader for a tariff file.

10 digits = 8-digit 税则号 + 2-digit 附加编码 (customs-reference §3). The bundled table is a sample; an
enterprise loads its tariff (CSV with code,name_zh[,first_unit,second_unit]) with `load_tariff`.
"""

from __future__ import annotations

from pathlib import Path

from guanwu.customs.codes.io import read_csv
from guanwu.customs.codes.model import CodeTable
from guanwu.customs.codes.registry import CodeTables, Table

TRUSTED = frozenset({"tariff", "official", "enterprise"})
"""Only a loaded tariff's units are trusted: the bundled sample's 法定单位 are from memory."""


def hs_format_problem(code: str) -> tuple[str, str] | None:
    """None when `code` is a well-formed 10-digit HS code, else (message_zh, message_en)."""
    if len(code) != 10:
        return (f"商品编号应为10位数字，实际{len(code)}位", f"HS code must have 10 digits, got {len(code)}")
    if not code.isascii() or not code.isdigit():
        return ("商品编号只能包含数字", "HS code must contain digits only")
    return None


def is_hs_format(code: str) -> bool:
    return hs_format_problem(code) is None


def load_tariff(path: Path | str) -> CodeTable:
    entries, notes = read_csv(Path(path), default_confidence="tariff")
    return CodeTable.of(Table.HS, entries, notes)


def with_tariff(tables: CodeTables, path: Path | str) -> CodeTables:
    """`tables` with the HS sample replaced by the tariff in `path`."""
    tariff = load_tariff(path)
    return tables.with_entries(Table.HS, list(tariff), replace=True, provenance=tariff.provenance)


def legal_units(table: CodeTable, code: str) -> tuple[str, str] | None:
    """(first, second) 法定计量单位 of `code` when the tariff knows it; second may be ""."""
    entry = table.get(code)
    if entry is None or entry.confidence not in TRUSTED:
        return None
    return entry.extra.get("first_unit", ""), entry.extra.get("second_unit", "")
