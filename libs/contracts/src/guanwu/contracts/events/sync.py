"""Events published by the sync service (the only client of the Single Window) on `sync.events.v1`."""

from __future__ import annotations

from datetime import datetime
from typing import ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field

from guanwu.contracts import topics
from guanwu.contracts.declaration import BondedList, DeclarationDocument
from guanwu.contracts.events.base import REGISTRY, Event, event_type_name
from guanwu.contracts.sync import (
    BONDED_LIST_STATUS_NAMES,
    DATA_SOURCE_NAMES,
    ENTERPRISE_CATEGORY_NAMES,
    BondedListStatus,
    DataSource,
    EnterpriseCategory,
    SyncCounts,
    SyncCriteria,
    SyncKind,
    SyncMode,
)


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


class SyncJobEvent(Event):
    """What every event of one sync job (F-44) carries; keyed by the job so its events stay in order."""

    job_id: str = Field(min_length=1, max_length=64, description="The sync job's id")

    topic: ClassVar[str] = topics.SYNC_EVENTS
    owner: ClassVar[str] = "sync"

    def aggregate_id(self) -> str:
        return self.job_id


@REGISTRY.register
class SyncRequested(SyncJobEvent):
    """A command: sync these declarations or 核注清单 from the Single Window (报关数据同步 / 核注清单数据同步).

    Published on `sync.requests.v1` by the HTTP API, the CLI, the console or any outside system; the tenant is
    the envelope's. The same `job_id` sent twice is one job.
    """

    requested_by: str = Field(min_length=1, max_length=64, description="Who asked (user id or system name)")
    requested_at: datetime
    criteria: SyncCriteria = Field(description="What to sync: kind (declarations|bonded_lists), mode, fields")

    topic: ClassVar[str] = topics.SYNC_REQUESTS
    event_type: ClassVar[str] = event_type_name("sync", "SyncRequested")


@REGISTRY.register
class SyncStarted(SyncJobEvent):
    """The job began reading the Single Window (again, after a restart: then `resumed` is true)."""

    kind: SyncKind
    mode: SyncMode
    started_at: datetime
    resumed: bool = Field(default=False, description="Picked up again from its cursor after a stop")

    event_type: ClassVar[str] = event_type_name("sync", "SyncStarted")


@REGISTRY.register
class SyncProgressed(SyncJobEvent):
    """One more page is written: the counts so far and where the next page starts."""

    counts: SyncCounts
    cursor: str | None = Field(default=None, max_length=512, description="Where the next page starts")
    at: datetime

    event_type: ClassVar[str] = event_type_name("sync", "SyncProgressed")


@REGISTRY.register
class SyncCompleted(SyncJobEvent):
    """Every page was read; the counts are final (quarantined records are listed on the job)."""

    counts: SyncCounts
    completed_at: datetime

    event_type: ClassVar[str] = event_type_name("sync", "SyncCompleted")


@REGISTRY.register
class SyncFailed(SyncJobEvent):
    """The job stopped without reading everything; what was written stays written."""

    reason: str = Field(min_length=1, max_length=1000, description="Why, as a person can act on it")
    counts: SyncCounts
    failed_at: datetime

    event_type: ClassVar[str] = event_type_name("sync", "SyncFailed")


@REGISTRY.register
class SyncCancelled(SyncJobEvent):
    """Someone cancelled the job; it stopped after the page it was writing."""

    cancelled_by: str = Field(min_length=1, max_length=64)
    counts: SyncCounts
    cancelled_at: datetime

    event_type: ClassVar[str] = event_type_name("sync", "SyncCancelled")


