"""What the simulated Single Window remembers: receipts per enterprise and the declarations filed with it.

State lives in memory: restarting the simulator is restarting the outside world.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

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


class ReceiptFeed(BaseModel):
    receipts: list[Receipt]
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


class SingleWindowState:
    def __init__(self) -> None:
        self.receipts: dict[str, list[Receipt]] = {}
        self.filings: dict[tuple[str, str], Filing] = {}
        self.behaviours: dict[str, DeclareBehaviour] = {}
        self._lock = asyncio.Lock()

    async def add(self, receipt: ReceiptIn) -> Receipt:
        async with self._lock:
            return self._append(receipt)

    def _append(self, receipt: ReceiptIn) -> Receipt:
        feed = self.receipts.setdefault(receipt.enterprise, [])
        position = len(feed) + 1
        stored = Receipt(
            **receipt.model_dump(exclude={"notice_date"}),
            notice_date=receipt.notice_date or datetime.now(UTC),
            receipt_id=f"R{receipt.enterprise}-{position:09d}",
            position=position,
        )
        feed.append(stored)
        return stored

    def after(self, enterprise: str, position: int, limit: int) -> ReceiptFeed:
        feed = self.receipts.get(enterprise, [])
        page = feed[position : position + limit]
        return ReceiptFeed(receipts=page, next_position=position + len(page))

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
