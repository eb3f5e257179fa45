"""The port to the Single Window and its HTTP adapter. The sync service is its only client."""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

import httpx
from pydantic import BaseModel

from guanwu.customs.messages import XmlError
from guanwu.customs.messages.receipts import DecImportResponse, parse_dec_import_response


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


class NoSingleWindow:
    """Stands in when no Single Window is configured: nothing can be sent and no receipt comes back."""

    MESSAGE = "未配置单一窗口 no Single Window configured: kept unsent until one is"

    async def receipts_after(self, enterprise: str, position: int, limit: int) -> ReceiptPage:
        raise SingleWindowAbsent(self.MESSAGE)

    async def declare(self, enterprise: str, message: bytes) -> DecImportResponse:
        raise SingleWindowAbsent(self.MESSAGE)


class HttpSingleWindow:
    def __init__(self, client: httpx.AsyncClient) -> None:
        self._client = client

    async def receipts_after(self, enterprise: str, position: int, limit: int) -> ReceiptPage:
        response = await self._client.get(
            "/sim/receipts", params={"enterprise": enterprise, "after": position, "limit": limit}
        )
        response.raise_for_status()
        return ReceiptPage.model_validate(response.json())

    async def declare(self, enterprise: str, message: bytes) -> DecImportResponse:
        response = await self._client.post(
            "/sim/declarations",
            params={"enterprise": enterprise},
            content=message,
            headers={"Content-Type": "application/xml"},
        )
        if response.status_code >= 500 or response.status_code == 429:
            response.raise_for_status()
        return import_response_of(response)


def import_response_of(response: httpx.Response) -> DecImportResponse:
    """The DecImportResponse in a 2xx or 4xx answer; a 4xx without one still says why it was refused."""
    try:
        answer = parse_dec_import_response(response.content)
    except XmlError:
        if response.is_success:
            raise  # no way to tell whether it was taken: try again (a re-send gets the same 统一编号)
        return DecImportResponse(
            response_code=f"HTTP {response.status_code}", error_message=response.text[:500]
        )
    if answer.succeeded and not response.is_success:
        return answer.model_copy(update={"response_code": f"HTTP {response.status_code}"})
    return answer
