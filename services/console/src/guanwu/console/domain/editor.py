"""The declaration editor (报关单制单): which fields it shows in which group, how each is entered, and the
conversions between the declaration API's document and the editor's state.

Pure. Labels, code tables, choices and required marks come from the document model and the customs kernel
(`guanwu.customs`: the field table behind the logic checks, the code tables), so the form follows them without
a second list to keep. The editor holds the whole document as JSON (Alpine.js): a field the form does not
show is carried through unchanged, never dropped.
"""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from functools import cache
from typing import Any

from pydantic import BaseModel

from guanwu.console.domain.detail import label_of
from guanwu.contracts.declaration import (
    MAX_GOODS_LINES,
    Container,
    DecHead,
    DecList,
    DocumentKind,
    EdocRealation,
    LicenseDocu,
    TrnHead,
    TrnList,
)
from guanwu.customs.codes import CodeTables, Table, legal_units
from guanwu.customs.rules.fields import field_specs

MAX_LINES = MAX_GOODS_LINES
"""At most 50 goods lines (the document model's limit)."""

EDITABLE_STATUSES = frozenset({"草稿", "审核退回", "退单", "申报失败"})
"""The declaration service's editable states (its `EDITABLE`): before review, after 审核退回, 退单, 申报失败."""

LIST_BLOCKS = ("goods", "containers", "licenses", "edocs", "transit.containers", "transit.conta_goods")
"""The repeated blocks the editor keys line by line, so a finding stays with its line when lines move."""

READ_ONLY = frozenset({"seq_no", "entry_id", "pre_entry_id", "ie_flag", "decl_trn_rel"})
"""Head fields the preparer does not type: numbers the customs assign, and the markers the list's kind sets."""

CUSTOMS_NUMBERS = ("seq_no", "entry_id", "pre_entry_id")

# Code tables of fields the kernel's field table does not name (it checks them elsewhere or not at all).
_EXTRA_TABLES = {
    ("goods", "code_ts"): Table.HS,
    ("transit.trn_list", "traf_mode"): Table.TRANSPORT_MODE,
    ("goods", "origin_country"): Table.COUNTRY,
}
_BLOCK_MODELS: dict[str, type[BaseModel]] = {
    "head": DecHead,
    "goods": DecList,
    "containers": Container,
    "licenses": LicenseDocu,
    "edocs": EdocRealation,
    "transit.head": TrnHead,
    "transit.trn_list": TrnList,
}
_CHOICE = re.compile(r"([0-9A-Z]{1,2}) (\S.*)")


@dataclass(frozen=True)
class EditorField:
    block: str
    """head, goods, containers, licenses, edocs, transit.head, transit.trn_list"""
    name: str
    label: str
    input: str
    """text, number, date, code (a searchable code table), choice (a short value set), readonly"""
    table: str = ""
    choices: tuple[tuple[str, str], ...] = ()
    required: str = ""
    """stage (暂存必填), declare (申报必填) or ""."""
    max_length: int | None = None

    @property
    def path(self) -> str:
        """As the API's findings name it (`head.trade_name`); a list block's field without its index."""
        return f"{self.block}.{self.name}"

    @property
    def dom_id(self) -> str:
        return "f-" + self.path.replace(".", "-")


@dataclass(frozen=True)
class FieldGroup:
    title: str
    fields: tuple[EditorField, ...]
    more: bool = False
    """Folded away at first (the rarely used rest)."""


def _choices(description: str, values: tuple[str, ...]) -> tuple[tuple[str, str], ...]:
    """`"报关标志: 1 普通报关, 3 北方转关提前"` → ((1, 普通报关), (3, 北方转关提前)); the field table's value set wins
    when it has one (its labels taken from the description where it names them)."""
    named: dict[str, str] = {}
    if ": " in description:
        for part in description.split(": ", 1)[1].split(", "):
            found = _CHOICE.fullmatch(part.strip())
            if found:
                named[found[1]] = found[2]
    if values:
        return tuple((v, named.get(v, v)) for v in values)
    return tuple(named.items()) if len(named) >= 2 else ()


@cache
def _specs() -> dict[tuple[str, str], Any]:
    return {(s.block, s.attr): s for s in field_specs()}


