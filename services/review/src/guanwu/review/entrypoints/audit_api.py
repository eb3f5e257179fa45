"""HTTP API of 审核留痕 (F-13): who reviewed which field when, per declaration and per reviewer over a period
of China-time days, and its export to xlsx."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import date
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Depends, Query
from fastapi.responses import StreamingResponse
from pydantic import BaseModel

from guanwu.platform.auth import CurrentPrincipal, require_roles
from guanwu.platform.spreadsheet import streamed, write_xlsx
from guanwu.review.domain.audit import EXPORT_HEADERS, AuditAction, AuditRecord, AuditSearch, export_row
from guanwu.review.entrypoints.advanced_api import Context

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
AUDITORS = ("reviewer", "manager")

router = APIRouter(prefix="/api/review", tags=["review"], dependencies=[require_roles(*AUDITORS)])


class AuditPage(BaseModel):
    total: int
    items: list[AuditRecord]


def audit_search(
    declaration_id: Annotated[
        str | None, Query(max_length=64, description="系统编号: one declaration")
    ] = None,
    reviewer: Annotated[str | None, Query(max_length=64, description="审单员 (user id)")] = None,
    review_id: Annotated[str | None, Query(max_length=64, description="One review task")] = None,
    action: AuditAction | None = None,
    field_path: Annotated[
        str | None, Query(max_length=200, description="One field, e.g. goods[0].g_qty")
    ] = None,
    day_from: Annotated[date | None, Query(description="From this China-time day (inclusive)")] = None,
    day_to: Annotated[date | None, Query(description="To this China-time day (inclusive)")] = None,
) -> AuditSearch:
    return AuditSearch(declaration_id, reviewer, review_id, action, field_path, day_from, day_to)


Search = Annotated[AuditSearch, Depends(audit_search)]


@router.get("/audit", response_model=AuditPage, summary="审核留痕 / who reviewed which field when (F-13)")
async def audit(
    principal: CurrentPrincipal,
    context: Context,
    search: Search,
    newest_first: bool = False,
    skip: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> AuditPage:
    total, items = await context.audit.page(
        principal.tenant, search, skip=skip, limit=limit, newest_first=newest_first
    )
    return AuditPage(total=total, items=items)


@router.get(
    "/audit/export.xlsx",
    response_class=StreamingResponse,
    responses={200: {"content": {XLSX: {}}, "description": "The audit (.xlsx), Chinese headers"}},
    summary="导出审核留痕 / export the audit to Excel (.xlsx)",
)
async def export(
    principal: CurrentPrincipal, context: Context, search: Search, newest_first: bool = False
) -> StreamingResponse:
    records = context.audit.each(principal.tenant, search, newest_first=newest_first)

    async def rows() -> AsyncIterator[list[Any]]:
        async for record in records:
            yield export_row(record)

    path = await write_xlsx("审核留痕", EXPORT_HEADERS, rows())
    filename = f"审核留痕-{context.clock().date():%Y%m%d}.xlsx"
    disposition = f"attachment; filename=\"review-audit.xlsx\"; filename*=UTF-8''{quote(filename)}"
    return StreamingResponse(streamed(path), media_type=XLSX, headers={"Content-Disposition": disposition})
