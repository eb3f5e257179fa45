"""What the simulated Single Window remembers: receipts per enterprise, the declarations filed with it, each
enterprise's seeded records, faults and sessions.

State lives in memory: restarting the simulator is restarting the outside world.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from guanwu.contracts.sync import SEQ_NO_PATTERN, BondedListStatus, IEFlag
from guanwu.customs.fixtures.datasets import DataSet
from guanwu.singlewindow_sim.faults import NO_FAULTS, ActiveFaults, Sleep
from guanwu.singlewindow_sim.records import EnterpriseRecords
from guanwu.singlewindow_sim.sessions import Sessions

CHANNEL = "[0-9A-Za-z]{1,2}"
"""A CHANNEL 回执代码 (reference §5): one or two letters or digits."""
Channel = Annotated[str, Field(pattern=f"^{CHANNEL}$")]


class ReceiptIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    enterprise: str = Field(
        min_length=1, max_length=64, description="The enterprise (guanwu tenant) it belongs to"
    )
    entry_id: str | None = Field(None, max_length=18, description="EntryId 海关编号")
    seq_no: str | None = Field(None, max_length=18, description="SeqNo 统一编号")
    channel: str = Field(min_length=1, max_length=2, description="CHANNEL, e.g. D 删单")
    note: str | None = Field(None, max_length=255)
    trade_name: str | None = Field(None, max_length=100)
    ie_flag: str | None = Field(None, pattern="^[IE]$")
    notice_date: datetime | None = None


class Receipt(ReceiptIn):
    receipt_id: str
    position: int
    notice_date: datetime


class BondedListReceiptIn(BaseModel):
    """`POST /sim/bonded-list-receipts`: a 核注清单 receipt, served in the feed as INV201 or INV202 XML."""

    model_config = ConfigDict(extra="forbid")

    enterprise: str = Field(min_length=1, max_length=64, description="The enterprise (guanwu tenant)")
    message_type: Literal["INV201", "INV202"] = Field(description="INV201 审核回执, INV202 生成报关单回执")
    seq_no: str | None = Field(None, pattern=SEQ_NO_PATTERN, description="核注清单统一编号 (invtPreentNo)")
    bond_invt_no: str | None = Field(None, pattern="^QD[0-9A-Z]{16}$", description="清单编号 QD…")
    list_stat: BondedListStatus | None = Field(
        None, description="INV201: 清单状态 0 审核通过, 2 退单, 3 删单 …"
    )
    manage_result: str | None = Field(
        None, pattern="^[0-9]$", description="处理结果 (INV202: 1 生成成功, 2 生成失败); INV201 default 1"
    )
    entry_seq_no: str | None = Field(None, pattern=SEQ_NO_PATTERN, description="INV202: 报关单统一编号")
    note: str | None = Field(None, max_length=255, description="INV201 rmk / INV202 reason")
    ie_flag: IEFlag | None = Field(None, description="INV201: 进出口标记")
    notice_date: datetime | None = Field(None, description="When the customs sent it (default now)")

    @model_validator(mode="after")
    def _enough_to_render(self) -> BondedListReceiptIn:
        if self.seq_no is None and self.bond_invt_no is None:
            raise ValueError("give seq_no or bond_invt_no (the list the receipt is about)")
        if self.message_type == "INV201" and self.list_stat is None:
            raise ValueError("an INV201 needs list_stat")
        if self.message_type == "INV202" and self.manage_result is None:
            raise ValueError("an INV202 needs manage_result (1 生成成功, 2 生成失败)")
        return self


class BondedListReceipt(BondedListReceiptIn):
    receipt_id: str
    position: int
    notice_date: datetime
    trade_name: str | None = Field(
        None, description="经营企业, filled from the enterprise's data set when it holds the list"
    )


FeedReceipt = Receipt | BondedListReceipt


class FeedEntry(BaseModel):
    """One receipt of the feed, in the customs' format."""

    receipt_id: str
    position: int
    message_type: Literal["DEC_RESULT", "INV201", "INV202"]
    xml: str


class ReceiptFeed(BaseModel):
    receipts: list[FeedEntry]
    next_position: int


class DeclareBehaviour(BaseModel):
    """How the simulated customs answers the next declarations of one enterprise (tests and the demo)."""

    model_config = ConfigDict(extra="forbid")

    enterprise: str = Field(min_length=1, max_length=64)
    receipts: list[Channel] = Field(
        default_factory=lambda: ["L", "P"],
        max_length=10,
        description="CHANNEL codes appended after an accepted declaration, in order (L 入库成功, P 放行)",
    )
    reject_with: str | None = Field(
        None, max_length=200, description="When set, every declaration is refused with this ErrorMessage"
    )


