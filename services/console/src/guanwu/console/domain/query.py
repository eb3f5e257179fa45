"""业务数据查询 (seed section 八): the 报关数据查询 and 概要申报数据查询 screens — their query fields, the API
parameters those fields become, the columns, the action buttons each screen offers and to whom, and how the
declaration service's import findings and the timeline read in Chinese.

Dates are days in China time: 最近操作时间 and 申报日期 run from the first day's 00:00 to the day after the last
(the query API's `*_to` is exclusive). Without a submitted form, 最近操作时间 is the last 7 days, today included."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from guanwu.console.domain.menu import CHINA_TIME, chinese_datetime

DEFAULT_DAYS = 7
SUBMITTED = "q"
"""A hidden field of the query form: present, the form's values are taken as given (empty: no bound);
absent (first visit, 重置), the defaults apply."""

MAKERS = frozenset({"preparer", "admin"})
"""Who sees 申报, 提交审核, 导入, 生成接单 and 生成报关单: the declaration service's writers (preparer; admin
implied). Everyone who may open the screen reads, prints and exports."""
JOB_ORDER_MAKERS = frozenset({"preparer", "manager", "admin"})
"""生成接单: the job orders API's makers."""

MAX_SELECTED = 50
"""Rows one 申报 / 提交审核 click acts on (a page holds 20 by default)."""

IE_FLAG_NAMES = {"I": "进口", "E": "出口"}
KIND_NAMES = {
    "declaration": "报关单",
    "record_list": "备案清单",
    "transit_declaration": "转关提前报关单",
    "transit_record_list": "转关提前备案清单",
}
REVIEW_STATUSES = ("未提交", "待审核", "审核通过", "审核退回")
SYSTEM_STATUSES = (
    "草稿", "待审核", "审核通过", "审核退回", "申报中", "申报失败", "已申报", "已删除",
    "入库成功", "查验", "放行", "结关", "退单", "删单",
)  # fmt: skip
ENTERPRISE_CATEGORY_NAMES = {"1": "境内收发货人", "2": "申报单位", "3": "消费使用/生产销售单位"}
TWO_STEP_NAMES = {"5": "概要申报", "6": "完整申报"}
ORIGIN_NAMES = {"here": "本系统录入", "synced": "单一窗口同步"}
SORTS = {
    "updated_at": "最近操作时间",
    "declared_at": "申报日期",
    "seq_no": "统一编号",
    "entry_id": "海关编号",
}
ORDERS = {"desc": "降序", "asc": "升序"}


def _all(names: Mapping[str, str], *, coded: bool = False) -> tuple[tuple[str, str], ...]:
    return (("", "全部"), *((k, f"{k} {v}" if coded else v) for k, v in names.items()))


@dataclass(frozen=True)
class QueryField:
    name: str
    """The API's query parameter; a range: the stem of `<name>_from` / `<name>_to`."""
    label: str
    kind: str = "text"
    """text, select or range (two dates)"""
    options: tuple[tuple[str, str], ...] = ()
    max_length: int | None = None
    placeholder: str = ""
    more: bool = False
    """Under 更多查询条件 (folded) rather than among the seed's fields."""

    @property
    def names(self) -> tuple[str, ...]:
        return (f"{self.name}_from", f"{self.name}_to") if self.kind == "range" else (self.name,)


@dataclass(frozen=True)
class QueryColumn:
    label: str
    key: str
    format: str = "text"
    """text, datetime, ie, kind, channel (code + name), two_step, categories"""


@dataclass(frozen=True)
class QueryScreen:
    slug: str
    title: str
    api: str
    """The list API; its export is `<api>/export.xlsx`."""
    fields: tuple[QueryField, ...]
    columns: tuple[QueryColumn, ...]
    actions: frozenset[str]
    """Which buttons the screen has: print, notices, declare, submit, export, import, job_order, from_bonded_list"""

    @property
    def path(self) -> str:
        return f"/console/query/{self.slug}"

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(name for f in self.fields for name in f.names)


_SEED_FIELDS = (
    QueryField("client_seq_no", "申报单号", max_length=18),
    QueryField("bill_no", "提运单号", max_length=32),
    QueryField("ie_flag", "进出口标志", "select", _all(IE_FLAG_NAMES)),
    QueryField("review_status", "审核状态", "select", _all({s: s for s in REVIEW_STATUSES})),
    QueryField("custom_master", "申报地海关", max_length=4, placeholder="关区代码，如 3100"),
    QueryField("trade_name", "境内收发货人", max_length=100, placeholder="名称中的文字"),
    QueryField("updated", "最近操作时间", "range"),
    QueryField("prepared_by", "制单人", max_length=64),
    QueryField("ie_port", "申报地", max_length=4, placeholder="进/出境关别代码"),
    QueryField("declaration_id", "系统编号", max_length=64),
    QueryField("seq_no", "统一编号", max_length=18),
    QueryField("entry_id", "海关编号", max_length=18),
    QueryField("channel", "申报状态", max_length=2, placeholder="回执代码，如 P 放行"),
    QueryField("enterprise_category", "企业类别", "select", _all(ENTERPRISE_CATEGORY_NAMES, coded=True)),
)  # fmt: skip
_MORE_FIELDS = (
    QueryField("kind", "单据类型", "select", _all(KIND_NAMES), more=True),
    QueryField("status", "系统状态", "select", _all({s: s for s in SYSTEM_STATUSES}), more=True),
    QueryField("trade_mode", "监管方式", max_length=4, placeholder="代码，如 0110", more=True),
    QueryField("hs_code", "商品编号", max_length=10, more=True),
    QueryField("goods_name", "商品名称", max_length=100, placeholder="名称中的文字", more=True),
    QueryField("declared", "申报日期", "range", more=True),
    QueryField("origin", "数据来源", "select", _all(ORIGIN_NAMES), more=True),
    QueryField("sort", "排序", "select", tuple(SORTS.items()), more=True),
    QueryField("order", "顺序", "select", tuple(ORDERS.items()), more=True),
)
_TWO_STEP = QueryField("two_step", "两步申报", "select", _all(TWO_STEP_NAMES, coded=True), more=True)

