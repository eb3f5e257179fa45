"""The declaration detail and review screens: which fields show, their Chinese labels, their mark paths.

Labels come from the declaration document model's field descriptions (`"TradeName 境内收发货人名称"` →
`境内收发货人名称`), so a field the model gains shows up with its label without a second list to keep.
A field's mark path is the one the review API expects (`FieldMark.field_path`): `head.<field>` and
`goods[<0-based index>].<field>`, as the declaration API names them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from pydantic import BaseModel

from guanwu.contracts.declaration import (
    Container,
    DecCopLimit,
    DecCopPromise,
    DecFreeTxt,
    DecOtherPack,
    DecRequestCert,
    DecUser,
    EdocRealation,
    LicenseDocu,
)
from guanwu.contracts.declaration.goods import DecList
from guanwu.contracts.declaration.head import DecHead

GOODS_COLUMNS = (
    "g_no", "code_ts", "g_name", "g_model", "g_qty", "g_unit", "decl_price", "decl_total", "trade_curr",
    "origin_country", "destination_country", "district_code", "duty_mode",
)  # fmt: skip
"""The goods lines' columns on screen (the seed's 表体 grid), in order; the rest of a line stays in the API."""

LINE_BLOCKS: dict[str, tuple[str, type[BaseModel]]] = {
    "containers": ("集装箱", Container),
    "licenses": ("随附单证", LicenseDocu),
    "edocs": ("随附单据", EdocRealation),
    "request_certs": ("申请单证", DecRequestCert),
    "other_packs": ("其他包装", DecOtherPack),
    "users": ("使用人", DecUser),
    "cop_limits": ("企业资质", DecCopLimit),
    "cop_promises": ("企业承诺", DecCopPromise),
}
"""The document's other line blocks the review screen shows (when the declaration has lines), every field a
column: their marks are `containers[0].container_id` and so on, as the review API names them."""

AUDIT_ACTIONS = {
    "create": "新建",
    "created": "新建",
    "update": "修改",
    "submit": "提交审核",
    "submit_for_review": "提交审核",
    "delete": "删除",
    "signed": "签名",
    "sign_failed": "签名失败",
    "submit_failed": "申报失败",
    "review_approved": "审核通过",
    "review_rejected": "审核退回",
    "declare": "申报",
    "updated": "修改",
    "submitted": "提交审核",
    "marks": "保存标记",
    "approve": "审核通过",
    "approved": "审核通过",
    "reject": "审核退回",
    "rejected": "审核退回",
    "declared": "申报",
    "deleted": "删除",
    "mark": "标记字段",
    "withdrawn": "撤回",
    "send": "发送",
    "send_declared": "发送：申报服务已受理",
    "send_refused": "发送被拒绝",
}


def label_of(description: str | None, name: str) -> str:
    """`"CodeTS 商品编号 (HS 10位)"` → `商品编号`: the wire code and any parenthesised note dropped."""
    if not description:
        return name
    words = description.split(" ", 1)
    text = words[1] if len(words) == 2 and re.fullmatch(r"[A-Za-z0-9]+", words[0]) else description
    text = re.split(r" \(|（", text, maxsplit=1)[0]
    return text.split(":")[0].strip() or name


@cache
def labels(model: type[BaseModel]) -> tuple[tuple[str, str], ...]:
    return tuple((name, label_of(f.description, name)) for name, f in model.model_fields.items())


@dataclass(frozen=True)
class Cell:
    path: str
    """The field as the review API names it: head.trade_name, goods[0].g_qty."""
    label: str
    value: str


@dataclass(frozen=True)
class LineBlock:
    """One of the document's line blocks besides the goods (集装箱, 随附单证, …) as a grid."""

    name: str
    title: str
    columns: list[tuple[str, str]]
    lines: list[list[Cell]]


@dataclass(frozen=True)
class DeclarationView:
    head: list[Cell]
    goods_columns: list[tuple[str, str]]
    goods: list[list[Cell]]
    blocks: list[LineBlock] = field(default_factory=list)
    free_text: list[Cell] = field(default_factory=list)

    def labels(self) -> dict[str, str]:
        """Each mark path's Chinese name (第 n 行 for a goods line), for the page's list of problem fields."""
        named = {c.path: c.label for c in (*self.head, *self.free_text)}
        for number, line in enumerate(self.goods, start=1):
            named.update({c.path: f"第{number}行 {c.label}" for c in line})
        for block in self.blocks:
            for number, line in enumerate(block.lines, start=1):
                named.update({c.path: f"{block.title}第{number}行 {c.label}" for c in line})
        return named


def _text(value: Any) -> str:
    return "" if value is None else str(value)


def declaration_view(document: dict[str, Any]) -> DeclarationView:
    head = document.get("head") or {}
    head_cells = [Cell(f"head.{name}", label, _text(head.get(name))) for name, label in labels(DecHead)]
    goods_labels = dict(labels(DecList))
    columns = [(name, goods_labels.get(name, name)) for name in GOODS_COLUMNS]
    goods = [
        [Cell(f"goods[{index}].{name}", label, _text(line.get(name))) for name, label in columns]
        for index, line in enumerate(document.get("goods") or [])
    ]
    return DeclarationView(head_cells, columns, goods, line_blocks(document), free_text_cells(document))


def line_blocks(document: dict[str, Any]) -> list[LineBlock]:
    """The document's other line blocks that have lines, each field of their model a column."""
    shown = []
    for name, (title, model) in LINE_BLOCKS.items():
        lines = document.get(name) or []
        if not lines:
            continue
        columns = list(labels(model))
        cells = [
            [Cell(f"{name}[{index}].{key}", label, _text(line.get(key))) for key, label in columns]
            for index, line in enumerate(lines)
        ]
        shown.append(LineBlock(name, title, columns, cells))
    return shown


def free_text_cells(document: dict[str, Any]) -> list[Cell]:
    """自由文本 (DecFreeTxt), when the document has one."""
    text = document.get("free_text")
    if not text:
        return []
    return [Cell(f"free_text.{name}", label, _text(text.get(name))) for name, label in labels(DecFreeTxt)]


def audit_action(action: str) -> str:
    """The audit's action in Chinese; one with details (`submitted: 统一编号 …`) keeps them after its name."""
    if action.startswith("submitted:"):  # the declaration's: the Single Window took the 申报
        return "已申报" + action.removeprefix("submitted")
    found = re.match(r"([a-z_]+)(.*)", action, re.DOTALL)
    if found is None or found[1] not in AUDIT_ACTIONS:
        return action
    return AUDIT_ACTIONS[found[1]] + found[2]


def field_label(path: str) -> str:
    """A mark path's Chinese name without the document: `head.trade_name` → `境内收发货人名称`,
    `goods[0].g_qty` → `第1行 成交数量`; another path (containers, documents) is shown as it is."""
    found = re.fullmatch(r"([a-z_]+)(?:\[(\d+)\])?\.(\w+)", path or "")
    if found is None:
        return path
    part, index, name = found[1], found[2], found[3]
    if part in ("head", "free_text") and index is None:
        return dict(labels(DecHead if part == "head" else DecFreeTxt)).get(name, path)
    if part == "goods" and index is not None:
        return f"第{int(index) + 1}行 {dict(labels(DecList)).get(name, name)}"
    if part in LINE_BLOCKS and index is not None:
        title, model = LINE_BLOCKS[part]
        return f"{title}第{int(index) + 1}行 {dict(labels(model)).get(name, name)}"
    return path
