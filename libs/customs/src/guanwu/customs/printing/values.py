"""How a printed form writes a value: code + Chinese name from the code tables, amounts without trailing
zeros, dates as the customs write them (yyyyMMdd)."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from guanwu.customs.codes import CodeTables, Table, load_default_tables


def amount(value: Decimal | int | None) -> str:
    """12.50000 → "12.5", 1E+3 → "1000"; None → ""."""
    if value is None:
        return ""
    if isinstance(value, int):
        return str(value)
    text = format(value.normalize(), "f")
    return text


def join(*parts: str | None, sep: str = " ") -> str:
    """The non-empty parts joined."""
    return sep.join(p for p in parts if p)


@dataclass(frozen=True)
class Names:
    """Code → name look-ups for one rendering, over the tables the caller gives (enterprise overrides)."""

    tables: CodeTables

    @classmethod
    def default(cls) -> Names:
        return cls(load_default_tables())

    def name(self, table: Table, code: str | None) -> str:
        if not code:
            return ""
        return self.tables[table].name_of(code) if table in self.tables else ""

    def coded(self, table: Table, code: str | None) -> str:
        """ "0110 一般贸易"; an unknown code prints alone (a form never hides what was declared)."""
        return join(code, self.name(table, code))

    def name_then_code(self, table: Table, code: str | None) -> str:
        """ "美国\\n(USA)": the goods table's way (reference §7: 名称 over (代码))."""
        if not code:
            return ""
        name = self.name(table, code)
        return f"{name}\n({code})" if name else code

    def quantity(self, qty: Decimal | None, unit: str | None) -> str:
        """ "1044千克": the quantity with its unit's name (the code when the table does not know it)."""
        if qty is None and not unit:
            return ""
        return amount(qty) + (self.name(Table.UNIT, unit) or (f" ({unit})" if unit else ""))

    def fee(self, mark: str | None, curr: str | None, rate: Decimal | None) -> str:
        """运费/保费/杂费 as 币制/数值/标记; a rate (mark 1) has no currency, printed 000 (reference §7)."""
        if not mark and rate is None:
            return ""
        currency = "000" if mark == "1" else (curr or "")
        return f"{currency}/{amount(rate)}/{mark or ''}"