_COLUMNS = (
    QueryColumn("进出口标志", "ie_flag", "ie"),
    QueryColumn("系统编号", "declaration_id"),
    QueryColumn("申报单号", "client_seq_no"),
    QueryColumn("系统状态", "status"),
    QueryColumn("审核状态", "review_status"),
    QueryColumn("申报状态", "channel", "channel"),
    QueryColumn("统一编号", "seq_no"),
    QueryColumn("海关编号", "entry_id"),
    QueryColumn("申报地海关", "custom_master"),
    QueryColumn("境内收发货人", "trade_name"),
    QueryColumn("提运单号", "bill_no"),
    QueryColumn("制单人", "prepared_by"),
    QueryColumn("申报日期", "declared_at", "datetime"),
    QueryColumn("最近操作时间", "updated_at", "datetime"),
)

DECLARATIONS = QueryScreen(
    "declarations",
    "报关数据查询",
    "/api/query/declarations",
    (*_SEED_FIELDS, *_MORE_FIELDS[:6], _TWO_STEP, *_MORE_FIELDS[6:]),
    _COLUMNS,
    frozenset({"print", "notices", "declare", "submit", "export", "import", "job_order", "from_bonded_list"}),
)
SUMMARY = QueryScreen(
    "summary",
    "概要申报数据查询",
    "/api/query/summary-declarations",
    (*_SEED_FIELDS, *_MORE_FIELDS),
    (
        *_COLUMNS[:6],
        QueryColumn("两步申报", "two_step", "two_step"),
        QueryColumn("监管方式", "trade_mode"),
        *_COLUMNS[6:],
    ),
    frozenset({"print", "notices", "submit", "export"}),
)
QUERY_SCREENS = {screen.slug: screen for screen in (DECLARATIONS, SUMMARY)}


def default_values(today: date) -> dict[str, str]:
    """The form before anything is asked: 最近操作时间 the last 7 days (today included), newest first."""
    return {
        "updated_from": (today - timedelta(days=DEFAULT_DAYS - 1)).isoformat(),
        "updated_to": today.isoformat(),
        "sort": "updated_at",
        "order": "desc",
    }


def form_values(screen: QueryScreen, asked: Mapping[str, str], today: date) -> dict[str, str]:
    """The screen's fields as asked (anything else in the query string is ignored). Without the form's `q`
    (first visit, 重置, a link) the defaults fill what the query string does not name."""
    given = {name: str(asked[name]).strip() for name in screen.names if name in asked}
    if SUBMITTED not in asked:  # a link naming some fields: the defaults for the others
        return {**dict.fromkeys(screen.names, ""), **default_values(today), **given}
    return {**dict.fromkeys(screen.names, ""), **given}


def more_asked(screen: QueryScreen, values: Mapping[str, str]) -> bool:
    """Whether a folded field holds anything but its default (the form opens 更多查询条件 then)."""
    defaults = {"sort": "updated_at", "order": "desc"}
    return any(
        values.get(name, "") not in ("", defaults.get(name))
        for field in screen.fields
        if field.more
        for name in field.names
    )


def day_start(text: str, *, next_day: bool = False) -> str:
    """`2026-11-30` -> `2026-11-30T00:00:00+08:00` (the next day's with `next_day`); anything else is passed on
    as typed, for the API to refuse with its own message."""
    try:
        day = date.fromisoformat(text)
    except ValueError:
        return text
    return datetime.combine(day + timedelta(days=int(next_day)), time(), CHINA_TIME).isoformat()


def api_params(screen: QueryScreen, values: Mapping[str, str]) -> dict[str, str]:
    """The list API's criteria from the form: date ranges as China-time midnights, empty fields left out."""
    params: dict[str, str] = {}
    for field in screen.fields:
        if field.kind == "range":
            start, end = values.get(f"{field.name}_from", ""), values.get(f"{field.name}_to", "")
            if start:
                params[f"{field.name}_from"] = day_start(start)
            if end:
                params[f"{field.name}_to"] = day_start(end, next_day=True)
            continue
        value = values.get(field.name, "")
        if value:
            params[field.name] = value
    return params


