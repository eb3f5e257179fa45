"""The goods table (line 9 of the form): columns, their widths and what each cell of a line prints."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from guanwu.contracts.declaration import DecList
from guanwu.customs.codes import Table
from guanwu.customs.printing.values import Names, amount, join


@dataclass(frozen=True, slots=True)
class Column:
    label: str
    weight: float
    attrs: tuple[str, ...]
    """The DecList attributes the cell prints: a mark on `goods[i].<attr>` colours the cell of line i."""
    cell: Callable[[DecList, Names], str]
    align: str = "left"


def _number(line: DecList, names: Names) -> str:
    return join(str(line.g_no), f"备案序号{line.contr_item}" if line.contr_item else None, sep="\n")


def _code(line: DecList, names: Names) -> str:
    return join(line.code_ts, join(line.ciq_code, line.ciq_name), sep="\n")


def _name(line: DecList, names: Names) -> str:
    return join(line.g_name, line.g_model, line.decl_goods_ename, sep="\n")


def _quantities(line: DecList, names: Names) -> str:
    """法定第一数量 / 法定第二数量 / 成交数量, each with its unit (reference §7)."""
    return join(
        names.quantity(line.first_qty, line.first_unit),
        names.quantity(line.second_qty, line.second_unit),
        names.quantity(line.g_qty, line.g_unit),
        sep="\n",
    )


def _prices(line: DecList, names: Names) -> str:
    currency = f"({line.trade_curr}) {names.name(Table.CURRENCY, line.trade_curr)}" if line.trade_curr else ""
    return join(amount(line.decl_price), amount(line.decl_total), currency.strip(), sep="\n")


def _origin(line: DecList, names: Names) -> str:
    return names.name_then_code(Table.COUNTRY, line.origin_country)


def _destination(line: DecList, names: Names) -> str:
    return names.name_then_code(Table.COUNTRY, line.destination_country)


def _district(line: DecList, names: Names) -> str:
    return join(f"({line.district_code})" if line.district_code else None, line.dest_code, sep="\n")


def _duty(line: DecList, names: Names) -> str:
    return names.name_then_code(Table.DUTY_MODE, line.duty_mode)


def columns(export: bool) -> tuple[Column, ...]:
    """The nine columns; an import says 境内目的地 where an export says 境内货源地."""
    return (
        Column("项号", 0.04, ("g_no", "contr_item"), _number, "center"),
        Column("商品编号", 0.085, ("code_ts", "ciq_code", "ciq_name"), _code),
        Column("商品名称及规格型号", 0.295, ("g_name", "g_model", "decl_goods_ename", "goods_limits"), _name),
        Column(
            "数量及单位",
            0.12,
            ("first_qty", "first_unit", "second_qty", "second_unit", "g_qty", "g_unit"),
            _quantities,
            "right",
        ),
        Column("单价/总价/币制", 0.11, ("decl_price", "decl_total", "trade_curr"), _prices, "right"),
        Column("原产国(地区)", 0.085, ("origin_country",), _origin, "center"),
        Column("最终目的国(地区)", 0.085, ("destination_country",), _destination, "center"),
        Column(
            "境内货源地" if export else "境内目的地",
            0.09,
            ("district_code", "dest_code"),
            _district,
            "center",
        ),
        Column("征免", 0.09, ("duty_mode",), _duty, "center"),
    )


def printed_attrs() -> frozenset[str]:
    return frozenset(attr for column in columns(True) for attr in column.attrs)
