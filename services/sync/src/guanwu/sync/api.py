"""HTTP API of the sync service (数据同步)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, status
from pydantic import BaseModel, Field

from guanwu.platform.auth import CurrentPrincipal, Principal, require_roles
from guanwu.sync.declare_records import REQUEST, SIGNATURE, DeclareRecords
from guanwu.sync.receipts import ReceiptStore

DECLARE_READERS = ("preparer", "manager", "integration")  # admin is implied by require_roles


class ReceiptSyncStatus(BaseModel):
    tenant: str
    position: int
    receipts: int


class SyncError(BaseModel):
    code: str | None = None
    message: str
    at: datetime


class DeclareAttempt(BaseModel):
    """One 申报 of a declaration (one signing request) as the sync service sent it."""

    request_id: str
    state: str = Field(description="waiting_for_signature, waiting_for_request, ready, sent, rejected")
    seq_no: str | None = Field(None, description="SeqNo 统一编号 the Single Window assigned")
    client_seq_no: str | None = Field(None, description="ClientSeqNo 客户端编号 sent in DecSign")
    content_sm3: str | None = None
    certificate_serial: str | None = None
    device: str | None = None
    requested_by: str | None = None
    error: SyncError | None = Field(None, description="Why the Single Window refused it (state rejected)")
    last_error: SyncError | None = Field(None, description="Last failure to reach the Single Window")
    created_at: datetime
    updated_at: datetime
    sent_at: datetime | None = None


class DeclarationSync(BaseModel):
    declaration_id: str
    state: str = Field(description="State of the latest 申报")
    seq_no: str | None = Field(None, description="统一编号 of the latest accepted 申报")
    attempts: list[DeclareAttempt] = Field(description="Every 申报 of the declaration, newest first")


def attempt_of(record: dict[str, Any]) -> DeclareAttempt:
    request, signature = record.get(REQUEST) or {}, record.get(SIGNATURE) or {}
    return DeclareAttempt(
        **{k: record.get(k) for k in ("request_id", "state", "seq_no", "error", "last_error", "sent_at")},
        **{k: record[k] for k in ("created_at", "updated_at")},
        client_seq_no=request.get("client_seq_no"),
        content_sm3=request.get("content_sm3") or signature.get("content_sm3"),
        requested_by=request.get("requested_by"),
        certificate_serial=signature.get("certificate_serial"),
        device=signature.get("device"),
    )


def build_router(store: ReceiptStore, declarations: DeclareRecords) -> APIRouter:
    router = APIRouter(prefix="/api/sync", tags=["sync"])

    @router.get(
        "/receipts/status", response_model=ReceiptSyncStatus, summary="回执同步进度 / receipt sync status"
    )
    async def receipt_status(principal: CurrentPrincipal) -> ReceiptSyncStatus:
        position, _ = await store.position(principal.tenant)
        count = await store.receipts.count({"tenant": principal.tenant})
        return ReceiptSyncStatus(tenant=principal.tenant, position=position, receipts=count)

    @router.get(
        "/declarations/{declaration_id}",
        response_model=DeclarationSync,
        summary="申报状态 / what the Single Window said about a declaration",
    )
    async def declaration_sync(
        declaration_id: str, principal: Annotated[Principal, require_roles(*DECLARE_READERS)]
    ) -> DeclarationSync:
        records = await declarations.for_declaration(principal.tenant, declaration_id)
        if not records:
            raise HTTPException(
                status.HTTP_404_NOT_FOUND,
                detail={
                    "code": "sync.declaration_not_found",
                    "message_zh": "没有该报关单的申报记录",
                    "message_en": "No 申报 of this declaration has reached the sync service",
                },
            )
        attempts = [attempt_of(r) for r in records]
        sent = next((a.seq_no for a in attempts if a.seq_no), None)
        return DeclarationSync(
            declaration_id=declaration_id, state=attempts[0].state, seq_no=sent, attempts=attempts
        )

    return router
