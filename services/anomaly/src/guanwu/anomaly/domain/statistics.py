"""异常统计分析 (F-23): counts of a tenant's anomaly records, aggregated from the anomaly events. Pure: no I/O.

The counts are kept per category, month of 发生日期, dimension and value ("declaration|2026-03|anomaly_type|删单"
→ 3), so a query sums the months of its 发生日期 range and the category it asks for; the range is therefore
taken in whole months.

A `Shard` holds, besides its counts, what it counted for each record it saw (the record's version and facts).
An event moves its record's contribution from what was counted to the event's `after` facts (nothing after a
deletion), and only if its version is above the one counted: a redelivered or overtaken event changes
nothing, and a lost event is made good by the next one (the event's `before` is not needed). A record's
contribution and the counts it is part of live in the one shard (one document, one table entry), so every
change is a single write: a crash between two writes cannot count an event without remembering it.
"""

from __future__ import annotations

import zlib
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date

from pydantic import BaseModel, ConfigDict, Field

from guanwu.contracts.events.anomaly import (
    AnomalyChangeEvent,
    AnomalyDeleted,
    AnomalyEvent,
    AnomalyFacts,
    AnomalyRegistered,
)
from guanwu.platform.refusal import InvalidRequest

SHARDS = 16
"""Shards per tenant (per Kafka partition in the stream process). Fixed: a record's shard derives from its id.
A shard's document carries its records' facts (~200 bytes each), so 16 keep a shard of a tenant with 100 000
records under 1 MB (a Kafka message's default limit)."""

DIMENSIONS = (
    "anomaly_type",
    "responsible_post",
    "responsible_person",
    "penalized",
    "handling_status",
)
"""What is counted per month (异常类型, 责任岗位, 责任人, 海关是否处罚, 处理状态); the month itself is the trend."""

OPEN_STATUSES = ("未处理", "处理中")
_UNSET = ""


@dataclass(frozen=True)
class Change:
    """What one event says of one record: its version after the change and its facts (None: deleted)."""

    tenant: str
    anomaly_id: str
    version: int
    facts: AnomalyFacts | None


def change_of(tenant: str, event: AnomalyEvent) -> Change | None:
    """The change an anomaly event makes to the counts; None for an event the statistics do not count."""
    if isinstance(event, AnomalyDeleted):
        return Change(tenant, event.anomaly_id, event.version, None)
    if isinstance(event, AnomalyChangeEvent):  # AnomalyChanged, AnomalyStatusChanged
        return Change(tenant, event.anomaly_id, event.version, event.after)
    if isinstance(event, AnomalyRegistered):
        return Change(tenant, event.anomaly_id, event.version, event.facts or _flat_facts(event))
    return None


def _flat_facts(event: AnomalyRegistered) -> AnomalyFacts:
    """Events of before 2026-11-30 carry no `facts`: what their flat fields say."""
    return AnomalyFacts(
        category=event.category,
        anomaly_type=event.anomaly_type,
        occurred_on=event.occurred_on,
        handling_status=event.handling_status,
    )


def shard_of(anomaly_id: str) -> int:
    """The shard a record is counted in: stable across processes and restarts (not Python's `hash`)."""
    return zlib.crc32(anomaly_id.encode("utf-8")) % SHARDS


def month_of(day: date) -> str:
    return f"{day.year:04d}-{day.month:02d}"


def bucket_keys(facts: AnomalyFacts) -> list[str]:
    """The counters one record adds 1 to: `category|month|dimension|value` (an unset value is empty)."""
    prefix = f"{facts.category}|{month_of(facts.occurred_on)}"
    return [f"{prefix}|{dimension}|{_value_text(getattr(facts, dimension))}" for dimension in DIMENSIONS]


def _value_text(value: object) -> str:
    if value is None:
        return _UNSET
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value).replace("|", "/")


class Counted(BaseModel):
    """What a shard counted for one record: its version, and its facts unless it was deleted."""

    model_config = ConfigDict(extra="ignore")

    version: int
    facts: AnomalyFacts | None = None


class Shard(BaseModel):
    """Part of a tenant's statistics: the counts of some records, and what was counted for each of them."""

    model_config = ConfigDict(extra="ignore")

    records: dict[str, Counted] = Field(default_factory=dict)
    counts: dict[str, int] = Field(default_factory=dict)

    def apply(self, change: Change) -> bool:
        """Count `change`; False (and nothing changes) when its version is not above the one counted."""
        counted = self.records.get(change.anomaly_id)
        if counted is not None and change.version <= counted.version:
            return False
        if counted is not None and counted.facts is not None:
            for key in bucket_keys(counted.facts):
                left = self.counts.get(key, 0) - 1
                if left > 0:
                    self.counts[key] = left
                else:
                    self.counts.pop(key, None)
        if change.facts is not None:
            for key in bucket_keys(change.facts):
                self.counts[key] = self.counts.get(key, 0) + 1
        self.records[change.anomaly_id] = Counted(version=change.version, facts=change.facts)
        return True


