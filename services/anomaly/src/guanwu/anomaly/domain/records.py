"""Anomaly records (异常状态登记): 报关单异常 and 核注清单异常. Pure: no I/O."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field

from guanwu.contracts.events import AnomalyRegistered, DeleteReceiptReceived
from guanwu.platform import ids

new_anomaly_id = ids.new_id
"""A record entered by hand gets a fresh id; one derived from a receipt gets `anomaly_id_for_receipt`."""


def anomaly_id_for_receipt(tenant: str, receipt_id: str) -> str:
    """The id of the 删单 record of one receipt: a redelivered receipt finds its record under it."""
    return ids.deterministic_id("delete-receipt", tenant, receipt_id)


def registered_event_id(anomaly_id: str) -> str:
    """The id of a receipt-derived record's AnomalyRegistered, the same on every redelivery."""
    return ids.deterministic_id("registered", anomaly_id)


class AnomalyCategory(StrEnum):
    DECLARATION = "declaration"  # 报关单异常
    BONDED_LIST = "bonded_list"  # 核注清单异常


class AnomalyType(StrEnum):
    DELETE = "删单"
    MODIFY_OR_DELETE = "删改单"
    INSPECTION = "查验"
    RETURNED = "退单"
    OTHER = "其他"


class HandlingStatus(StrEnum):
    OPEN = "未处理"
    IN_PROGRESS = "处理中"
    DONE = "已处理"


class AnomalyInput(BaseModel):
    """异常登记 form (starred fields are required in the seed's screen)."""

    model_config = ConfigDict(extra="forbid")

    category: AnomalyCategory = Field(AnomalyCategory.DECLARATION, description="报关单异常 / 核注清单异常")
    document_no: str = Field(min_length=1, max_length=18, description="*报关单号 / 核注清单编号")
    trade_name: str | None = Field(None, max_length=100, description="境内收发货人")
    ie_flag: str | None = Field(None, pattern="^[IE]$", description="进出口 (I/E)")
    client_name: str | None = Field(None, max_length=100, description="委托企业")
    anomaly_type: AnomalyType = Field(description="*异常类型")
    occurred_on: date = Field(description="*发生日期")
    responsible_post: str | None = Field(None, max_length=50, description="责任岗位")
    responsible_person: str | None = Field(None, max_length=50, description="责任人")
    penalized: bool | None = Field(None, description="海关是否处罚")
    penalty_target: str | None = Field(None, max_length=100, description="处罚对象")
    handling_status: HandlingStatus = Field(HandlingStatus.OPEN, description="*处理状态")
    completed_on: date | None = Field(None, description="完成日期")
    reason: str | None = Field(None, max_length=500, description="异常原因")


class Anomaly(AnomalyInput):
    model_config = ConfigDict(extra="ignore")

    anomaly_id: str
    tenant: str
    registered_at: datetime
    registered_by: str = Field(description="user id, or `system` for automatic records")
    source_receipt_id: str | None = None


@dataclass(frozen=True)
class AnomalySearch:
    """What the list is filtered by; None matches anything. The dates bound `occurred_on`, both inclusive."""

    category: AnomalyCategory | None = None
    document_no: str | None = None
    anomaly_type: AnomalyType | None = None
    handling_status: HandlingStatus | None = None
    occurred_from: date | None = None
    occurred_to: date | None = None


def anomaly_entered(
    form: AnomalyInput, *, anomaly_id: str, tenant: str, user_id: str, now: datetime
) -> Anomaly:
    """新增: a record entered by hand."""
    return Anomaly(
        **form.model_dump(), anomaly_id=anomaly_id, tenant=tenant, registered_at=now, registered_by=user_id
    )


def anomaly_for_delete_receipt(receipt: DeleteReceiptReceived, *, tenant: str, now: datetime) -> Anomaly:
    """The record the seed asks for: 删单状态的报关单，在接收到海关删单回执时，系统自动生成一条异常状态记录."""
    return Anomaly(
        anomaly_id=anomaly_id_for_receipt(tenant, receipt.receipt_id),
        tenant=tenant,
        category=AnomalyCategory.DECLARATION,
        document_no=receipt.entry_id or receipt.seq_no or receipt.receipt_id[:18],
        trade_name=receipt.trade_name,
        ie_flag=receipt.ie_flag if receipt.ie_flag in ("I", "E") else None,
        anomaly_type=AnomalyType.DELETE,
        occurred_on=receipt.notice_date.date(),
        handling_status=HandlingStatus.OPEN,
        reason=receipt.note,
        registered_at=now,
        registered_by="system",
        source_receipt_id=receipt.receipt_id,
    )


def registered(anomaly: Anomaly) -> AnomalyRegistered:
    """The event announcing a new record."""
    return AnomalyRegistered(
        anomaly_id=anomaly.anomaly_id,
        category=anomaly.category.value,
        document_no=anomaly.document_no,
        anomaly_type=anomaly.anomaly_type.value,
        occurred_on=anomaly.occurred_on,
        handling_status=anomaly.handling_status.value,
        source_receipt_id=anomaly.source_receipt_id,
    )
