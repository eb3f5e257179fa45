"""HTTP API of the sync service (数据同步)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel, Field

from guanwu.platform.auth import CurrentPrincipal, Principal, require_roles
from guanwu.platform.http.context import service_context
from guanwu.sync.domain.records import DeclareRecord
from guanwu.sync.service_layer.context import SyncContext
from guanwu.sync.service_layer.handlers.declare import declare_records
from guanwu.sync.service_layer.handlers.receipts import quarantined_receipts
from guanwu.sync.service_layer.handlers.receipts import receipt_status as read_receipt_status

DECLARE_READERS = ("preparer", "manager", "integration")  # admin is implied by require_roles

Context = Annotated[SyncContext, Depends(service_context("sync"))]

router = APIRouter(prefix="/api/sync", tags=["sync"])


class ReceiptSyncStatus(BaseModel):
    tenant: str
    position: int = Field(description="Position in the Single Window's receipt feed read so far")
    receipts: int = Field(description="Declaration receipts (DEC_RESULT) kept")
    bonded_list_receipts: int = Field(0, description="核注清单 receipts (INV201, INV202) kept")
    quarantined: int = Field(0, description="Receipts that could not be read (/receipts/quarantine)")


class QuarantinedReceiptOut(BaseModel):
    """A receipt of the feed that could not be read: why, and what it was (the XML, cut when long)."""

    receipt_id: str
    position: int = Field(description="Its position in the tenant's receipt feed")
    message_type: str = Field(description="As the feed named it: DEC_RESULT, INV201, INV202 or another")
    reason: str
    payload: str = Field(description="The raw XML as received, at most 32,768 characters")
    payload_chars: int = Field(description="Length of the whole raw XML")
    payload_truncated: bool
    quarantined_at: datetime


class QuarantinedReceiptPage(BaseModel):
    total: int
    items: list[QuarantinedReceiptOut]


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


def attempt_of(record: DeclareRecord) -> DeclareAttempt:
    request, signature = record.request, record.signature
    return DeclareAttempt(
        **record.model_dump(include={"request_id", "state", "seq_no", "error", "last_error", "sent_at"}),
        created_at=record.created_at,
        updated_at=record.updated_at,
        client_seq_no=request and request.client_seq_no,
        content_sm3=(request and request.content_sm3) or (signature and signature.content_sm3),
        requested_by=request and request.requested_by,
        certificate_serial=signature and signature.certificate_serial,
        device=signature and signature.device,
    )


@router.get(
    "/receipts/status", response_model=ReceiptSyncStatus, summary="回执同步进度 / receipt sync status"
)
async def receipt_status(principal: CurrentPrincipal, context: Context) -> ReceiptSyncStatus:
    counts = await read_receipt_status(principal.tenant, uow=context.new_uow())
    return ReceiptSyncStatus(tenant=principal.tenant, **counts._asdict())


@router.get(
    "/receipts/quarantine",
    response_model=QuarantinedReceiptPage,
    summary="无法解析的回执 / receipts that could not be read",
)
async def receipt_quarantine(
    principal: CurrentPrincipal,
    context: Context,
    skip: Annotated[int, Query(ge=0)] = 0,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
) -> QuarantinedReceiptPage:
    total, items = await quarantined_receipts(principal.tenant, uow=context.new_uow(), skip=skip, limit=limit)
    listed = [
        QuarantinedReceiptOut(**item.model_dump(exclude={"tenant"}), payload_truncated=item.payload_truncated)
        for item in items
    ]
    return QuarantinedReceiptPage(total=total, items=listed)


@router.get(
    "/declarations/{declaration_id}",
    response_model=DeclarationSync,
    summary="申报状态 / what the Single Window said about a declaration",
)
async def declaration_sync(
    declaration_id: str, principal: Annotated[Principal, require_roles(*DECLARE_READERS)], context: Context
) -> DeclarationSync:
    records = await declare_records(declaration_id, tenant=principal.tenant, uow=context.new_uow())
    attempts = [attempt_of(r) for r in records]
    sent = next((a.seq_no for a in attempts if a.seq_no), None)
    return DeclarationSync(
        declaration_id=declaration_id, state=attempts[0].state, seq_no=sent, attempts=attempts
    )