def editor_field(block: str, name: str) -> EditorField:
    model = _BLOCK_MODELS[block]
    info = model.model_fields[name]
    description = info.description or ""
    spec = _specs().get((block, name))
    label = spec.label_zh if spec else label_of(description, name)
    table = (spec.table if spec else "") or _EXTRA_TABLES.get((block, name), "")
    choices = () if table else _choices(description, spec.values if spec else ())
    annotation = str(info.annotation)
    if block == "head" and name in READ_ONLY:
        kind = "readonly"
    elif table:
        kind = "code"
    elif choices:
        kind = "choice"
    elif "Decimal" in annotation or "int" in annotation:
        kind = "number"
    elif "yyyyMMdd" in description:
        kind = "date"
    else:
        kind = "text"
    required = ""
    if spec is not None:
        required = "stage" if spec.stage_required else "declare" if spec.declare_required else ""
    max_length = next((m.max_length for m in info.metadata if hasattr(m, "max_length")), None)
    return EditorField(block, name, label, kind, table, choices, required, max_length)


def _fields(block: str, names: str) -> tuple[EditorField, ...]:
    return tuple(editor_field(block, name) for name in names.split())


_HEAD_GROUPS = (
    ("基本信息", "seq_no pre_entry_id entry_id custom_master ie_port manual_no contr_no ie_date "
     "entry_type edi_id decl_trn_rel bill_type type"),
    ("收发货人及申报单位", "trade_code trade_co_scc trade_ciq_code trade_name domestic_consignee_ename "
     "overseas_consignee_code overseas_consignee_ename overseas_consignor_code overseas_consignor_cname "
     "overseas_consignor_ename overseas_consignor_addr owner_code owner_code_scc owner_ciq_code owner_name "
     "agent_code agent_code_scc decl_ciq_code agent_name"),
    ("运输信息", "traf_mode traf_name bill_no trade_country trade_area_code distinate_port enty_port_code "
     "desp_port_code goods_place desp_date"),
    ("贸易及费用", "trade_mode cut_mode license_no appr_no trans_mode fee_mark fee_rate fee_curr "
     "insur_mark insur_rate insur_curr other_mark other_rate other_curr"),
    ("包装、重量及其他", "pack_no wrap_type gross_wet net_wt no_other_pack mark_no note_s promise_itmes "
     "chk_surety check_flow tax_aamin_mark spec_decl_flag"),
    ("录入及申报人员", "cop_code cop_code_scc cop_name inputer_name typist_no declare_name"),
)  # fmt: skip

GOODS_MAIN = (
    "code_ts ciq_code ciq_name g_name g_model decl_goods_ename g_qty g_unit decl_price decl_total trade_curr "
    "first_qty first_unit second_qty second_unit origin_country destination_country district_code dest_code "
    "orig_place_code duty_mode contr_item exg_no exg_version use_to work_usd factor"
)
GOODS_COLUMNS = [
    "code_ts",
    "g_name",
    "g_model",
    "g_qty",
    "g_unit",
    "decl_price",
    "decl_total",
    "trade_curr",
    "origin_country",
    "destination_country",
    "duty_mode",
]
"""The goods grid's columns (the seed's 表体); the selected line's every field is in the panel below it."""


@cache
def head_groups() -> tuple[FieldGroup, ...]:
    groups = [FieldGroup(title, _fields("head", names)) for title, names in _HEAD_GROUPS]
    shown = {f.name for g in groups for f in g.fields}
    rest = " ".join(n for n in DecHead.model_fields if n not in shown and n != "ie_flag")
    return (*groups, FieldGroup("其他表头字段", _fields("head", rest), more=True))


@cache
def goods_groups() -> tuple[FieldGroup, ...]:
    main = _fields("goods", GOODS_MAIN)
    shown = {f.name for f in main} | {"g_no", "goods_limits"}
    rest = " ".join(n for n in DecList.model_fields if n not in shown)
    return (
        FieldGroup("商品信息", main),
        FieldGroup("检验检疫及其他商品信息", _fields("goods", rest), more=True),
    )


@cache
def goods_columns() -> tuple[EditorField, ...]:
    return tuple(editor_field("goods", name) for name in GOODS_COLUMNS)


@cache
def row_blocks() -> tuple[tuple[str, str, tuple[EditorField, ...]], ...]:
    """(block, Chinese title, fields) of the small repeated blocks, each a grid of rows."""
    return (
        ("containers", "集装箱", _fields("containers", "container_id container_md lcl_flag goods_no "
                                        "goods_conta_wt container_wt")),
        ("licenses", "随附单证（许可证）", _fields("licenses", "docu_code cert_code")),
        ("edocs", "随附单据", _fields("edocs", "edoc_code edoc_id edoc_fomat_type edoc_size g_no_str")),
    )  # fmt: skip


