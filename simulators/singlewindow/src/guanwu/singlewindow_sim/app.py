"""A minimal Single Window (单一窗口) simulator for tests and the demo.

It keeps receipts (回执) per enterprise and serves them as a feed that guanwu's sync service polls with a
cursor. Tests and the demo inject receipts through `/sim/receipts`. State lives in memory: restarting the
simulator is restarting the outside world.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, FastAPI, Query
from pydantic import BaseModel, ConfigDict, Field


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


class SingleWindowState:
    def __init__(self) -> None:
        self.receipts: dict[str, list[Receipt]] = {}
        self._lock = asyncio.Lock()

    async def add(self, receipt: ReceiptIn) -> Receipt:
        async with self._lock:
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


def build_router(state: SingleWindowState) -> APIRouter:
    router = APIRouter(prefix="/sim", tags=["single-window simulator"])

    @router.post(
        "/receipts", response_model=Receipt, status_code=201, summary="Inject one receipt (tests/demo)"
    )
    async def inject(receipt: ReceiptIn) -> Receipt:
        return await state.add(receipt)

    @router.post(
        "/receipts/batch", response_model=list[Receipt], status_code=201, summary="Inject many receipts"
    )
    async def inject_many(receipts: list[ReceiptIn]) -> list[Receipt]:
        return [await state.add(r) for r in receipts]

    @router.get(
        "/receipts", response_model=ReceiptFeed, summary="Receipts feed polled by guanwu's sync service"
    )
    async def feed(
        enterprise: Annotated[str, Query(min_length=1, max_length=64)],
        after: Annotated[int, Query(ge=0)] = 0,
        limit: Annotated[int, Query(ge=1, le=1000)] = 200,
    ) -> ReceiptFeed:
        return state.after(enterprise, after, limit)

    return router


def create_app() -> FastAPI:
    app = FastAPI(title="Single Window simulator (单一窗口模拟器)")
    app.include_router(build_router(SingleWindowState()))
    return app
