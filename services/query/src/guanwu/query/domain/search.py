"""What the declaration list is searched by (`DeclarationSearch`), its order and its keyset cursor. Pure.

Every criterion is a store filter the three stores evaluate alike (`guanwu.platform.store.filters`), so the
total and the pages are the stores' own: no filtering in Python after the fact.
"""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass, fields
from datetime import date, datetime, time, timedelta
from typing import Any, Literal

from guanwu.platform.refusal import InvalidRequest
from guanwu.query.domain.bonded_lists import SINGLE_WINDOW_TIME, InvalidRange, TimeOutOfRange, aware, utc_text
from guanwu.query.domain.declarations import FILTERABLE, SORT_KEY_FIELDS, query_tokens

SortField = Literal["updated_at", "declared_at", "seq_no", "entry_id"]
SortOrder = Literal["asc", "desc"]

EXACT = FILTERABLE
"""Criteria matched exactly (numbers, codes, states); the column has the criterion's name."""


TIME_FLOOR = ""
TIME_CEILING = ":"
"""Text bounds below and above every stored time (fixed-width UTC text, starting with a digit) and every sort key
made of one."""


class InvalidCursor(InvalidRequest):
    """A cursor this list did not give, or one given for another order (HTTP 422)."""

    def __init__(self) -> None:
        super().__init__(
            "query.invalid_cursor",
            "翻页游标无效：请使用上一页返回的 next_cursor，且排序条件不变",
            "cursor: not a next_cursor this list gave for the same sort and order",
            field="cursor",
        )


class DateRangeInvalid(InvalidRequest):
    """A 申报日期 range that ends before it starts."""

    def __init__(self) -> None:
        super().__init__(
            "query.invalid_range",
            "申报日期范围有误：结束时间（declared_to）须晚于开始时间（declared_from）",
            "申报日期: declared_to must be after declared_from",
            field="declared_to",
        )


@dataclass(frozen=True)
class DeclarationSearch:
    """The list's criteria; None matches anything. Times without an offset are Beijing time; `*_from` is
    inclusive, `*_to` exclusive. `trade_name` (境内收发货人) and `goods_name` (商品名称) match contained text
    (case and blanks ignored), `hs_code` and `enterprise_category` any of the row's values."""

    declaration_id: str | None = None
    client_seq_no: str | None = None
    seq_no: str | None = None
    entry_id: str | None = None
    bill_no: str | None = None
    ie_flag: str | None = None
    kind: str | None = None
    status: str | None = None
    review_status: str | None = None
    custom_master: str | None = None
    ie_port: str | None = None
    trade_code: str | None = None
    trade_mode: str | None = None
    prepared_by: str | None = None
    channel: str | None = None
    two_step: str | None = None
    origin: str | None = None
    trade_name: str | None = None
    goods_name: str | None = None
    hs_code: str | None = None
    enterprise_category: str | None = None
    updated_from: datetime | None = None
    updated_to: datetime | None = None
    declared_from: datetime | None = None
    declared_to: datetime | None = None

    def __post_init__(self) -> None:
        for name in ("updated_from", "updated_to", "declared_from", "declared_to"):
            moment = getattr(self, name)
            try:
                _ = moment is not None and utc_text(moment)
            except OverflowError:
                raise TimeOutOfRange(name) from None
        if self.updated_from and self.updated_to and aware(self.updated_to) <= aware(self.updated_from):
            raise InvalidRange()
        if self.declared_from and self.declared_to and aware(self.declared_to) <= aware(self.declared_from):
            raise DateRangeInvalid()

    def filter(self, tenant: str) -> dict[str, Any]:
        """The store filter of these criteria within the tenant."""
        query: dict[str, Any] = {"tenant": tenant}
        query.update({name: getattr(self, name) for name in EXACT if getattr(self, name) is not None})
        for column, text in (("trade_name_tokens", self.trade_name), ("goods_name_tokens", self.goods_name)):
            tokens = query_tokens(text or "")
            if tokens:
                query[column] = {"$all": tokens}
        if self.hs_code is not None:
            query["hs_codes"] = self.hs_code
        if self.enterprise_category is not None:
            query["enterprise_categories"] = self.enterprise_category
        # 最近操作时间 is ranged on the default order's key (the fixed-width time, then `|` and the id): the
        # same rows as on `updated_at`, and one index serves the range and the order.
        for column, start, end in (
            ("sort_updated", self.updated_from, self.updated_to),
            ("declared_at", self.declared_from, self.declared_to),
        ):
            window = {op: utc_text(m) for op, m in (("$gte", start), ("$lt", end)) if m is not None}
            if window:
                # Closed on both sides by text (the open side by a bound past every stored time): the same
                # rows (a range on a text matches only texts), but the SQLite store then answers the range
                # from an index alone — one open side made it read every row in the range to check its type.
                query[column] = {"$gte": TIME_FLOOR, "$lt": TIME_CEILING, **window}
        return query

    def given(self) -> dict[str, Any]:
        """The criteria set (for logs and the export's title)."""
        return {f.name: getattr(self, f.name) for f in fields(self) if getattr(self, f.name) is not None}


def last_days(days: int, *, now: datetime) -> datetime:
    """The start (Beijing midnight) of the last `days` days including today, Beijing time: the lists' default
    最近操作时间 window."""
    today: date = aware(now).astimezone(SINGLE_WINDOW_TIME).date()
    return datetime.combine(today - timedelta(days=days - 1), time(), tzinfo=SINGLE_WINDOW_TIME)


@dataclass(frozen=True)
class Order:
    """The list's order: a sortable field, ascending or descending, ties broken by the declaration id."""

    field: SortField = "updated_at"
    order: SortOrder = "desc"

    @property
    def key(self) -> str:
        return SORT_KEY_FIELDS[self.field]

    @property
    def direction(self) -> int:
        return 1 if self.order == "asc" else -1

    def after(self, query: dict[str, Any], cursor: str | None) -> dict[str, Any]:
        """`query` narrowed to the rows after the cursor's row in this order (as it is without a cursor)."""
        if cursor is None:
            return query
        op, key = ("$gt", max) if self.direction > 0 else ("$lt", min)
        bound = self.decode(cursor)
        window = dict(query.get(self.key) or {})
        window[op] = key(window[op], bound) if op in window else bound
        return {**query, self.key: window}

    def encode(self, row: dict[str, Any]) -> str:
        """The opaque cursor of the rows after `row` (a stored row, holding its sort key)."""
        raw = json.dumps([self.field, self.order, row[self.key]], ensure_ascii=False).encode()
        return base64.urlsafe_b64encode(raw).decode().rstrip("=")

    def decode(self, cursor: str) -> str:
        try:
            raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
            field, order, value = json.loads(raw)
        except (binascii.Error, ValueError, TypeError):
            raise InvalidCursor() from None
        if (field, order) != (self.field, self.order) or not isinstance(value, str):
            raise InvalidCursor()
        return value