@cache
def transit_groups() -> tuple[FieldGroup, ...]:
    head = _fields(
        "transit.head",
        "trans_flag trans_no turn_no native_traf_mode traf_customs_no native_ship_name native_voyage_no "
        "contractor_code contractor_name valid_time e_seal_flag trn_type appl_code_scc trn_pre_id",
    )
    trn_list = _fields("transit.trn_list", "traf_mode ship_id ship_name_en voyage_no bill_no ie_date")
    return (FieldGroup("转关单表头", head), FieldGroup("转关运输信息", trn_list))


def all_fields() -> Iterable[EditorField]:
    for group in (*head_groups(), *goods_groups(), *transit_groups()):
        yield from group.fields
    for _, _, fields in row_blocks():
        yield from fields


# ── the document ⇄ the editor's state ──────────────────────────────────────────────────────────────────


def new_document(ie_flag: str, kind: str) -> dict[str, Any]:
    """An empty document of a 制单 list: its 进出口标志, kind and the head marker the kind implies."""
    transit = DocumentKind(kind).is_transit
    document: dict[str, Any] = {
        "kind": kind,
        "head": {"ie_flag": ie_flag, "decl_trn_rel": "1" if transit else "0"},
        "goods": [],
    }
    if transit:
        document["transit"] = {"head": {}}
    return document


def _blocks(document: Mapping[str, Any]) -> Iterable[tuple[str, list[Any]]]:
    for block in LIST_BLOCKS:
        owner: Any = document
        for part in block.split("."):
            owner = owner.get(part) if isinstance(owner, Mapping) else None
        if isinstance(owner, list):
            yield block, owner


def keyed(document: Mapping[str, Any]) -> dict[str, Any]:
    """A copy whose list items carry `_key` (`goods-1` …): the editor's handle on a line, whatever its place."""
    state = copy.deepcopy(dict(document))
    state.setdefault("goods", [])
    for block, items in _blocks(state):
        for number, item in enumerate(items, start=1):
            if isinstance(item, dict):
                item["_key"] = f"{block}-{number}"
    return state


_LINE_PATH = re.compile(
    r"(goods|containers|licenses|edocs|transit\.containers|transit\.conta_goods)\[(\d+)\](.*)"
)


_PLACED_AT = {"kind": "head.bill_type"}
"""Findings about the whole document shown at the field that settles them: a kind the head's markers
contradict is a 备案清单 without its 备案清单类型 (the 转关 marker is set by the kind itself)."""


def note_key(path: str) -> str:
    """A finding's field path as the editor's state names it: `goods[2].g_qty` → `goods#goods-3.g_qty`."""
    path = _PLACED_AT.get(path, path)
    found = _LINE_PATH.fullmatch(path)
    if found is None:
        return path
    block, index, rest = found[1], int(found[2]), found[3]
    return f"{block}#{block}-{index + 1}{rest}"


def notes(
    findings: Iterable[Mapping[str, Any]] = (),
    invalid: Iterable[Mapping[str, Any]] = (),
    marks: Iterable[Mapping[str, Any]] = (),
) -> dict[str, list[dict[str, str]]]:
    """What the editor shows beside each field: the kernel's findings, the API's refusal of a value (422) and a
    reviewer's red marks of a returned declaration, keyed by `note_key`."""
    shown: dict[str, list[dict[str, str]]] = {}

    def add(path: str, level: str, text: str) -> None:
        shown.setdefault(note_key(path), []).append({"level": level, "text": text, "path": path})

    for finding in findings:
        level = "error" if finding.get("severity") == "error" else "warning"
        add(str(finding.get("field_path") or ""), level, str(finding.get("message_zh") or ""))
    for field in invalid:
        add(str(field.get("field") or ""), "error", str(field.get("message_zh") or "取值不正确"))
    for mark in marks:
        if mark.get("verdict") == "wrong":
            comment = str(mark.get("comment") or "审核人员标记此项有误")
            add(str(mark.get("field_path") or ""), "review", f"审核意见：{comment}")
    return shown


def _clean(value: Any) -> Any:
    """Without the editor's own keys (`_key`) and without blanks: an empty string is an absent field."""
    if isinstance(value, dict):
        cleaned = {k: _clean(v) for k, v in value.items() if not str(k).startswith("_")}
        return {k: v for k, v in cleaned.items() if v not in (None, "", {})}
    if isinstance(value, list):
        items = [_clean(v) for v in value]
        return [v for v in items if v not in (None, "", {})]
    if isinstance(value, str):
        return value.strip()
    return value


