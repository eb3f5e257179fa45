"""The port to the Single Window and the values it exchanges. The sync service is its only client."""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

from pydantic import BaseModel

from guanwu.customs.messages.receipts import DecImportResponse


class RemoteReceipt(BaseModel):
    receipt_id: str
    position: int
    channel: str
    entry_id: str | None = None
    seq_no: str | None = None
    note: str | None = None
    trade_name: str | None = None
    ie_flag: str | None = None
    notice_date: datetime


class ReceiptPage(BaseModel):
    receipts: list[RemoteReceipt]
    next_position: int


class SingleWindow(Protocol):
    async def receipts_after(self, enterprise: str, position: int, limit: int) -> ReceiptPage: ...

    async def declare(self, enterprise: str, message: bytes) -> DecImportResponse:
        """申报 one signed DecMessage. Returns the answer, accepted or refused (4xx included); raises when
        the Single Window could not answer (connection, timeout, 5xx), so the caller tries again later."""


class SingleWindowAbsent(Exception):
    """No Single Window is configured (embedded without --simulator or --single-window-url)."""
