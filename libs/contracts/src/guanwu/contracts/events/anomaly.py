"""Events published by the anomaly service on `anomaly.events.v1`.

Every event after AnomalyRegistered carries the record's statistical facts before and after the change
(`AnomalyFacts`), so a stream aggregation (异常统计分析, F-23) can move a count from one bucket to another
without reading the records; `version` orders the changes of one record.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import ClassVar

from pydantic import BaseModel, ConfigDict, Field

from guanwu.contracts import topics
from guanwu.contracts.events.base import REGISTRY, Event, event_type_name


class AnomalyFacts(BaseModel):
    """What the statistics count a record by (the seed's 统计分析 dimensions)."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    category: str = Field(description="declaration (报关单异常) or bonded_list (核注清单异常)")
    anomaly_type: str = Field(description="异常类型")
    occurred_on: date = Field(description="发生日期 (its month is the trend's bucket)")
    responsible_post: str | None = Field(default=None, max_length=50, description="责任岗位")
    responsible_person: str | None = Field(default=None, max_length=50, description="责任人")
    penalized: bool | None = Field(default=None, description="海关是否处罚")
    handling_status: str = Field(description="处理状态: 未处理, 处理中, 已处理")


class AnomalyEvent(Event):
    """What every change of one record carries; keyed by the record so its changes stay in order."""

    anomaly_id: str
    version: int = Field(default=1, ge=1, description="The record's version after this change")

    topic: ClassVar[str] = topics.ANOMALY_EVENTS
    owner: ClassVar[str] = "anomaly"

    def aggregate_id(self) -> str:
        return self.anomaly_id


@REGISTRY.register
class AnomalyRegistered(AnomalyEvent):
    """A 报关单异常 or 核注清单异常 record was registered (by hand or from a receipt)."""

    category: str = Field(description="declaration (报关单异常) or bonded_list (核注清单异常)")
    document_no: str = Field(description="报关单号 / 核注清单编号")
    anomaly_type: str = Field(description="异常类型, e.g. 删单, 查验, 退单")
    occurred_on: date = Field(description="发生日期")
    handling_status: str = Field(description="处理状态")
    source_receipt_id: str | None = Field(
        default=None, description="The receipt that caused it, if automatic"
    )
    facts: AnomalyFacts | None = Field(
        default=None, description="The record's statistical facts (absent in events of before 2026-11-30)"
    )

    event_type: ClassVar[str] = event_type_name("anomaly", "AnomalyRegistered")


class FieldChange(BaseModel):
    """One field of a record as it was and as it is now (its history keeps these too)."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    field: str = Field(max_length=64)
    before: str | None = Field(default=None, max_length=1000)
    after: str | None = Field(default=None, max_length=1000)


class AnomalyChangeEvent(AnomalyEvent):
    before: AnomalyFacts
    after: AnomalyFacts
    changed_by: str = Field(max_length=64, description="user id")
    changed_at: datetime


@REGISTRY.register
class AnomalyChanged(AnomalyChangeEvent):
    """A record's fields were edited (not its 处理状态: that is AnomalyStatusChanged)."""

    changes: list[FieldChange] = Field(default_factory=list, max_length=50)

    event_type: ClassVar[str] = event_type_name("anomaly", "AnomalyChanged")


@REGISTRY.register
class AnomalyStatusChanged(AnomalyChangeEvent):
    """变更状态: 未处理 → 处理中 → 已处理, or reopened with a reason."""

    from_status: str
    to_status: str
    completed_on: date | None = Field(default=None, description="完成日期 (required at 已处理)")
    reason: str | None = Field(default=None, max_length=500, description="Why (required to reopen)")

    event_type: ClassVar[str] = event_type_name("anomaly", "AnomalyStatusChanged")


@REGISTRY.register
class AnomalyDeleted(AnomalyChangeEvent):
    """删除: the record left the lists (kept for audit); `after` equals `before`, statistics drop it."""

    reason: str | None = Field(default=None, max_length=500)

    event_type: ClassVar[str] = event_type_name("anomaly", "AnomalyDeleted")