class FormError(ValueError):
    """The posted form is not an editor's document (a forged or broken page)."""


def document_from_form(text: str, *, ie_flag: str, kind: str) -> dict[str, Any]:
    """The document the editor posted, as the declaration API takes it: blanks and the editor's keys dropped,
    goods lines numbered 1..n in their order, 进出口标志 and kind those of the declaration."""
    try:
        posted = json.loads(text)
    except ValueError as error:
        raise FormError("报关单数据无法读取，请重新载入页面。") from error
    if not isinstance(posted, dict) or not isinstance(posted.get("head", {}), dict):
        raise FormError("报关单数据无法读取，请重新载入页面。")
    document: dict[str, Any] = _clean(posted)
    document["kind"] = kind
    document.setdefault("head", {})["ie_flag"] = ie_flag
    goods = [g for g in document.get("goods", []) if isinstance(g, dict)]
    document["goods"] = [{**line, "g_no": number} for number, line in enumerate(goods, start=1)]
    if not DocumentKind(kind).is_transit and not document.get("transit"):
        document.pop("transit", None)
    elif document.get("transit"):
        document["transit"].setdefault("head", {})  # TrnHead is the block's one required part
    return document


# ── 单证模版 ──────────────────────────────────────────────────────────────────────────────────────────────


def template_document(document: Mapping[str, Any]) -> dict[str, Any]:
    """What 保存为模版 keeps: the document without the numbers the customs gave this one declaration."""
    kept = copy.deepcopy(dict(document))
    head = kept.setdefault("head", {})
    for name in CUSTOMS_NUMBERS:
        head.pop(name, None)
    return kept


_TEMPLATE_KEEPS = frozenset({"ie_flag", "decl_trn_rel", *CUSTOMS_NUMBERS})


def apply_template(
    document: Mapping[str, Any], template: Mapping[str, Any]
) -> tuple[dict[str, Any], list[str]]:
    """The document with the template's fields filled in, and the paths it filled. Head fields the template
    sets replace the form's (except 进出口标志, the kind's marker and the customs numbers); a repeated block
    (goods, containers, licences, 随附单据) and the transit block are taken only where the form has none."""
    merged = copy.deepcopy(dict(document))
    head = merged.setdefault("head", {})
    filled: list[str] = []
    for name, value in (template.get("head") or {}).items():
        if name not in _TEMPLATE_KEEPS and value not in (None, ""):
            head[name] = value
            filled.append(f"head.{name}")
    for block in ("goods", "containers", "licenses", "edocs", "transit"):
        if template.get(block) and not merged.get(block):
            merged[block] = copy.deepcopy(template[block])
            filled.append(block)
    return merged, filled


# ── code tables, conflicts ───────────────────────────────────────────────────────────────────────────────

SEARCHABLE = frozenset(str(t) for t in Table)


def search_codes(tables: CodeTables, table: str, query: str, limit: int = 20) -> list[dict[str, str]]:
    """Codes of `table` matching `query`: the code itself first, then codes starting with it, then names
    (Chinese or English) containing it. Searched on the server, so a full tariff never travels to the page."""
    if table not in tables:
        return []
    wanted = query.strip().upper()
    ranked: list[tuple[int, str, str]] = []
    for entry in tables[table]:
        code = entry.code.upper()
        if not wanted:
            rank = 3
        elif code == wanted or entry.legacy == wanted:
            rank = 0
        elif code.startswith(wanted):
            rank = 1
        elif wanted in entry.name_zh.upper() or wanted in entry.name_en.upper():
            rank = 2
        else:
            continue
        ranked.append((rank, entry.code, entry.name_zh))
    ranked.sort()
    found = [{"code": code, "name": name} for _, code, name in ranked[:limit]]
    if table == Table.HS:  # a 商品编号 brings its 法定计量单位, which the editor fills in when they are empty
        for option in found:
            units = legal_units(tables[table], option["code"])
            if units:
                option["first_unit"], option["second_unit"] = units
    return found


def code_names(tables: CodeTables, document: Mapping[str, Any]) -> dict[str, dict[str, str]]:
    """table → {code: Chinese name} of the codes the document holds, so the page shows `CHN 中国` at once."""
    names: dict[str, dict[str, str]] = {}
    for field in all_fields():
        if field.input != "code" or field.table not in tables:
            continue
        for value in _values_of(document, field):
            name = tables[field.table].name_of(value)
            if name:
                names.setdefault(field.table, {})[value] = name
    return names