class SyncedReceipt(BaseModel):
    """A receipt the Single Window holds for a synced record (its history there)."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    channel: str = Field(
        min_length=1, max_length=2, description="CHANNEL 回执代码 (or ListStat of a 核注清单)"
    )
    notice_date: datetime = Field(description="NOTICE_DATE 回执时间")
    note: str | None = Field(default=None, max_length=255)


@REGISTRY.register
class DeclarationSynced(Event):
    """A declaration as the Single Window holds it (F-40), published when new or changed there.

    Its identity at the Single Window is the 统一编号; `sw_version` grows with every change there, so a record
    synced again at the same version publishes nothing.
    """

    job_id: str | None = Field(default=None, max_length=64, description="The sync job that read it")
    seq_no: str = Field(min_length=18, max_length=18, description="SeqNo 统一编号 (its identity)")
    entry_id: str | None = Field(default=None, max_length=18, description="EntryId 海关编号, once assigned")
    client_seq_no: str | None = Field(default=None, max_length=18, description="ClientSeqNo, if guanwu's")
    sw_version: int = Field(ge=1, description="The record's version at the Single Window")
    sw_updated_at: datetime = Field(description="最近操作时间 at the Single Window")
    channel: str | None = Field(
        default=None, max_length=2, description="CHANNEL of its latest receipt; none: 暂存, not declared yet"
    )
    document: DeclarationDocument = Field(description="The full 报关单 / 备案清单")
    enterprise_category: EnterpriseCategory | None = Field(
        default=None,
        description="企业类别 the job asked by (the tenant's role in it): " + str(ENTERPRISE_CATEGORY_NAMES),
    )
    receipts: list[SyncedReceipt] = Field(
        default_factory=list, max_length=200, description="回执, oldest first"
    )

    event_type: ClassVar[str] = event_type_name("sync", "DeclarationSynced")
    topic: ClassVar[str] = topics.SYNC_EVENTS
    owner: ClassVar[str] = "sync"

    def aggregate_id(self) -> str:
        return self.seq_no


@REGISTRY.register
class BondedListSynced(Event):
    """A 核注清单 as the Single Window holds it (F-41), published when new or changed there."""

    job_id: str | None = Field(default=None, max_length=64, description="The sync job that read it")
    seq_no: str = Field(min_length=18, max_length=18, description="预录入统一编号 (its identity)")
    bond_invt_no: str | None = Field(default=None, max_length=18, description="清单编号 QD…, once assigned")
    list_stat: BondedListStatus | None = Field(
        default=None, description="数据状态 ListStat: " + str(BONDED_LIST_STATUS_NAMES)
    )
    data_source: DataSource | None = Field(default=None, description="数据源: " + str(DATA_SOURCE_NAMES))
    sw_version: int = Field(ge=1, description="The record's version at the Single Window")
    sw_updated_at: datetime = Field(description="最近操作时间 at the Single Window")
    bonded_list: BondedList = Field(description="The full 核注清单 (head and goods)")
    receipts: list[SyncedReceipt] = Field(
        default_factory=list, max_length=200, description="回执, oldest first"
    )

    event_type: ClassVar[str] = event_type_name("sync", "BondedListSynced")
    topic: ClassVar[str] = topics.SYNC_EVENTS
    owner: ClassVar[str] = "sync"

    def aggregate_id(self) -> str:
        return self.seq_no


@REGISTRY.register
class BondedListReceiptReceived(Event):
    """A 核注清单 receipt (F-42): INV201 审核回执 or INV202 生成报关单回执.

    An INV201 whose `list_stat` is 2 退单 or 3 删单 is what the anomaly service registers as 核注清单异常.
    """

    receipt_id: str = Field(
        min_length=1, max_length=64, description="Stable id of the receipt at the Single Window"
    )
    message_type: Literal["INV201", "INV202"]
    seq_no: str | None = Field(default=None, max_length=18, description="预录入统一编号")
    bond_invt_no: str | None = Field(default=None, max_length=18, description="清单编号 QD…")
    list_stat: str | None = Field(
        default=None, max_length=1, description="INV201 清单状态: " + str(BONDED_LIST_STATUS_NAMES)
    )
    manage_result: str | None = Field(default=None, max_length=1, description="INV202: 1 生成成功, 2 失败")
    entry_seq_no: str | None = Field(default=None, max_length=18, description="INV202: 生成的报关单统一编号")
    note: str | None = Field(default=None, max_length=1000, description="审批意见 / 失败原因")
    ie_flag: str | None = Field(default=None, max_length=1, description="进出口标志")
    trade_name: str | None = Field(default=None, max_length=512, description="经营企业名称")
    notice_date: datetime

    event_type: ClassVar[str] = event_type_name("sync", "BondedListReceiptReceived")
    topic: ClassVar[str] = topics.SYNC_EVENTS
    owner: ClassVar[str] = "sync"

    def aggregate_id(self) -> str:
        return self.seq_no or self.bond_invt_no or self.receipt_id
