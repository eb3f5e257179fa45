"""导入 (F-33): the layout of the import workbook — which columns the 表头 and 表体 sheets have. Pure.

The columns are the wire fields of the kernel's DecHead and DecList (what the customs message carries), the
ones the logic checks know (rules/data/fields.csv) first and in its order, then the others in message order;
a header names the field in Chinese with its wire code, `*申报地海关（CustomMaster）`, and the code is what
the importer reads back, so columns may be moved, left out or relabelled as long as the code stays.

The first column of both sheets, 单据序号 (`No`), ties goods rows to their declaration's head row; it is not a
customs field.
"""

from __future__ import annotations

import re
import typing
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum
from functools import cache

from pydantic import BaseModel

from guanwu.contracts.declaration import DecHead, DecList, wire_fields
from guanwu.customs.rules.fields import field_specs

HEAD_SHEET = "表头"
GOODS_SHEET = "表体"
INSTRUCTIONS_SHEET = "说明"
CODES_SHEET = "代码表"

KEY_CODE = "No"
KEY_LABEL = "单据序号"
IE_FLAG_CODE = "IEFlag"
GOODS_NO_CODE = "GNo"

ASSIGNED_BY_CUSTOMS = frozenset({"SeqNo", "EntryId"})
"""Head fields the customs assign: an import never sets them."""


class ValueKind(StrEnum):
    TEXT = "text"
    DECIMAL = "decimal"
    INTEGER = "integer"


@dataclass(frozen=True, slots=True)
class Column:
    """One column of a sheet: the wire code it carries, the model attribute it fills (None: the key)."""

    code: str
    attr: str | None
    label_zh: str
    kind: ValueKind
    stage_required: bool = False
    table: str = ""
    values: tuple[str, ...] = ()

    @property
    def header(self) -> str:
        return f"{'*' if self.stage_required else ''}{self.label_zh}（{self.code}）"


@dataclass(frozen=True, slots=True)
class SheetLayout:
    name: str
    columns: tuple[Column, ...]

    def by_code(self) -> dict[str, Column]:
        return {column.code: column for column in self.columns}

    def by_attr(self) -> dict[str, Column]:
        return {column.attr: column for column in self.columns if column.attr}


def _kind(model: type[BaseModel], attr: str) -> ValueKind:
    annotation = model.model_fields[attr].annotation
    args = set(typing.get_args(annotation)) or {annotation}
    if Decimal in args:
        return ValueKind.DECIMAL
    if int in args:
        return ValueKind.INTEGER
    return ValueKind.TEXT


def _label(model: type[BaseModel], attr: str, code: str) -> str:
    """The field's Chinese name from its description ("CodeTS 商品编号 (HS 10位)" → "商品编号")."""
    description = model.model_fields[attr].description or code
    text = description.removeprefix(code).strip()
    return re.split(r"\s*[(:（]", text, maxsplit=1)[0].strip() or code


def _columns(block: str, model: type[BaseModel], skip: frozenset[str]) -> list[Column]:
    specs = {spec.code: spec for spec in field_specs() if spec.block == block}
    wire = [(attr, code) for attr, code in wire_fields(model) if code not in skip]
    ordered = sorted(wire, key=lambda pair: list(specs).index(pair[1]) if pair[1] in specs else len(specs))
    columns = []
    for attr, code in ordered:
        spec = specs.get(code)
        columns.append(
            Column(
                code=code,
                attr=attr,
                label_zh=spec.label_zh if spec else _label(model, attr, code),
                kind=_kind(model, attr),
                stage_required=bool(spec and spec.stage_required),
                table=spec.table if spec else "",
                values=spec.values if spec else (),
            )
        )
    return columns


KEY_COLUMN = Column(KEY_CODE, None, KEY_LABEL, ValueKind.TEXT, stage_required=True)


@cache
def head_layout() -> SheetLayout:
    ie_flag = Column(
        IE_FLAG_CODE, "ie_flag", "进出口标志", ValueKind.TEXT, stage_required=True, values=("I", "E")
    )
    rest = _columns("head", DecHead, ASSIGNED_BY_CUSTOMS | {IE_FLAG_CODE})
    return SheetLayout(HEAD_SHEET, (KEY_COLUMN, ie_flag, *rest))


@cache
def goods_layout() -> SheetLayout:
    goods_no = Column(GOODS_NO_CODE, "g_no", "商品序号", ValueKind.INTEGER)
    return SheetLayout(
        GOODS_SHEET, (KEY_COLUMN, goods_no, *_columns("goods", DecList, frozenset({GOODS_NO_CODE})))
    )


_CODE_IN_HEADER = re.compile(r"[（(]\s*([A-Za-z][A-Za-z0-9]*)\s*[)）]\s*$")


def code_of_header(text: str, layout: SheetLayout) -> str | None:
    """The wire code a header names: `…（Code）` at its end, the bare code, or the bare Chinese label."""
    text = text.strip()
    matched = _CODE_IN_HEADER.search(text)
    if matched:
        return matched.group(1)
    columns = layout.by_code()
    if text in columns:
        return text
    label = text.lstrip("*").strip()
    for column in layout.columns:
        if column.label_zh == label:
            return column.code
    return None
