"""The review list's criteria (F-10) as a store filter, and its default period. Pure: no I/O.

最近操作时间 is a range of China-time days (from and to inclusive); without either bound the list shows the
last 7 days: from the day a week before today to today, as the seed's screen does (前 12-21, 后 12-28).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from typing import Any, Literal

CHINA_TIME = timezone(timedelta(hours=8), "北京时间")
DEFAULT_DAYS = 7

SortField = Literal["updated_at", "submitted_at", "seq_no", "entry_id", "declaration_id"]


@dataclass(frozen=True)
class ReviewCriteria:
    """Every query field of the seed's 报关单审核 screen; None matches all."""

    client_seq_no: str | None = None  # 申报单号
    bill_no: str | None = None  # 提运单号
    ie_flag: str | None = None  # 进出口标志
    status: str | None = None  # 审核状态
    custom_master: str | None = None  # 申报地海关
    trade_name: str | None = None  # 境内收发货人 (name)
    trade_code: str | None = None  # 境内收发货人 (海关编码)
    prepared_by: str | None = None  # 制单人
    ie_port: str | None = None  # 申报地
    declare_mode: str | None = None  # 普通申报 0 / 概要申报 5 / 完整申报 6
    declaration_id: str | None = None  # 系统编号
    seq_no: str | None = None  # 统一编号
    entry_id: str | None = None  # 海关编号
    declare_status: str | None = None  # 申报状态 (CHANNEL)
    enterprise_category: str | None = None  # 企业类别 → enterprise_categories
    declaring_unit: str | None = None  # 报关/录入单位 (申报单位 or 录入单位 code) → declaring_units


_ARRAY_FIELDS = {"enterprise_category": "enterprise_categories", "declaring_unit": "declaring_units"}


def china_day_start(day: date) -> str:
    """The stored text (UTC, fixed width) of the moment a China-time day begins: a lower bound that sorts
    below every moment of that day whatever its fraction of a second. China time is UTC+8 all year, so it
    is 16:00 UTC the day before — written as text, since for 0001-01-01 that day is before `date.min`."""
    before = "0000-12-31" if day == date.min else (day - timedelta(days=1)).isoformat()
    return f"{before}T16:00:00"


def china_day_end(day: date) -> str:
    """The stored text of the moment the China-time day after `day` begins (an exclusive upper bound)."""
    return f"{day.isoformat()}T16:00:00"


def period(updated_from: date | None, updated_to: date | None, *, now: datetime) -> tuple[date, date]:
    """The 最近操作时间 days asked, or the default 7 days up to today (China time) for a bound not given."""
    today = now.astimezone(CHINA_TIME).date()
    end = updated_to or (today if updated_from is None else max(today, updated_from))
    start = updated_from or _days_before(end, DEFAULT_DAYS)
    return start, end


def _days_before(day: date, days: int) -> date:
    return day - timedelta(days=days) if day.toordinal() > days else date.min


def store_filter(tenant: str, criteria: ReviewCriteria, start: date, end: date) -> dict[str, Any]:
    query: dict[str, Any] = {"tenant": tenant}
    for name, value in vars(criteria).items():
        if value is not None:
            query[_ARRAY_FIELDS.get(name, name)] = value
    query["updated_at"] = {"$gte": china_day_start(start), "$lt": china_day_end(end)}
    return query