@dataclass
class Filing:
    """One declaration at the Single Window, known by the enterprise's ClientSeqNo."""

    client_seq_no: str
    seq_no: str
    entry_id: str
    submissions: int = 0
    accepted: set[str] = field(default_factory=set)
    """Keys of the distinct messages accepted; a message sent again is recognised and answered alike."""


def _utc_now() -> datetime:
    return datetime.now(UTC)


class SingleWindowState:
    """`clock` and `sleep` are injected so tests control time (session expiry, latency, hangs) without waiting."""

    def __init__(self, *, clock: Callable[[], datetime] = _utc_now, sleep: Sleep = asyncio.sleep) -> None:
        self.receipts: dict[str, list[FeedReceipt]] = {}
        self.filings: dict[tuple[str, str], Filing] = {}
        self.behaviours: dict[str, DeclareBehaviour] = {}
        self.records: dict[str, EnterpriseRecords] = {}
        self.faults: dict[str, ActiveFaults] = {}
        self.sessions = Sessions()
        self.clock, self.sleep = clock, sleep
        self._lock = asyncio.Lock()

    async def add(self, receipt: ReceiptIn) -> Receipt:
        async with self._lock:
            return self._append(receipt)

    def _append(self, receipt: ReceiptIn) -> Receipt:
        feed = self.receipts.setdefault(receipt.enterprise, [])
        position = len(feed) + 1
        stored = Receipt(
            **receipt.model_dump(exclude={"notice_date"}),
            notice_date=receipt.notice_date or self.clock(),
            receipt_id=f"R{receipt.enterprise}-{position:09d}",
            position=position,
        )
        feed.append(stored)
        return stored

    async def add_bonded(self, receipt: BondedListReceiptIn) -> BondedListReceipt:
        async with self._lock:
            feed = self.receipts.setdefault(receipt.enterprise, [])
            position = len(feed) + 1
            stored = BondedListReceipt(
                **receipt.model_dump(exclude={"notice_date"}),
                notice_date=receipt.notice_date or self.clock(),
                receipt_id=f"R{receipt.enterprise}-{position:09d}",
                position=position,
                trade_name=self._bizop_name(receipt),
            )
            feed.append(stored)
            return stored

    def _bizop_name(self, receipt: BondedListReceiptIn) -> str | None:
        records = self.records.get(receipt.enterprise)
        number = receipt.bond_invt_no or receipt.seq_no
        index = records.data.find_bonded_list(number) if records is not None and number else None
        if records is None or index is None:
            return None
        return records.data.bonded_list(index).head.bizop_etps_nm

    def after(self, enterprise: str, position: int, limit: int) -> tuple[list[FeedReceipt], int]:
        """The receipts after `position` (at most `limit`) and the position after them."""
        page = self.receipts.get(enterprise, [])[position : position + limit]
        return page, position + len(page)

    def behaviour(self, enterprise: str) -> DeclareBehaviour:
        return self.behaviours.get(enterprise) or DeclareBehaviour(enterprise=enterprise)

    async def file(
        self,
        enterprise: str,
        new: Filing,
        message_key: str,
        receipts_for: Callable[[Filing], list[ReceiptIn]],
    ) -> Filing:
        """Record one accepted message; its receipts join the feed only the first time the message is seen.

        `new` is used when the ClientSeqNo is not known yet; otherwise the existing filing (and so its
        统一编号) answers, which makes a re-send idempotent.
        """
        async with self._lock:
            filing = self.filings.setdefault((enterprise, new.client_seq_no), new)
            filing.submissions += 1
            if message_key not in filing.accepted:
                filing.accepted.add(message_key)
                for receipt in receipts_for(filing):
                    self._append(receipt)
            return filing

    async def seed(self, enterprise: str, data: DataSet) -> EnterpriseRecords:
        """Replace the enterprise's records with the data set's. Generating 100,000 records takes a second or
        two of CPU: it runs in a thread so that the event loop keeps answering meanwhile."""
        records = await asyncio.to_thread(EnterpriseRecords, data)
        self.records[enterprise] = records
        return records

    def faults_of(self, enterprise: str) -> ActiveFaults:
        return self.faults.get(enterprise, NO_FAULTS)

    async def disturb(self, enterprise: str) -> None:
        """What the enterprise's faults do to one of its Single Window requests (nothing, without faults)."""
        await self.faults_of(enterprise).disturb(self.sleep)
