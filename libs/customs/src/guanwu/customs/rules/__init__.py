"""Logic checks (逻辑校验): `check(document, level, tables)` returns every finding of the rule set.

Rules are small functions with metadata (rule code, titles, level, severity) or rows of data/fields.csv;
docs/rules.md is generated from `RULES` (python -m guanwu.customs.rules.docs).
"""

from __future__ import annotations

from datetime import date

from guanwu.contracts.declaration import DeclarationDocument
from guanwu.customs.codes import CodeTables, load_default_tables
from guanwu.customs.rules import fields, goods, head, parties, transit
from guanwu.customs.rules.finding import Finding, Level, Severity
from guanwu.customs.rules.registry import Context, RuleMeta, RuleSet


def build_rules() -> RuleSet:
    rules = RuleSet()
    for module in (fields, parties, head, goods, transit):
        module.register(rules)
    return rules


RULES = build_rules()


def check(
    document: DeclarationDocument,
    level: Level,
    tables: CodeTables | None = None,
    *,
    today: date | None = None,
) -> list[Finding]:
    """Every finding for `document` at `level` (暂存 or 申报). Errors block 申报; warnings go to the reviewer."""
    return RULES.check(document, level, tables if tables is not None else load_default_tables(), today)


def blocking(findings: list[Finding]) -> list[Finding]:
    return [f for f in findings if f.severity is Severity.ERROR]


__all__ = ["RULES", "Context", "Finding", "Level", "RuleMeta", "RuleSet", "Severity", "blocking", "check"]
