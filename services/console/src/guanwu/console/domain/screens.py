"""The console's list screens: which API each reads, the seed's query fields that API supports, the columns.

A filter the seed shows but the API cannot apply is left out of the form rather than shown and ignored; each
screen's `note` says what is missing."""

from __future__ import annotations

from dataclasses import dataclass, field

from guanwu.console.domain.menu import DECLARATION_SCREENS, chinese_date, chinese_datetime

IE_FLAGS = (("", "全部"), ("E", "出口"), ("I", "进口"))
KINDS = (
    ("", "全部"),
    ("declaration", "报关单"),
    ("record_list", "备案清单"),
    ("transit_declaration", "转关提前报关单"),
    ("transit_record_list", "转关提前备案清单"),
)
DECLARATION_STATUSES = [
    "草稿",
    "待审核",
    "审核通过",
    "审核退回",
    "申报中",
    "申报失败",
    "已申报",
    "已删除",
    "入库成功",
    "查验",
    "放行",
    "结关",
    "退单",
    "删单",
]
REVIEW_STATUSES = ("待审核", "审核通过", "审核退回", "已撤回")


def _all(values: tuple[str, ...] | list[str]) -> tuple[tuple[str, str], ...]:
    return (("", "全部"), *((v, v) for v in values))


@dataclass(frozen=True)
class Filter:
    name: str
    """The API's query parameter."""
    label: str
    options: tuple[tuple[str, str], ...] = ()
    """(value, label) of a select; empty: a text input."""
    input_type: str = "text"
    max_length: int | None = None


@dataclass(frozen=True)
class Column:
    label: str
    key: str
    format: str = "text"
    """text, datetime, date, ie (I/E as 进口/出口), kind (DocumentKind in Chinese), bool"""


@dataclass(frozen=True)
class ListScreen:
    title: str
    service: str
    path: str
    filters: tuple[Filter, ...]
    columns: tuple[Column, ...]
    row_id: str
    fixed: dict[str, str] = field(default_factory=dict)
    """Query parameters the screen always sends (e.g. 出口 + 报关单)."""
    note: str | None = None
    detail_path: str | None = None
    """Where a row's 查看 leads (`{id}` is the row id); None: no detail screen yet."""
    detail_label: str = "查看"


_SEQ_NO = Filter("seq_no", "统一编号", max_length=18)
_BILL_NO = Filter("bill_no", "提运单号", max_length=32)
_CUSTOM_MASTER = Filter("custom_master", "申报地海关", max_length=4)
_TRADE_NAME = Filter("trade_name", "境内收发货人", max_length=100)
_ENTRY_ID = Filter("entry_id", "海关编号", max_length=18)

_SUMMARY_COLUMNS = (
    Column("进出口标志", "ie_flag", "ie"),
    Column("单据类型", "kind", "kind"),
    Column("系统编号", "declaration_id"),
    Column("统一编号", "seq_no"),
    Column("海关编号", "entry_id"),
    Column("系统状态", "status"),
    Column("申报地海关", "custom_master"),
    Column("境内收发货人", "trade_name"),
    Column("提运单号", "bill_no"),
    Column("制单人", "prepared_by"),
    Column("最近操作时间", "updated_at", "datetime"),
)

# The list reads the query service's projection (the declaration API cannot filter by 进出口标志 and 单据类型),
# so a change shows once the projection has it: say so to the user, without the plumbing.
_DRAFTING_NOTE = "刚保存或提交的报关单可能在数秒后才出现在列表中。"


def declaration_screen(slug: str) -> ListScreen:
    title, ie_flag, kind = DECLARATION_SCREENS[slug]
    return ListScreen(
        title=title,
        service="query",
        path="/api/query/declarations",
        filters=(
            _SEQ_NO,
            _ENTRY_ID,
            _BILL_NO,
            _CUSTOM_MASTER,
            _TRADE_NAME,
            Filter("status", "系统状态", _all(DECLARATION_STATUSES)),
        ),
        columns=_SUMMARY_COLUMNS,
        row_id="declaration_id",
        fixed={"ie_flag": ie_flag, "kind": kind},
        note=_DRAFTING_NOTE,
        detail_path="/console/declarations/{id}",
    )


REVIEW_TASKS = ListScreen(
    title="报关单审核",
    service="review",
    path="/api/review/tasks",
    filters=(
        Filter("client_seq_no", "申报单号", max_length=18),
        _BILL_NO,
        Filter("ie_flag", "进出口标志", IE_FLAGS),
        Filter("status", "审核状态", _all(REVIEW_STATUSES)),
        Filter("custom_master", "申报地海关", max_length=4),
        Filter("trade_name", "境内收发货人", max_length=100),
        Filter("updated_from", "最近操作时间 从", input_type="date"),
        Filter("updated_to", "至", input_type="date"),
        Filter("prepared_by", "制单人", max_length=64),
        Filter("ie_port", "申报地", max_length=4),
        Filter(
            "declare_mode",
            "普通申报",
            (("", "全部"), ("0", "普通申报"), ("5", "概要申报"), ("6", "完整申报")),
        ),
        Filter("declaration_id", "系统编号", max_length=64),
        Filter("seq_no", "统一编号", max_length=18),
        Filter("entry_id", "海关编号", max_length=18),
        Filter("declare_status", "申报状态", max_length=2),
        Filter(
            "enterprise_category",
            "企业类别",
            (("", "全部"), ("1", "境内收发货人"), ("2", "申报单位"), ("3", "消费使用/生产销售单位")),
        ),
        Filter("declaring_unit", "报关/入单位", max_length=18),
    ),
    columns=(
        Column("进出口标志", "ie_flag", "ie"),
        Column("系统编号", "declaration_id"),
        Column("申报单号", "client_seq_no"),
        Column("系统状态", "declaration_status"),
        Column("申报状态", "declare_status_name"),
        Column("统一编号", "seq_no"),
        Column("海关编号", "entry_id"),
        Column("申报地海关", "custom_master"),
        Column("审核状态", "status"),
        Column("最近操作时间", "updated_at", "datetime"),
    ),
    row_id="review_id",
    detail_path="/console/review/{id}",
    detail_label="审核",
    note="最近操作时间不填时，默认显示最近 7 天（北京时间）的审核任务。",
)


_IE = {"I": "进口", "E": "出口"}
_KIND = dict(KINDS[1:])


def format_cell(value: object, fmt: str) -> str:
    """A cell as the seed's tables write it: Chinese dates, 进口/出口, 是/否."""
    if value is None or value == "":
        return ""
    if fmt == "datetime":
        return chinese_datetime(str(value))
    if fmt == "date":
        return chinese_date(str(value))
    if fmt == "ie":
        return _IE.get(str(value), str(value))
    if fmt == "kind":
        return _KIND.get(str(value), str(value))
    if fmt == "bool":
        return "是" if value else "否"
    return str(value)