def _values_of(document: Mapping[str, Any], field: EditorField) -> list[str]:
    if field.block in ("head", "transit.head", "transit.trn_list"):
        owner: Any = document
        for part in field.block.split("."):
            owner = owner.get(part) if isinstance(owner, Mapping) else None
        value = owner.get(field.name) if isinstance(owner, Mapping) else None
        return [str(value)] if value else []
    items = document.get(field.block) or []
    return [str(i[field.name]) for i in items if isinstance(i, Mapping) and i.get(field.name)]


@cache
def labels_by_path() -> dict[str, str]:
    return {f.path: f.label for f in all_fields()}


def path_label(path: str) -> str:
    """`goods[1].g_qty` → `第2项商品 成交数量`; a head field → its label."""
    found = _LINE_PATH.fullmatch(path)
    if found is None:
        return labels_by_path().get(path, path)
    block, index, rest = found[1], int(found[2]), found[3].lstrip(".")
    names = {"goods": "项商品", "containers": "个集装箱", "licenses": "条随附单证", "edocs": "条随附单据"}
    field = labels_by_path().get(f"{block}.{rest}", rest)
    return f"第{index + 1}{names.get(block, '行')} {field}".strip()


def changes_since(audit: Iterable[Mapping[str, Any]], version: int) -> list[dict[str, Any]]:
    """The fields others changed after `version` (the one the user edited), newest last, for the 412 page."""
    changed: list[dict[str, Any]] = []
    for entry in audit:
        if int(entry.get("version") or 0) <= version:
            continue
        for change in entry.get("changes") or []:
            path = str(change.get("field") or "")
            changed.append(
                {
                    "label": path_label(path),
                    "before": _shown(change.get("before")),
                    "after": _shown(change.get("after")),
                    "by": entry.get("by"),
                    "at": entry.get("at"),
                    "version": entry.get("version"),
                }
            )
    return changed


_STEP = re.compile(r"([A-Za-z_]+)|\[(\d+)\]")


def _steps(path: str) -> list[str | int]:
    return [name or int(index) for name, index in _STEP.findall(path)]


def _get(document: Any, path: str) -> Any:
    owner = document
    for step in _steps(path):
        if isinstance(step, int):
            owner = owner[step] if isinstance(owner, list) and step < len(owner) else None
        else:
            owner = owner.get(step) if isinstance(owner, dict) else None
    return owner


def _put(document: dict[str, Any], path: str, value: Any) -> bool:
    """Set the value at `path` (None removes it); False when the path is not there to set."""
    *walk, last = _steps(path)
    owner: Any = document
    for step, following in zip(walk, [*walk[1:], last], strict=True):
        if isinstance(step, int):
            owner = owner[step] if isinstance(owner, list) and step < len(owner) else None
        elif isinstance(owner, dict):
            owner = owner.setdefault(step, [] if isinstance(following, int) else {})
        if owner is None:
            return False
    if isinstance(last, int) or not isinstance(owner, dict):
        return False
    if value is None:
        owner.pop(last, None)
    else:
        owner[last] = value
    return True


def _same(a: Any, b: Any) -> bool:
    """Equal as the form holds them: "" and None alike, numbers and their text alike (412 and "412")."""
    if a in (None, "") or b in (None, ""):
        return a in (None, "") and b in (None, "")
    if isinstance(a, dict | list) or isinstance(b, dict | list):
        return bool(a == b)
    return str(a) == str(b)


def merge_changes(
    document: Mapping[str, Any], audit: Iterable[Mapping[str, Any]], version: int
) -> tuple[dict[str, Any], list[str], list[str]]:
    """合并: the user's document with what others changed after `version` where the user left that field as
    it was; where both changed it, the user's value stays. The merged document and the labels of the fields
    taken from others and of those kept as the user has them."""
    merged = copy.deepcopy(dict(document))
    taken: list[str] = []
    kept: list[str] = []
    for entry in audit:
        if int(entry.get("version") or 0) <= version:
            continue
        for change in entry.get("changes") or []:
            path = str(change.get("field") or "")
            mine, before, after = _get(merged, path), change.get("before"), change.get("after")
            if _same(mine, after):
                continue
            if _same(mine, before) and _put(merged, path, after):
                taken.append(path_label(path))
            else:
                kept.append(path_label(path))
    return merged, taken, kept


def _shown(value: Any) -> str:
    if value is None:
        return "（空）"
    if isinstance(value, Decimal | int | float | str):
        return str(value)
    return "（已修改）"