def query_cell(row: Mapping[str, Any], column: QueryColumn) -> str:
    """A cell as the seed's tables write it: Chinese dates, 进口/出口, code and name."""
    value = row.get(column.key)
    if value is None or value == "" or value == []:
        return ""
    if column.format == "datetime":
        return chinese_datetime(str(value))
    if column.format == "ie":
        return IE_FLAG_NAMES.get(str(value), str(value))
    if column.format == "kind":
        return KIND_NAMES.get(str(value), str(value))
    if column.format == "channel":
        name = row.get("channel_name")
        return f"{value} {name}" if name else str(value)
    if column.format == "two_step":
        return TWO_STEP_NAMES.get(str(value), str(value))
    return str(value)


@dataclass(frozen=True)
class Pager:
    """Keyset paging over the API's `next_cursor`, with the page number kept for the reader: forward by cursor
    (any depth, same cost); back by `skip` while the API allows one (`MAX_SKIP`), else only to the first page."""

    page: int
    size: int
    total: int
    next_cursor: str | None
    capped: bool = False
    """The API counted up to `total` and more match (its `total_capped`): shown as "10,000+"."""

    MAX_SKIP = 10_000

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.size))

    @property
    def total_text(self) -> str:
        return f"{self.total:,}+" if self.capped else f"{self.total:,}"

    @property
    def pages_text(self) -> str:
        return f"{self.pages:,}+" if self.capped else f"{self.pages:,}"

    @property
    def first_row(self) -> int:
        return (self.page - 1) * self.size

    def previous(self) -> int | None:
        """The previous page's number when `skip` can reach it."""
        if self.page <= 1 or (self.page - 2) * self.size > self.MAX_SKIP:
            return None
        return self.page - 1


def page_request(page: int, cursor: str | None, size: int) -> dict[str, str | int]:
    """The API's paging for the console's page `page`: the cursor that led to it, else `skip`."""
    if cursor:
        return {"cursor": cursor, "limit": size}
    return {"skip": min(max(page - 1, 0) * size, Pager.MAX_SKIP), "limit": size}


def selected_ids(given: list[str]) -> list[str]:
    """The rows ticked, once each, in the order given, blanks dropped."""
    return list(dict.fromkeys(i.strip() for i in given if i.strip()))


def bonded_list_number(text: str) -> dict[str, str]:
    """生成报关单's body: a 清单编号 starts with QD, anything else is the 预录入统一编号."""
    number = text.strip().upper()
    return {"bond_invt_no": number} if number.startswith("QD") else {"seq_no": number}


@dataclass(frozen=True)
class ImportFinding:
    sheet: str
    row: int | None
    column: str | None
    field: str
    message: str
    severity: str


SEVERITY_NAMES = {"error": "错误", "warning": "警告"}


def _field_name(finding: Mapping[str, Any]) -> str:
    """`成交数量（GQty）` as the template's header names it; the code or the draft's path when no name came."""
    code = str(finding.get("field") or finding.get("field_path") or "")
    label = finding.get("label_zh")
    return f"{label}（{code}）" if label and code else str(label or code)


def import_findings(error: Mapping[str, Any]) -> list[ImportFinding]:
    """The declaration service's 422 findings (sheet, row, column, field, message) in its order; a refusal of
    the whole file (not a workbook, too large, hostile) has none: its message says why."""
    return [
        ImportFinding(
            sheet=str(f.get("sheet") or ""),
            row=f.get("row"),
            column=f.get("column"),
            field=_field_name(f),
            message=str(f.get("message_zh") or f.get("message_en") or ""),
            severity=SEVERITY_NAMES.get(str(f.get("severity")), str(f.get("severity") or "")),
        )
        for f in error.get("findings") or []
        if isinstance(f, Mapping)
    ]


def findings_message(findings: list[ImportFinding]) -> str:
    """What the page says above the findings' table (the API's own message points at its JSON member)."""
    errors = sum(1 for f in findings if f.severity == SEVERITY_NAMES["error"])
    return f"导入文件有 {errors} 处错误，未导入任何报关单；请按下方错误明细修改文件后重新导入。"


HISTORY_KINDS = {"event": "系统操作", "receipt": "海关回执"}


def history_line(entry: Mapping[str, Any]) -> dict[str, str]:
    """One line of 跟踪报关单动态 as the page shows it."""
    status = str(entry.get("status") or "")
    previous = str(entry.get("previous_status") or "")
    channel = entry.get("channel")
    receipt = f"{channel} {entry.get('channel_name') or ''}".strip() if channel else ""
    return {
        "at": chinese_datetime(entry.get("at")),
        "kind": HISTORY_KINDS.get(str(entry.get("kind")), str(entry.get("kind") or "")),
        "action": str(entry.get("action") or ""),
        "status": f"{previous} → {status}" if previous and status and previous != status else status,
        "receipt": receipt,
        "note": str(entry.get("note") or entry.get("cause") or ""),
        "who": str(entry.get("who") or ""),
    }
