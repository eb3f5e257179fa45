"""The port to the Single Window and its HTTP adapter. The sync service is its only client."""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

import httpx
from pydantic import BaseModel


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


class HttpSingleWindow:
    def __init__(self, client: httpx.AsyncClient) -> None:
        self._client = client

    async def receipts_after(self, enterprise: str, position: int, limit: int) -> ReceiptPage:
        response = await self._client.get(
            "/sim/receipts", params={"enterprise": enterprise, "after": position, "limit": limit}
        )
        response.raise_for_status()
        return ReceiptPage.model_validate(response.json())