@dataclass(frozen=True)
class StatisticsQuery:
    """发生日期 range (its months, both inclusive; None: unbounded) and category (None: both)."""

    occurred_from: date | None = None
    occurred_to: date | None = None
    category: str | None = None

    def takes(self, category: str, month: str) -> bool:
        if self.category is not None and category != self.category:
            return False
        if self.occurred_from is not None and month < month_of(self.occurred_from):
            return False
        return self.occurred_to is None or month <= month_of(self.occurred_to)


class InvalidRange(InvalidRequest):
    """A 发生日期 range that ends before it starts (HTTP 422)."""

    def __init__(self) -> None:
        super().__init__(
            "anomaly.invalid_range",
            "发生日期范围有误：结束日期（occurred_to）不能早于开始日期（occurred_from）",
            "发生日期: occurred_to must not be before occurred_from",
            field="occurred_to",
        )


def statistics_query(
    occurred_from: date | None, occurred_to: date | None, category: str | None
) -> StatisticsQuery:
    if occurred_from is not None and occurred_to is not None and occurred_to < occurred_from:
        raise InvalidRange()
    return StatisticsQuery(occurred_from, occurred_to, category)


class Count(BaseModel):
    value: str | bool | None = Field(description="The dimension's value (null: not filled in)")
    count: int


class MonthCount(BaseModel):
    month: str = Field(description="YYYY-MM of 发生日期")
    count: int
    open: int = Field(description="未处理 or 处理中")
    by_type: dict[str, int] = Field(description="异常类型 → count")


class Statistics(BaseModel):
    """异常统计分析: a tenant's records counted by each dimension over the months asked for."""

    total: int
    by_type: list[Count] = Field(description="异常类型")
    by_month: list[Count] = Field(description="发生日期's month")
    by_responsible_post: list[Count] = Field(description="责任岗位")
    by_responsible_person: list[Count] = Field(description="责任人")
    by_penalized: list[Count] = Field(description="海关是否处罚")
    by_handling_status: list[Count] = Field(description="处理状态")
    trend: list[MonthCount] = Field(description="Month by month, oldest first")


def summarise(counts: Iterable[Mapping[str, int]], query: StatisticsQuery) -> Statistics:
    """The statistics that the counters of all a tenant's shards give for `query`."""
    by: dict[str, Counter[str]] = {dimension: Counter() for dimension in DIMENSIONS}
    months: dict[str, Counter[str]] = {}
    open_by_month: Counter[str] = Counter()
    for shard_counts in counts:
        for key, n in shard_counts.items():
            category, month, dimension, value = key.split("|", 3)
            if n <= 0 or dimension not in by or not query.takes(category, month):
                continue
            by[dimension][value] += n
            if dimension == "anomaly_type":
                months.setdefault(month, Counter())[value] += n
            elif dimension == "handling_status" and value in OPEN_STATUSES:
                open_by_month[month] += n
    trend = [
        MonthCount(
            month=month,
            count=sum(types.values()),
            open=open_by_month[month],
            by_type=dict(sorted(types.items())),
        )
        for month, types in sorted(months.items())
    ]
    return Statistics(
        total=sum(by["anomaly_type"].values()),
        by_type=_counts(by["anomaly_type"]),
        by_month=[Count(value=m.month, count=m.count) for m in trend],
        by_responsible_post=_counts(by["responsible_post"]),
        by_responsible_person=_counts(by["responsible_person"]),
        by_penalized=_counts(by["penalized"], boolean=True),
        by_handling_status=_counts(by["handling_status"]),
        trend=trend,
    )


def _counts(counter: Counter[str], *, boolean: bool = False) -> list[Count]:
    """Most first, then by value; the unset value is null (a boolean dimension's values are true/false)."""
    return [
        Count(value=_value_of(text, boolean), count=n)
        for text, n in sorted(counter.items(), key=lambda item: (-item[1], item[0]))
    ]


def _value_of(text: str, boolean: bool) -> str | bool | None:
    if text == _UNSET:
        return None
    return text == "true" if boolean else text


def recount(facts: Iterable[AnomalyFacts], query: StatisticsQuery) -> Statistics:
    """The statistics counted afresh from records' facts (what the aggregation must always equal)."""
    counts: Counter[str] = Counter()
    for one in facts:
        counts.update(bucket_keys(one))
    return summarise([counts], query)
