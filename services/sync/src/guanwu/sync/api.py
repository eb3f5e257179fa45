"""HTTP API of the sync service (数据同步)."""

from __future__ import annotations

from fastapi import APIRouter
from pydantic import BaseModel

from guanwu.platform.auth import CurrentPrincipal
from guanwu.sync.receipts import ReceiptStore


class ReceiptSyncStatus(BaseModel):
    tenant: str
    position: int
    receipts: int


def build_router(store: ReceiptStore) -> APIRouter:
    router = APIRouter(prefix="/api/sync", tags=["sync"])

    @router.get(
        "/receipts/status", response_model=ReceiptSyncStatus, summary="回执同步进度 / receipt sync status"
    )
    async def status(principal: CurrentPrincipal) -> ReceiptSyncStatus:
        position, _ = await store.position(principal.tenant)
        count = await store.receipts.count({"tenant": principal.tenant})
        return ReceiptSyncStatus(tenant=principal.tenant, position=position, receipts=count)

    return router
