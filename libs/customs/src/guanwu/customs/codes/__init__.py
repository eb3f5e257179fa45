"""Customs code tables (关区, 监管方式, 币制, 国别 ...) behind one loader.

Every table is replaceable by the official parameter files (see registry.py).
"""

from guanwu.customs.codes.hs import hs_format_problem, is_hs_format, legal_units, load_tariff, with_tariff
from guanwu.customs.codes.io import CodeTableImportError
from guanwu.customs.codes.model import CodeEntry, CodeTable, Likely, Suggestion
from guanwu.customs.codes.registry import (
    CodeTables,
    Table,
    from_json,
    load_default_tables,
    override_from_csv,
)

__all__ = [
    "CodeEntry",
    "CodeTable",
    "CodeTableImportError",
    "CodeTables",
    "Likely",
    "Suggestion",
    "Table",
    "from_json",
    "hs_format_problem",
    "is_hs_format",
    "legal_units",
    "load_default_tables",
    "load_tariff",
    "override_from_csv",
    "with_tariff",
]
