"""The port to the Single Window and the values it exchanges. The sync service is its only client."""

from __future__ import annotations

from typing import Protocol

from pydantic import BaseModel, Field

from guanwu.customs.messages.receipts import DecImportResponse


class RemoteReceipt(BaseModel):
    """One receipt of the feed as the Single Window serves it: the customs message in its wire format.

    `message_type` is DEC_RESULT (报关单回执), INV201 (核注清单审核回执) or INV202 (核注清单生成报关单回执); it
    is kept a plain string, so a receipt of a type sync cannot read is quarantined rather than failing the
    whole page."""

    receipt_id: str = Field(min_length=1)
    position: int
    message_type: str
    xml: str


class ReceiptPage(BaseModel):
    """A page of one enterprise's feed after a position; `next_position` is where the next page starts (the
    receipts of a page may come in any order, and one may come twice)."""

    receipts: list[RemoteReceipt]
    next_position: int


class SingleWindow(Protocol):
    async def receipts_after(self, enterprise: str, position: int, limit: int) -> ReceiptPage: ...

    async def declare(self, enterprise: str, message: bytes) -> DecImportResponse:
        """申报 one signed DecMessage. Returns the answer, accepted or refused (4xx included); raises when
        the Single Window could not answer (connection, timeout, 5xx), so the caller tries again later."""


class SingleWindowAbsent(Exception):
    """No Single Window is configured (embedded without --simulator or --single-window-url)."""
