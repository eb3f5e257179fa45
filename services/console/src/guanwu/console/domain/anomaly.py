"""异常状态登记 (seed section 七), independent of HTTP: the two list screens (报关单异常, 核注清单异常) with the
seed's query fields and columns, the 异常登记 form with its starred fields, the form as the anomaly API's body
and the API's refusals by field, 变更状态's choices, and 统计分析's bar charts laid out for server-rendered SVG."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from guanwu.console.domain.menu import chinese_date, chinese_datetime

ANOMALY_TYPES = ("删单", "删改单", "查验", "退单", "其他")
HANDLING_STATUSES = ("未处理", "处理中", "已处理")
DONE = "已处理"
EDITORS = frozenset({"preparer", "reviewer", "manager", "admin"})
"""Who may 新增, 编辑, 变更状态, 删除 and attach (the anomaly API's rule; admin passes every role check)."""
MAX_SELECTED = 500
"""删除 of the ticked rows: the API's `ids` holds at most this many."""
ATTACHMENT_ACCEPT = ".pdf,.png,.jpg,.jpeg,.xlsx,.docx,.txt,.csv"
ATTACHMENT_NOTE = "可上传 PDF、PNG、JPEG、XLSX、DOCX、TXT、CSV 文件（按文件内容识别类型），大小与数量上限以系统设置为准（默认单个文件 20 MB、每条记录 20 个）。"

IE_OPTIONS = (("E", "出口"), ("I", "进口"))
PENALIZED_OPTIONS = (("true", "是"), ("false", "否"))
CATEGORY_NAMES = {"declaration": "报关单异常", "bonded_list": "核注清单异常"}


@dataclass(frozen=True)
class AnomalyScreen:
    slug: str
    category: str
    title: str
    number_label: str
    """报关单号 / 核注清单编号: the record's `document_no`."""

    @property
    def path(self) -> str:
        return f"/console/anomalies/{self.slug}"


SCREENS = {
    "declaration": AnomalyScreen("declaration", "declaration", "报关单异常", "报关单号"),
    "bonded-list": AnomalyScreen("bonded-list", "bonded_list", "核注清单异常", "核注清单编号"),
}
STATISTICS_PATH = "/console/anomalies/statistics"


@dataclass(frozen=True)
class FormField:
    name: str
    """The API's field (and the form's input name)."""
    label: str
    kind: str = "text"
    """text, date, select, textarea"""
    options: tuple[tuple[str, str], ...] = ()
    required: bool = False
    max_length: int | None = None
    wide: bool = False


def _choices(values: Iterable[str]) -> tuple[tuple[str, str], ...]:
    return tuple((v, v) for v in values)


def form_fields(screen: AnomalyScreen, *, new: bool) -> tuple[FormField, ...]:
    """The 异常登记 form in the seed's order, three to a row; 处理状态 only at 新增 (变更状态 changes it)."""
    status = (FormField("handling_status", "处理状态", "select", _choices(HANDLING_STATUSES), required=True),)
    return (
        FormField("document_no", screen.number_label, required=True, max_length=18),
        FormField("trade_name", "境内收发货人", max_length=100),
        FormField("ie_flag", "进出口", "select", IE_OPTIONS),
        FormField("client_name", "委托企业", max_length=100),
        FormField("anomaly_type", "异常类型", "select", _choices(ANOMALY_TYPES), required=True),
        FormField("occurred_on", "发生日期", "date", required=True),
        FormField("responsible_post", "责任岗位", max_length=50),
        FormField("responsible_person", "责任人", max_length=50),
        FormField("penalized", "海关是否处罚", "select", PENALIZED_OPTIONS),
        FormField("penalty_target", "处罚对象", max_length=100),
        *(status if new else ()),
        FormField("completed_on", "完成日期", "date"),
        FormField("reason", "异常原因", "textarea", max_length=500, wide=True),
    )


def form_values(screen: AnomalyScreen, form: Mapping[str, Any], *, new: bool) -> dict[str, str]:
    """The form's fields as typed (trimmed), to show again."""
    return {f.name: str(form.get(f.name) or "").strip() for f in form_fields(screen, new=new)}


def record_values(record: Mapping[str, Any]) -> dict[str, str]:
    """A record as the form shows it."""
    values = {k: "" if v is None else str(v) for k, v in record.items() if not isinstance(v, bool | dict)}
    penalized = record.get("penalized")
    values["penalized"] = "" if penalized is None else ("true" if penalized else "false")
    return values


def missing_fields(screen: AnomalyScreen, values: Mapping[str, str], *, new: bool) -> dict[str, str]:
    """The starred fields left empty, each with its message (the console's own check, before the API's)."""
    return {
        f.name: f"请{'选择' if f.kind == 'select' else '填写'}{f.label}"
        for f in form_fields(screen, new=new)
        if f.required and not values.get(f.name)
    }


def anomaly_body(screen: AnomalyScreen, values: Mapping[str, str], *, new: bool) -> dict[str, Any]:
    """The body of `POST /api/anomaly/anomalies` (new) or `PUT …/{id}`: empty fields are not sent (null);
    完成日期 is sent only where the record is (or is being registered) 已处理."""
    body: dict[str, Any] = {}
    for f in form_fields(screen, new=new):
        value = values.get(f.name, "")
        if f.name == "penalized":
            body[f.name] = {"true": True, "false": False}.get(value)
        elif f.name == "document_no":
            body[f.name] = value.upper()
        else:
            body[f.name] = value or None
    if new:
        body["category"] = screen.category
        if body.get("handling_status") != DONE:
            body["completed_on"] = None
    return {k: v for k, v in body.items() if v is not None}


def field_errors(error: Mapping[str, Any], names: Iterable[str]) -> tuple[dict[str, str], str | None]:
    """The API's 422 by form field (`field` of the form's rules, `fields` of a schema refusal); what names no
    field of the form comes back as a message for the top of the form."""
    known, rest = set(names), []
    found: dict[str, str] = {}
    pairs = [(error.get("field"), error.get("message_zh"))] if error.get("field") else []
    pairs += [(item.get("field"), item.get("message_zh")) for item in error.get("fields") or []]
    for field, message in pairs:
        name = str(field or "").rsplit(".", 1)[-1]
        if name in known:
            found.setdefault(name, str(message or "取值不正确"))
        else:
            rest.append(str(message or ""))
    if found or not pairs:
        return found, "; ".join(m for m in rest if m) or None
    return found, str(error.get("message_zh") or "; ".join(rest))


def next_statuses(current: str) -> list[str]:
    """变更状态's choices: every status but the current one (forward, or back with a reason)."""
    return [s for s in HANDLING_STATUSES if s != current]


def goes_back(current: str, target: str) -> bool:
    order = {s: i for i, s in enumerate(HANDLING_STATUSES)}
    return order.get(target, 0) < order.get(current, 0)


def status_body(form: Mapping[str, Any]) -> dict[str, Any]:
    to_status = str(form.get("to_status") or "")
    completed_on = str(form.get("completed_on") or "").strip()
    reason = str(form.get("reason") or "").strip()
    body: dict[str, Any] = {"to_status": to_status}
    if to_status == DONE and completed_on:
        body["completed_on"] = completed_on
    if reason:
        body["reason"] = reason
    return body


# ── the list ─────────────────────────────────────────────────────────────────────────────────────────────


@dataclass(frozen=True)
class QueryField:
    name: str
    label: str
    kind: str = "text"
    options: tuple[tuple[str, str], ...] = ()
    max_length: int | None = None
    to: str | None = None
    """A range: the second input's name (the first is `name`)."""


@dataclass(frozen=True)
class ListColumn:
    label: str
    key: str
    format: str = "text"


def query_fields(screen: AnomalyScreen) -> tuple[QueryField, ...]:
    """Every field of the seed's 异常登记 form the list may be searched by (the API applies each)."""
    return (
        QueryField("document_no", screen.number_label, max_length=18),
        QueryField("trade_name", "境内收发货人", max_length=100),
        QueryField("ie_flag", "进出口", "select", IE_OPTIONS),
        QueryField("client_name", "委托企业", max_length=100),
        QueryField("anomaly_type", "异常类型", "select", _choices(ANOMALY_TYPES)),
        QueryField("handling_status", "处理状态", "select", _choices(HANDLING_STATUSES)),
        QueryField("occurred_from", "发生日期", "date", to="occurred_to"),
        QueryField("responsible_post", "责任岗位", max_length=50),
        QueryField("responsible_person", "责任人", max_length=50),
        QueryField("penalized", "海关是否处罚", "select", PENALIZED_OPTIONS),
        QueryField("completed_from", "完成日期", "date", to="completed_to"),
    )


def list_columns(screen: AnomalyScreen) -> tuple[ListColumn, ...]:
    return (
        ListColumn(screen.number_label, "document_no"),
        ListColumn("境内收发货人", "trade_name"),
        ListColumn("进出口", "ie_flag", "ie"),
        ListColumn("委托企业", "client_name"),
        ListColumn("异常类型", "anomaly_type"),
        ListColumn("发生日期", "occurred_on", "date"),
        ListColumn("责任岗位", "responsible_post"),
        ListColumn("责任人", "responsible_person"),
        ListColumn("海关是否处罚", "penalized", "bool"),
        ListColumn("处罚对象", "penalty_target"),
        ListColumn("处理状态", "handling_status", "status"),
        ListColumn("完成日期", "completed_on", "date"),
        ListColumn("异常原因", "reason", "wrap"),
        ListColumn("登记人", "registered_by", "who"),
        ListColumn("登记时间", "registered_at", "datetime"),
    )


def query_names(screen: AnomalyScreen) -> list[str]:
    names = []
    for f in query_fields(screen):
        names += [f.name, f.to] if f.to else [f.name]
    return names


def query_values(screen: AnomalyScreen, asked: Mapping[str, str]) -> dict[str, str]:
    """The form's criteria as asked; anything else in the query string is ignored."""
    return {name: str(asked.get(name) or "").strip() for name in query_names(screen)}


def list_params(screen: AnomalyScreen, values: Mapping[str, str]) -> dict[str, str]:
    """The API's query: the criteria given, 报关单号 in upper case (the API matches text exactly)."""
    params = {k: (v.upper() if k == "document_no" else v) for k, v in values.items() if v}
    return {**params, "category": screen.category}


def selected_ids(raw: Sequence[str]) -> list[str]:
    """The ticked rows, each once, in the order ticked."""
    return list(dict.fromkeys(v.strip() for v in raw if v.strip()))


def anomaly_cell(row: Mapping[str, Any], column: ListColumn) -> str:
    value = row.get(column.key)
    if value is None or value == "":
        return ""
    if column.format == "date":
        return chinese_date(str(value))
    if column.format == "datetime":
        return chinese_datetime(str(value))
    if column.format == "ie":
        return dict(IE_OPTIONS).get(str(value), str(value))
    if column.format == "bool":
        return "是" if value else "否"
    if column.format == "who":
        return "系统自动登记" if value == "system" else str(value)
    return str(value)


HISTORY_ACTIONS = {
    "registered": "登记",
    "changed": "修改",
    "status_changed": "变更状态",
    "deleted": "删除",
    "attachment_added": "上传附件",
    "attachment_removed": "删除附件",
}
FIELD_LABELS = {
    "document_no": "单号",
    "trade_name": "境内收发货人",
    "ie_flag": "进出口",
    "client_name": "委托企业",
    "anomaly_type": "异常类型",
    "occurred_on": "发生日期",
    "responsible_post": "责任岗位",
    "responsible_person": "责任人",
    "penalized": "海关是否处罚",
    "penalty_target": "处罚对象",
    "handling_status": "处理状态",
    "completed_on": "完成日期",
    "reason": "异常原因",
    "attachments": "附件",
}


def history_action(entry: Mapping[str, Any]) -> str:
    """The entry's action in Chinese; a change of the attachments alone is 附件变更."""
    fields = {str(c.get("field")) for c in entry.get("changes") or []}
    if entry.get("action") == "changed" and fields == {"attachments"}:
        return "附件变更"
    return HISTORY_ACTIONS.get(str(entry.get("action")), str(entry.get("action")))


def history_changes(entry: Mapping[str, Any]) -> str:
    """One history entry's changed fields: `异常类型：查验 → 退单；…`."""
    parts = []
    for change in entry.get("changes") or []:
        label = FIELD_LABELS.get(str(change.get("field")), str(change.get("field")))
        before, after = change.get("before") or "（空）", change.get("after") or "（空）"
        parts.append(f"{label}：{before} → {after}")
    return "；".join(parts)


def file_size(size: int) -> str:
    if size < 1024:
        return f"{size} B"
    if size < 1024 * 1024:
        return f"{size / 1024:.1f} KB"
    return f"{size / 1024 / 1024:.1f} MB"


# ── 统计分析 ────────────────────────────────────────────────────────────────────────────────────────────

NOT_FILLED = "未填写"


@dataclass(frozen=True)
class Bar:
    label: str
    count: int
    x: float
    y: float
    width: float
    height: float
    series: str = "count"


@dataclass(frozen=True)
class BarChart:
    """A bar chart laid out for SVG: `horizontal` bars (one row per value, labels on the left) or vertical
    ones (months along the bottom, a second series beside the first)."""

    title: str
    bars: tuple[Bar, ...]
    width: int
    height: int
    horizontal: bool
    legend: tuple[tuple[str, str], ...] = ()
    """(series, its Chinese name) for a chart of two series."""

    @property
    def total(self) -> int:
        return sum(b.count for b in self.bars if b.series == "count")

    @property
    def summary(self) -> str:
        """What the chart shows, for a screen reader (the SVG's aria-label)."""
        parts = "，".join(f"{b.label} {b.count} 条" for b in self.bars if b.series == "count")
        return f"{self.title}：{parts or '无数据'}"


LABEL_WIDTH, PLOT_WIDTH, ROW, BAR = 120, 330, 30, 18


def counted(counts: Sequence[Mapping[str, Any]], order: Sequence[Any] = ()) -> list[tuple[str, int]]:
    """A dimension's counts as (label, count): the known values first in their order (0 when absent), then the
    others by count; null is 未填写, booleans 是/否."""
    found: dict[Any, int] = {}
    for c in counts:
        found[c.get("value")] = found.get(c.get("value"), 0) + int(c.get("count") or 0)
    rows = [(v, found.pop(v, 0)) for v in order]
    rows += sorted(found.items(), key=lambda item: (-item[1], str(item[0])))
    return [(_dimension_label(v), n) for v, n in rows]


def _dimension_label(value: Any) -> str:
    if value is None or value == "":
        return NOT_FILLED
    if isinstance(value, bool):
        return "是" if value else "否"
    return str(value)


def horizontal_chart(title: str, rows: Sequence[tuple[str, int]]) -> BarChart:
    top = max((n for _, n in rows), default=0) or 1
    bars = tuple(
        Bar(label, n, LABEL_WIDTH, i * ROW + (ROW - BAR) / 2, round(PLOT_WIDTH * n / top, 1), BAR)
        for i, (label, n) in enumerate(rows)
    )
    return BarChart(title, bars, LABEL_WIDTH + PLOT_WIDTH + 50, max(len(rows), 1) * ROW, horizontal=True)


MONTH_HEIGHT, MONTH_SLOT, MONTH_BAR, MONTH_BOTTOM, MONTH_TOP = 160, 64, 20, 40, 20


def months_between(first: date, last: date) -> list[str]:
    months, (year, month) = [], (first.year, first.month)
    while (year, month) <= (last.year, last.month):
        months.append(f"{year:04d}-{month:02d}")
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return months


def trend_chart(trend: Sequence[Mapping[str, Any]], months: Sequence[str] = ()) -> BarChart:
    """月度趋势: per month (every month asked for, none left out) the records and, beside them, the open ones."""
    by_month = {str(t["month"]): t for t in trend}
    shown = list(months) or sorted(by_month)
    top = max((int(by_month.get(m, {}).get("count", 0)) for m in shown), default=0) or 1
    bars: list[Bar] = []
    for i, month in enumerate(shown):
        entry = by_month.get(month, {})
        for j, series in enumerate(("count", "open")):
            n = int(entry.get(series, 0))
            height = round(MONTH_HEIGHT * n / top, 1)
            x = 40 + i * MONTH_SLOT + 8 + j * (MONTH_BAR + 4)
            bars.append(
                Bar(month_label(month), n, x, MONTH_TOP + MONTH_HEIGHT - height, MONTH_BAR, height, series)
            )
    width = max(40 + len(shown) * MONTH_SLOT + 20, 300)
    legend = (("count", "异常记录"), ("open", "未处理完毕"))
    return BarChart(
        "月度趋势",
        tuple(bars),
        width,
        MONTH_TOP + MONTH_HEIGHT + MONTH_BOTTOM,
        horizontal=False,
        legend=legend,
    )


def month_label(month: str) -> str:
    """`2026-03` -> `2026年03月`."""
    year, _, number = month.partition("-")
    return f"{year}年{number}月" if number else month


def statistics_charts(stats: Mapping[str, Any], months: Sequence[str] = ()) -> list[BarChart]:
    """统计分析's charts from `GET /api/anomaly/statistics`, in the order the page shows them."""
    return [
        horizontal_chart("按异常类型", counted(stats.get("by_type") or [], ANOMALY_TYPES)),
        horizontal_chart("按处理状态", counted(stats.get("by_handling_status") or [], HANDLING_STATUSES)),
        trend_chart(stats.get("trend") or [], months),
        horizontal_chart("按责任岗位", counted(stats.get("by_responsible_post") or [])),
        horizontal_chart("按责任人", counted(stats.get("by_responsible_person") or [])),
        horizontal_chart("按海关是否处罚", counted(stats.get("by_penalized") or [], (True, False))),
    ]


def statistics_range(asked: Mapping[str, str], today: date) -> tuple[str, str]:
    """发生日期's range for 统计分析: as asked, else this month and the eleven before it."""
    year, month = (today.year, today.month - 11) if today.month == 12 else (today.year - 1, today.month + 1)
    start = date(year, month, 1)
    first = str(asked.get("occurred_from") or "").strip() if "q" in asked else start.isoformat()
    last = str(asked.get("occurred_to") or "").strip() if "q" in asked else today.isoformat()
    return first, last


def parse_day(text: str) -> date | None:
    try:
        return date.fromisoformat(text)
    except ValueError:
        return None
