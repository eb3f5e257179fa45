"""列表导出 (F-32): the columns of each exported list — Chinese header and the cell a row gives. Pure.

Where a list shows a code people read by its name (监管方式, 申报地海关, 申报状态 …), the sheet has the code and,
in the next column, its name from the kernel's code tables (`guanwu.customs.codes`) or the contracts' name
tables; an unknown code leaves the name empty rather than guessing. Lists of values (商品编号, 商品名称, 企业类别)
are one cell, joined by "、". Times are the rows' datetimes (the sheet shows them in Beijing time).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Generic, TypeVar

from guanwu.contracts.declaration.document import DocumentKind
from guanwu.contracts.sync import BONDED_LIST_STATUS_NAMES, DATA_SOURCE_NAMES, ENTERPRISE_CATEGORY_NAMES
from guanwu.customs.codes import CodeTable, Table, load_default_tables
from guanwu.customs.messages.receipts import ReceiptStatus
from guanwu.query.domain.bonded_lists import BondedListRow
from guanwu.query.domain.declarations import ORIGIN_NAMES, TWO_STEP_NAMES, DeclarationRow

R = TypeVar("R")

IE_FLAG_NAMES = {"I": "进口", "E": "出口"}
JOINED = "、"


@dataclass(frozen=True)
class Column(Generic[R]):
    header: str
    value: Callable[[R], Any]


def _table(name: Table) -> CodeTable:
    return load_default_tables()[name]


def code_name(table: Table, code: str | None) -> str | None:
    """The code's Chinese name in the kernel's table; None for no code or an unknown one."""
    return (_table(table).name_of(code) or None) if code else None


def kind_name(kind: str | None) -> str | None:
    try:
        return DocumentKind(kind).label if kind else None
    except ValueError:
        return kind


def channel_name(channel: str | None, named: str | None) -> str | None:
    """申报状态 in words: the row's own name, else the kernel's CHANNEL table's."""
    if named or not channel:
        return named
    status = ReceiptStatus.from_channel(channel)
    return status.label if status is not ReceiptStatus.UNKNOWN else None


def joined(values: Iterable[str | None]) -> str | None:
    text = JOINED.join(v for v in values if v)
    return text or None


def header_row(columns: Sequence[Column[R]]) -> list[str]:
    return [c.header for c in columns]


def cells(columns: Sequence[Column[R]], row: R) -> list[Any]:
    return [c.value(row) for c in columns]


D = DeclarationRow
DECLARATION_COLUMNS: tuple[Column[DeclarationRow], ...] = (
    Column[D]("系统编号", lambda r: r.declaration_id),
    Column[D]("申报单号", lambda r: r.client_seq_no),
    Column[D]("统一编号", lambda r: r.seq_no),
    Column[D]("海关编号", lambda r: r.entry_id),
    Column[D]("提运单号", lambda r: r.bill_no),
    Column[D]("进出口标志", lambda r: IE_FLAG_NAMES.get(r.ie_flag, r.ie_flag)),
    Column[D]("单据类型", lambda r: kind_name(r.kind)),
    Column[D]("两步申报", lambda r: TWO_STEP_NAMES.get(r.two_step or "", "一次申报")),
    Column[D]("审核状态", lambda r: r.review_status),
    Column[D]("系统状态", lambda r: r.status),
    Column[D]("申报状态代码", lambda r: r.channel),
    Column[D]("申报状态", lambda r: channel_name(r.channel, r.channel_name)),
    Column[D]("回执时间", lambda r: r.receipt_at),
    Column[D]("回执说明", lambda r: r.receipt_note),
    Column[D]("申报地海关代码", lambda r: r.custom_master),
    Column[D]("申报地海关", lambda r: code_name(Table.CUSTOMS_DISTRICT, r.custom_master)),
    Column[D]("申报地（进出境关别）代码", lambda r: r.ie_port),
    Column[D]("申报地（进出境关别）", lambda r: code_name(Table.CUSTOMS_DISTRICT, r.ie_port)),
    Column[D]("境内收发货人代码", lambda r: r.trade_code),
    Column[D]("境内收发货人", lambda r: r.trade_name),
    Column[D]("申报单位代码", lambda r: r.agent_code),
    Column[D]("申报单位", lambda r: r.agent_name),
    Column[D]("消费使用/生产销售单位代码", lambda r: r.owner_code),
    Column[D]("消费使用/生产销售单位", lambda r: r.owner_name),
    Column[D]("监管方式代码", lambda r: r.trade_mode),
    Column[D]("监管方式", lambda r: code_name(Table.TRADE_MODE, r.trade_mode)),
    Column[D]("商品项数", lambda r: r.goods_count),
    Column[D]("商品编号", lambda r: joined(r.hs_codes)),
    Column[D]("商品名称", lambda r: joined(r.goods_names)),
    Column[D](
        "企业类别", lambda r: joined(ENTERPRISE_CATEGORY_NAMES.get(c, c) for c in r.enterprise_categories)
    ),
    Column[D]("数据来源", lambda r: ORIGIN_NAMES.get(r.origin, r.origin)),
    Column[D]("制单人", lambda r: r.prepared_by),
    Column[D]("申报日期", lambda r: r.declared_at),
    Column[D]("最近操作时间", lambda r: r.updated_at),
)
"""报关数据查询 and 概要申报数据查询: every column of the list, codes with their names."""

B = BondedListRow
BONDED_LIST_COLUMNS: tuple[Column[BondedListRow], ...] = (
    Column[B]("统一编号", lambda r: r.seq_no),
    Column[B]("清单编号", lambda r: r.bond_invt_no),
    Column[B]("进出口标志", lambda r: IE_FLAG_NAMES.get(r.ie_flag or "", r.ie_flag)),
    Column[B]("经营企业名称", lambda r: r.trade_name),
    Column[B]("数据状态代码", lambda r: r.list_stat),
    Column[B]("数据状态", lambda r: r.list_stat_name or BONDED_LIST_STATUS_NAMES.get(r.list_stat or "")),
    Column[B]("审批意见", lambda r: r.note),
    Column[B]("状态时间", lambda r: r.status_at),
    Column[B]("数据源代码", lambda r: r.data_source),
    Column[B]("数据源", lambda r: DATA_SOURCE_NAMES.get(r.data_source or "")),
    Column[B]("生成报关单统一编号", lambda r: r.entry_seq_no),
    Column[B]("已同步", lambda r: "是" if r.synced else "否（仅收到回执）"),
    Column[B]("最近操作时间", lambda r: r.sw_updated_at),
)
"""核注清单查询: the list's columns."""


def export_filename(title: str, now: datetime) -> str:
    return f"{title}-{now:%Y%m%d-%H%M%S}.xlsx"
