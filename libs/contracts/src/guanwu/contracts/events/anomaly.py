"""Events published by the anomaly service on `anomaly.events.v1`."""

from __future__ import annotations

from datetime import date
from typing import ClassVar

from pydantic import Field

from guanwu.contracts import topics
from guanwu.contracts.events.base import REGISTRY, Event, event_type_name


@REGISTRY.register
class AnomalyRegistered(Event):
    """A 报关单异常 or 核注清单异常 record was registered (by hand or from a receipt)."""

    anomaly_id: str
    category: str = Field(description="declaration (报关单异常) or bonded_list (核注清单异常)")
    document_no: str = Field(description="报关单号 / 核注清单编号")
    anomaly_type: str = Field(description="异常类型, e.g. 删单, 查验, 退单")
    occurred_on: date = Field(description="发生日期")
    handling_status: str = Field(description="处理状态")
    source_receipt_id: str | None = Field(
        default=None, description="The receipt that caused it, if automatic"
    )

    event_type: ClassVar[str] = event_type_name("anomaly", "AnomalyRegistered")
    topic: ClassVar[str] = topics.ANOMALY_EVENTS
    owner: ClassVar[str] = "anomaly"

    def aggregate_id(self) -> str:
        return self.anomaly_id
