"""Events published by the sync service (the only client of the Single Window) on `sync.events.v1`."""

from __future__ import annotations

from datetime import datetime
from typing import ClassVar

from pydantic import Field

from guanwu.contracts import topics
from guanwu.contracts.events.base import REGISTRY, Event, event_type_name


@REGISTRY.register
class DeleteReceiptReceived(Event):
    """The customs sent a delete receipt (回执 CHANNEL `D`, 删单) for a declaration."""

    receipt_id: str = Field(
        min_length=1, max_length=64, description="Stable id of the receipt at the Single Window"
    )
    entry_id: str | None = Field(default=None, max_length=18, description="EntryId 海关编号 (报关单号)")
    seq_no: str | None = Field(default=None, max_length=18, description="SeqNo 统一编号")
    declaration_id: str | None = Field(default=None, description="guanwu's declaration id, when known")
    channel: str = Field(default="D", max_length=2, description="CHANNEL 回执通道 code; D = 删单")
    notice_date: datetime = Field(description="NOTICE_DATE 回执时间")
    note: str | None = Field(
        default=None, max_length=255, description="NOTE 回执备注 (e.g. the deletion reason)"
    )
    trade_name: str | None = Field(default=None, max_length=100, description="TradeName 境内收发货人")
    ie_flag: str | None = Field(default=None, max_length=1, description="IEFlag 进出口标志")

    event_type: ClassVar[str] = event_type_name("sync", "DeleteReceiptReceived")
    topic: ClassVar[str] = topics.SYNC_EVENTS
    owner: ClassVar[str] = "sync"

    def aggregate_id(self) -> str:
        # Keyed by the declaration so every receipt of one declaration stays in order.
        return self.entry_id or self.seq_no or self.receipt_id


@REGISTRY.register
class ReceiptReceived(Event):
    """Any declaration receipt (回执) from the customs, whatever its CHANNEL code (F-42).

    A 删单 receipt is published both as this and as DeleteReceiptReceived (which the anomaly service follows).
    The meaning of `channel` is the kernel's `guanwu.customs.messages.ReceiptStatus`.
    """

    receipt_id: str = Field(
        min_length=1, max_length=64, description="Stable id of the receipt at the Single Window"
    )
    channel: str = Field(min_length=1, max_length=2, description="CHANNEL 回执代码, e.g. L 入库成功, P 放行")
    entry_id: str | None = Field(default=None, max_length=18, description="EntryId 海关编号 (报关单号)")
    seq_no: str | None = Field(default=None, max_length=18, description="SeqNo 统一编号")
    declaration_id: str | None = Field(default=None, description="guanwu's declaration id, when known")
    notice_date: datetime = Field(description="NOTICE_DATE 回执时间")
    note: str | None = Field(default=None, max_length=255, description="NOTE 回执说明")
    trade_name: str | None = Field(default=None, max_length=100, description="TradeName 境内收发货人")
    ie_flag: str | None = Field(default=None, max_length=1, description="IEFlag 进出口标志")

    event_type: ClassVar[str] = event_type_name("sync", "ReceiptReceived")
    topic: ClassVar[str] = topics.SYNC_EVENTS
    owner: ClassVar[str] = "sync"

    def aggregate_id(self) -> str:
        return self.entry_id or self.seq_no or self.receipt_id


@REGISTRY.register
class DeclarationSubmitted(Event):
    """The Single Window accepted a signed declaration (F-43) and gave it a 统一编号: it is 已申报."""

    declaration_id: str = Field(min_length=1, max_length=64, description="guanwu's declaration id")
    seq_no: str = Field(min_length=18, max_length=18, description="SeqNo 统一编号 the Single Window assigned")
    entry_id: str | None = Field(
        default=None, max_length=18, description="EntryId 海关编号, if already known"
    )
    request_id: str | None = Field(default=None, max_length=64, description="The signing request declared")
    submitted_at: datetime

    event_type: ClassVar[str] = event_type_name("sync", "DeclarationSubmitted")
    topic: ClassVar[str] = topics.SYNC_EVENTS
    owner: ClassVar[str] = "sync"

    def aggregate_id(self) -> str:
        return self.declaration_id


@REGISTRY.register
class DeclarationSubmitFailed(Event):
    """The Single Window refused a signed declaration (导入失败), or sync could not make a sendable message
    of it. Nothing reached the customs; the declaration must be corrected and declared again."""

    declaration_id: str = Field(min_length=1, max_length=64, description="guanwu's declaration id")
    request_id: str = Field(min_length=1, max_length=64, description="The signing request that was declared")
    code: str = Field(
        min_length=1,
        max_length=40,
        description="response_code_<n> (the Single Window's ResponseCode) or sync's",
    )
    message: str = Field(max_length=500, description="The reason as the Single Window (or sync) gave it")
    failed_at: datetime

    event_type: ClassVar[str] = event_type_name("sync", "DeclarationSubmitFailed")
    topic: ClassVar[str] = topics.SYNC_EVENTS
    owner: ClassVar[str] = "sync"

    def aggregate_id(self) -> str:
        return self.declaration_id
