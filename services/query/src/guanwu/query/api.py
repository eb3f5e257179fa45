"""HTTP API of the query service (业务数据查询)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, HTTPException, Query
from pydantic import BaseModel

from guanwu.platform.auth import CurrentPrincipal
from guanwu.query.projection import DeclarationReadModel


class DeclarationRow(BaseModel):
    declaration_id: str
    version: int
    ie_flag: str
    kind: str
    status: str
    client_seq_no: str | None = None
    seq_no: str | None = None
    entry_id: str | None = None
    custom_master: str | None = None
    trade_name: str | None = None
    bill_no: str | None = None
    prepared_by: str | None = None
    updated_at: str
    last_event_type: str


class DeclarationPage(BaseModel):
    total: int
    items: list[DeclarationRow]


NOT_FOUND = {"code": "query.not_found", "message_zh": "报关单不存在", "message_en": "Declaration not found"}


def build_router(read_model: DeclarationReadModel) -> APIRouter:
    router = APIRouter(prefix="/api/query", tags=["query"])

    @router.get("/declarations", response_model=DeclarationPage, summary="报关数据查询 / search declarations")
    async def search(
        principal: CurrentPrincipal,
        status: Annotated[str | None, Query(max_length=20)] = None,
        ie_flag: Literal["I", "E"] | None = None,
        kind: Annotated[str | None, Query(max_length=40)] = None,
        custom_master: Annotated[str | None, Query(max_length=4)] = None,
        trade_name: Annotated[str | None, Query(max_length=100)] = None,
        bill_no: Annotated[str | None, Query(max_length=32)] = None,
        entry_id: Annotated[str | None, Query(max_length=18)] = None,
        seq_no: Annotated[str | None, Query(max_length=18)] = None,
        skip: Annotated[int, Query(ge=0)] = 0,
        limit: Annotated[int, Query(ge=1, le=500)] = 50,
    ) -> DeclarationPage:
        filters: dict[str, Any] = {
            "status": status,
            "ie_flag": ie_flag,
            "kind": kind,
            "custom_master": custom_master,
            "trade_name": trade_name,
            "bill_no": bill_no,
            "entry_id": entry_id,
            "seq_no": seq_no,
        }
        total, rows = await read_model.search(principal.tenant, filters, skip=skip, limit=limit)
        return DeclarationPage(total=total, items=[DeclarationRow.model_validate(r) for r in rows])

    @router.get(
        "/declarations/{declaration_id}", response_model=DeclarationRow, summary="报关单概要 / one row"
    )
    async def get_one(declaration_id: str, principal: CurrentPrincipal) -> DeclarationRow:
        row = await read_model.get(principal.tenant, declaration_id)
        if row is None:
            raise HTTPException(404, detail=NOT_FOUND)
        return DeclarationRow.model_validate(row)

    return router
