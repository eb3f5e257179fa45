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
