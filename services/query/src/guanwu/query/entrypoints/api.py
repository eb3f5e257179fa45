"""HTTP API of the query service (业务数据查询)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel

from guanwu.platform.auth import CurrentPrincipal
from guanwu.platform.http.context import service_context
from guanwu.query.domain import DeclarationRow
from guanwu.query.service_layer.context import QueryContext

Context = Annotated[QueryContext, Depends(service_context("query"))]

router = APIRouter(prefix="/api/query", tags=["query"])


class DeclarationPage(BaseModel):
    total: int
    items: list[DeclarationRow]


@router.get("/declarations", response_model=DeclarationPage, summary="报关数据查询 / search declarations")
async def search(
    principal: CurrentPrincipal,
    context: Context,
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
    total, rows = await context.read_model.search(principal.tenant, filters, skip=skip, limit=limit)
    return DeclarationPage(total=total, items=[DeclarationRow.model_validate(r) for r in rows])


@router.get("/declarations/{declaration_id}", response_model=DeclarationRow, summary="报关单概要 / one row")
async def get_one(declaration_id: str, principal: CurrentPrincipal, context: Context) -> DeclarationRow:
    return DeclarationRow.model_validate(await context.read_model.load(principal.tenant, declaration_id))
