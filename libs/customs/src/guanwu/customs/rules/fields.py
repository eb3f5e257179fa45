"""Required / length / code-table / value / sign rules, generated from one data table (data/fields.csv).

One runner walks every block once per check with plans precomputed per level, instead of one function per
field: a 50-line declaration has ~1,000 field checks and this keeps them cheap.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from functools import cache, partial
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from guanwu.contracts.declaration import (
    Container,
    DecHead,
    DecList,
    EdocRealation,
    LicenseDocu,
    TrnContaGoodsList,
    TrnContainer,
    TrnHead,
    wire_fields,
)
from guanwu.customs.codes.io import split_provenance
from guanwu.customs.codes.model import CodeTable, Likely
from guanwu.customs.codes.registry import Table
from guanwu.customs.rules.finding import Finding, Level, Severity
from guanwu.customs.rules.registry import Context, RuleMeta, RuleSet

DATA = Path(__file__).parent / "data" / "fields.csv"

# block name → (model, rule-code prefix, Chinese name of the block)
BLOCKS: dict[str, tuple[type[BaseModel], str, str]] = {
    "head": (DecHead, "DEC-HEAD", "表头"),
    "goods": (DecList, "DEC-LIST", "表体"),
    "containers": (Container, "DEC-CONT", "集装箱"),
    "licenses": (LicenseDocu, "DEC-LICENSE", "随附单证"),
    "edocs": (EdocRealation, "DEC-EDOC", "随附单据"),
    "transit.head": (TrnHead, "DEC-TRNHEAD", "转关单表头"),
    "transit.containers": (TrnContainer, "DEC-TRNCONT", "转关集装箱"),
    "transit.conta_goods": (TrnContaGoodsList, "DEC-TRNCONTAGOODS", "转关集装箱商品"),
}

TABLE_ZH: dict[str, str] = {
    Table.CUSTOMS_DISTRICT: "关区代码",
    Table.TRADE_MODE: "监管方式",
    Table.LEVY_KIND: "征免性质",
    Table.TRANSPORT_MODE: "运输方式",
    Table.TRANSACTION_MODE: "成交方式",
    Table.WRAP_TYPE: "包装种类",
    Table.DUTY_MODE: "征免方式",
    Table.UNIT: "计量单位",
    Table.CURRENCY: "币制",
    Table.COUNTRY: "国别(地区)",
    Table.LICENSE_DOCUMENT: "随附单证代码",
    Table.ATTACHED_DOCUMENT: "随附单据类别",
    Table.CONTAINER_TYPE: "集装箱规格",
    Table.CONTAINER_ISO_TYPE: "集装箱尺寸类型",
}


@dataclass(frozen=True, slots=True)
class FieldSpec:
    block: str
    code: str
    attr: str
    label_zh: str
    label_en: str
    stage_required: bool
    declare_required: bool
    max_len: int | None
    table: str
    table_severity: Severity
    values: tuple[str, ...]
    ie: str  # "" both, "I" imports only, "E" exports only
    sign: str  # "" any number, ">=0" never negative, ">0" also not 0 to declare

    def rule_code(self, kind: str) -> str:
        return f"{BLOCKS[self.block][1]}-{kind}-{self.code}"


SIGNS = ("", ">=0", ">0")
NEGATIVE_WHY = (
    "Quantities, prices, amounts and weights are magnitudes: a return is declared by its trade mode "
    "(e.g. 4561 退运货物), never by a negative number. Checked from 暂存 on."
)
POSITIVE_WHY = (
    "GrossWet > 0 and DeclTotal > 0 (reference §1.6); GQty and DeclPrice follow, since DeclTotal ≈ "
    "GQty × DeclPrice. A draft may hold 0 while it is being filled in."
)


def _attr_for(block: str, code: str) -> str:
    model = BLOCKS[block][0]
    for name, wire in wire_fields(model):
        if wire == code:
            return name
    raise KeyError(f"fields.csv: {model.__name__} has no field with wire code {code}")


@cache
def field_specs() -> tuple[FieldSpec, ...]:
    _, body = split_provenance(DATA.read_text(encoding="utf-8"))
    specs = []
    for row in csv.DictReader(io.StringIO(body)):
        if row["sign"] not in SIGNS:
            raise ValueError(f"fields.csv: {row['block']}.{row['code']}: sign must be one of {SIGNS}")
        specs.append(
            FieldSpec(
                block=row["block"],
                code=row["code"],
                attr=_attr_for(row["block"], row["code"]),
                label_zh=row["label_zh"],
                label_en=row["label_en"],
                stage_required=row["stage"] == "Y",
                declare_required=row["declare"] == "Y",
                max_len=int(row["max_len"]) if row["max_len"] else None,
                table=row["table"],
                table_severity=Severity(row["table_severity"] or "error"),
                values=tuple(row["values"].split("|")) if row["values"] else (),
                ie=row["ie"],
                sign=row["sign"],
            )
        )
    return tuple(specs)


def _metas(spec: FieldSpec) -> Iterator[RuleMeta]:
    label = f"{spec.label_zh}（{spec.code}）"
    only = {"I": "（进口）", "E": "（出口）"}.get(spec.ie, "")
    only_en = {"I": " (imports)", "E": " (exports)"}.get(spec.ie, "")
    if spec.stage_required or spec.declare_required:
        level = Level.STAGE if spec.stage_required else Level.DECLARE
        yield RuleMeta(
            spec.rule_code("REQ"),
            f"{level.label_zh}必填：{label}{only}",
            f"{spec.label_en} ({spec.code}) required to {'save a draft' if spec.stage_required else 'declare'}"
            + only_en,
            level,
            Severity.ERROR,
            group="required",
        )
    if spec.max_len:
        yield RuleMeta(
            spec.rule_code("LEN"),
            f"{label}不超过{spec.max_len}位",
            f"{spec.label_en} ({spec.code}) at most {spec.max_len} characters",
            Level.STAGE,
            Severity.ERROR,
            group="length",
        )
    if spec.table:
        yield RuleMeta(
            spec.rule_code("CODE"),
            f"{label}须在{TABLE_ZH.get(spec.table, spec.table)}代码表中",
            f"{spec.label_en} ({spec.code}) must be in the {spec.table} table",
            Level.STAGE,
            spec.table_severity,
            group="code table",
        )
    if spec.values:
        yield RuleMeta(
            spec.rule_code("VAL"),
            f"{label}取值：{'、'.join(spec.values)}",
            f"{spec.label_en} ({spec.code}) one of {', '.join(spec.values)}",
            Level.STAGE,
            Severity.ERROR,
            group="value set",
        )
    if spec.sign:
        yield RuleMeta(
            spec.rule_code("NEG"),
            f"{label}不能为负数",
            f"{spec.label_en} ({spec.code}) is not negative",
            Level.STAGE,
            Severity.ERROR,
            NEGATIVE_WHY,
            group="sign",
        )
    if spec.sign == ">0":
        yield RuleMeta(
            spec.rule_code("POS"),
            f"申报时{label}须大于0",
            f"{spec.label_en} ({spec.code}) greater than 0 to declare",
            Level.DECLARE,
            Severity.ERROR,
            POSITIVE_WHY,
            group="sign",
        )


@dataclass(frozen=True, slots=True)
class _Plan:
    """The checks of one field at one level, with its metas resolved."""

    spec: FieldSpec
    required: RuleMeta | None
    length: RuleMeta | None
    code: RuleMeta | None
    values: RuleMeta | None
    value_set: frozenset[str]
    negative: RuleMeta | None
    positive: RuleMeta | None  # only at the level where 0 is refused


# (attr, required meta or None, max length or 0, table name or "", allowed values or empty,
#  negative-number meta or None, plan)
_Step = tuple[str, RuleMeta | None, int, str, frozenset[str], RuleMeta | None, _Plan]


def _step(plan: _Plan) -> _Step:
    spec = plan.spec
    max_len = spec.max_len if plan.length and spec.max_len else 0
    table = spec.table if plan.code else ""
    return (spec.attr, plan.required, max_len, table, plan.value_set, plan.negative, plan)


def _plans(level: Level) -> dict[str, tuple[_Step, ...]]:
    by_code = {m.code: m for spec in field_specs() for m in _metas(spec)}
    plans: dict[str, list[_Plan]] = {block: [] for block in BLOCKS}
    for spec in field_specs():
        required_here = spec.stage_required or (spec.declare_required and level is Level.DECLARE)
        positive = by_code.get(spec.rule_code("POS"))
        plans[spec.block].append(
            _Plan(
                spec,
                by_code[spec.rule_code("REQ")] if required_here else None,
                by_code.get(spec.rule_code("LEN")),
                by_code.get(spec.rule_code("CODE")),
                by_code.get(spec.rule_code("VAL")),
                frozenset(spec.values),
                by_code.get(spec.rule_code("NEG")),
                positive if positive is not None and positive.level <= level else None,
            )
        )
    return {block: tuple(_step(p) for p in steps) for block, steps in plans.items()}


def _in_table(codes: Mapping[str, object], table: str, value: str) -> bool:
    if value in codes:
        return True
    # The bundled district table lists every 直属海关 but only some sub-offices (as identifiers.numbers).
    return table == Table.CUSTOMS_DISTRICT and len(value) == 4 and value[:2] + "00" in codes


Where = Callable[[], tuple[str, str]]


def _check_row(
    ctx: Context,
    codes: Mapping[str, Mapping[str, object]],
    row: Any,
    plans: Sequence[_Step],
    path: str,
    where: Where,
    out: list[Finding],
) -> None:
    """Hot path (≈1,000 field checks per 50-line declaration): tuple unpacking instead of attribute
    lookups, table membership inlined, messages built only on failure."""
    ie = ctx.doc.head.ie_flag
    values = row.__dict__  # pydantic keeps field values here; skipping getattr's descriptor lookup
    for attr, required, max_len, table, value_set, negative, plan in plans:
        value = values[attr]
        if value is None or (value.__class__ is str and (not value or value.isspace())):
            if required is not None and (not plan.spec.ie or plan.spec.ie == ie):
                out.append(_missing(plan, required, path, where))
            continue
        if value.__class__ is not str:
            if negative is not None and value <= 0:
                if value < 0:
                    out.append(_negative(plan, value, path, where))
                elif plan.positive is not None:
                    out.append(_zero(plan, path, where))
            continue
        if max_len and len(value) > max_len:
            out.append(_too_long(plan, value, path, where))
        if table and value not in codes[table] and not _in_table(codes[table], table, value):
            out.append(_not_in_table(plan, value, path, where, ctx.tables[table]))
        if value_set and value not in value_set:
            out.append(_not_allowed(plan, value, path, where))


def _missing(plan: _Plan, meta: RuleMeta, path: str, where: Where) -> Finding:
    spec, (zh, en) = plan.spec, where()
    return meta.finding(
        f"{path}.{spec.attr}",
        f"{zh}{spec.label_zh}（{spec.code}）未填写，{meta.level.label_zh}时必填",
        f"{en}{spec.label_en} ({spec.code}) is missing; required to "
        + ("save a draft" if meta.level is Level.STAGE else "declare"),
    )


def _too_long(plan: _Plan, value: str, path: str, where: Where) -> Finding:
    spec, (zh, en) = plan.spec, where()
    assert plan.length is not None
    return plan.length.finding(
        f"{path}.{spec.attr}",
        f"{zh}{spec.label_zh}（{spec.code}）最长{spec.max_len}位，实际{len(value)}位",
        f"{en}{spec.label_en} ({spec.code}) has {len(value)} characters, at most {spec.max_len}",
    )


def _not_in_table(plan: _Plan, value: str, path: str, where: Where, table: CodeTable) -> Finding:
    """With a hint when the value most likely means a known code. A legacy numeric code is an error whatever
    the table's severity: the DecMessage carries ISO alpha codes (reference §1.6), so the Single Window would
    refuse it, and unlike an unknown code it cannot be a gap in a modest bundled table."""
    spec, (zh, en) = plan.spec, where()
    assert plan.code is not None
    hint = table.suggest(value)
    hint_zh, hint_en, severity = "", "", None
    if hint is not None:
        code, name_zh, name_en = hint.entry.code, hint.entry.name_zh, hint.entry.name_en or hint.entry.name_zh
        hint_zh, hint_en = f"，是否应为“{code}”（{name_zh}）", f"; did you mean {code} ({name_en})"
        if hint.why is Likely.LEGACY:
            hint_zh += f"：“{value}”是旧海关数字代码，报关单使用ISO字母代码"
            hint_en += f": '{value}' is the legacy customs numeric code, the declaration uses the ISO code"
            severity = Severity.ERROR
        elif hint.why is Likely.ALIAS:
            hint_zh += f"：“{value}”是常用简称，不是代码"
            hint_en += f": '{value}' is a common name, not the code"
    return plan.code.finding(
        f"{path}.{spec.attr}",
        f"{zh}{spec.label_zh}（{spec.code}）“{value}”不在{TABLE_ZH.get(spec.table, spec.table)}代码表中{hint_zh}",
        f"{en}{spec.label_en} ({spec.code}) '{value}' is not in the {spec.table} code table{hint_en}",
        severity,
    )


def _not_allowed(plan: _Plan, value: str, path: str, where: Where) -> Finding:
    spec, (zh, en) = plan.spec, where()
    assert plan.values is not None
    return plan.values.finding(
        f"{path}.{spec.attr}",
        f"{zh}{spec.label_zh}（{spec.code}）只能为{'、'.join(spec.values)}，实际为“{value}”",
        f"{en}{spec.label_en} ({spec.code}) must be one of {', '.join(spec.values)}, got '{value}'",
    )


def _number(value: Any) -> str:
    return format(value, "f") if isinstance(value, Decimal) else str(value)


def _negative(plan: _Plan, value: Any, path: str, where: Where) -> Finding:
    spec, (zh, en) = plan.spec, where()
    assert plan.negative is not None
    return plan.negative.finding(
        f"{path}.{spec.attr}",
        f"{zh}{spec.label_zh}（{spec.code}）不能为负数，实际为{_number(value)}",
        f"{en}{spec.label_en} ({spec.code}) cannot be negative, got {_number(value)}",
    )


def _zero(plan: _Plan, path: str, where: Where) -> Finding:
    spec, (zh, en) = plan.spec, where()
    assert plan.positive is not None
    return plan.positive.finding(
        f"{path}.{spec.attr}",
        f"{zh}{spec.label_zh}（{spec.code}）为0，申报时须大于0",
        f"{en}{spec.label_en} ({spec.code}) is 0; it must be greater than 0 to declare",
    )


def goods_where(g_no: int) -> tuple[str, str]:
    return f"第{g_no}项商品：", f"Goods line {g_no}: "


def _row_where(zh: str, en: str, i: int) -> Where:
    return lambda: (f"{zh}第{i + 1}行：", f"{en} row {i + 1}: ")


def _nowhere() -> tuple[str, str]:
    return "", ""


def _run(ctx: Context) -> list[Finding]:
    plans = _PLANS[ctx.level]
    doc = ctx.doc
    codes = {name: ctx.tables[name].entries for name in _TABLES_USED}
    out: list[Finding] = []
    _check_row(ctx, codes, doc.head, plans["head"], "head", _nowhere, out)
    goods_plans = plans["goods"]
    for i, line in enumerate(doc.goods):
        _check_row(ctx, codes, line, goods_plans, f"goods[{i}]", partial(goods_where, line.g_no), out)
    for name, rows in (("containers", doc.containers), ("licenses", doc.licenses), ("edocs", doc.edocs)):
        block_zh = BLOCKS[name][2]
        for i, row in enumerate(rows):
            _check_row(ctx, codes, row, plans[name], f"{name}[{i}]", _row_where(block_zh, name, i), out)
    if doc.transit is not None:
        transit_where: Where = lambda: ("转关单：", "Transit: ")  # noqa: E731
        _check_row(ctx, codes, doc.transit.head, plans["transit.head"], "transit.head", transit_where, out)
        transit_rows: tuple[tuple[str, str, Sequence[BaseModel]], ...] = (
            ("transit.containers", "Transit container", doc.transit.containers),
            ("transit.conta_goods", "Transit container goods", doc.transit.conta_goods),
        )
        for block, block_en, block_rows in transit_rows:
            for i, transit_row in enumerate(block_rows):
                where = _row_where(BLOCKS[block][2], block_en, i)
                _check_row(ctx, codes, transit_row, plans[block], f"{block}[{i}]", where, out)
    return out


_TABLES_USED = frozenset(spec.table for spec in field_specs() if spec.table)
_PLANS = {level: _plans(level) for level in Level}


def register(rules: RuleSet) -> None:
    rules.add_group([m for spec in field_specs() for m in _metas(spec)], _run)
