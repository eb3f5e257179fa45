"""列表导出 (F-32): the query lists as .xlsx — every matching row, or the selected ones (`ids=`), streamed.

The sheet is written while the rows are read (`guanwu.query.adapters.xlsx_export`): the response starts with
the first rows and memory stays flat however many rows match. The criteria are the lists' own (the same query
parameters as GET /api/query/declarations, /summary-declarations and /bonded-lists), so what is exported is
what the list shows, in its order. A bad criterion answers 422 before anything is sent.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from dataclasses import replace
from datetime import UTC, datetime
from typing import Annotated, Any, TypeVar
from urllib.parse import quote

from fastapi import APIRouter, Depends, Query
from fastapi.responses import StreamingResponse

from guanwu.platform.auth import CurrentPrincipal
from guanwu.platform.http.context import service_context
from guanwu.query.adapters.xlsx_export import BEIJING, XLSX_MEDIA_TYPE, xlsx_stream
from guanwu.query.domain.bonded_lists import BondedListRow, BondedListSearch
from guanwu.query.domain.export_columns import (
    BONDED_LIST_COLUMNS,
    DECLARATION_COLUMNS,
    Column,
    cells,
    export_filename,
    header_row,
)
from guanwu.query.domain.search import DeclarationSearch, Order
from guanwu.query.entrypoints.api import summary_criteria
from guanwu.query.entrypoints.search_params import bonded_list_search, declaration_search, list_order
from guanwu.query.service_layer.context import QueryContext

Context = Annotated[QueryContext, Depends(service_context("query"))]
Search = Annotated[DeclarationSearch, Depends(declaration_search)]
ListOrder = Annotated[Order, Depends(list_order)]

MAX_SELECTED = 1000
BONDED_PAGE = 500
"""核注清单 rows read at a time."""

router = APIRouter(prefix="/api/query", tags=["query"])

SHEET: dict[int | str, dict[str, Any]] = {
    200: {
        "content": {XLSX_MEDIA_TYPE: {}},
        "description": "The sheet (.xlsx): Chinese headers, codes with their names",
    }
}
R = TypeVar("R")


def _ids(what: str) -> Any:
    return Query(
        max_length=MAX_SELECTED,
        description=f"The selected rows only ({what}; repeat `ids=`); else all matches",
    )


def sheet_response(title: str, columns: Sequence[Column[R]], rows: AsyncIterator[R]) -> StreamingResponse:
    async def values() -> AsyncIterator[list[Any]]:
        async for row in rows:
            yield cells(columns, row)

    filename = export_filename(title, datetime.now(UTC).astimezone(BEIJING))
    disposition = f"attachment; filename=\"export.xlsx\"; filename*=UTF-8''{quote(filename)}"
    return StreamingResponse(
        xlsx_stream(title, header_row(columns), values()),
        media_type=XLSX_MEDIA_TYPE,
        headers={"Content-Disposition": disposition},
    )


@router.get(
    "/declarations/export.xlsx",
    response_class=StreamingResponse,
    responses=SHEET,
    summary="报关数据导出 / export the declaration list to Excel (.xlsx)",
)
async def export_declarations(
    principal: CurrentPrincipal,
    context: Context,
    criteria: Search,
    order: ListOrder,
    ids: Annotated[list[str] | None, _ids("系统编号")] = None,
) -> StreamingResponse:
    """Every declaration the list shows for these criteria, in its order (or only `ids`, if given)."""
    rows = context.read_model.stream(principal.tenant, criteria, ids, order=order)
    return sheet_response("报关数据查询", DECLARATION_COLUMNS, rows)


@router.get(
    "/summary-declarations/export.xlsx",
    response_class=StreamingResponse,
    responses=SHEET,
    summary="概要申报数据导出 / export the 概要申报 list to Excel (.xlsx)",
)
async def export_summaries(
    principal: CurrentPrincipal,
    context: Context,
    criteria: Search,
    order: ListOrder,
    ids: Annotated[list[str] | None, _ids("系统编号")] = None,
) -> StreamingResponse:
    """The 概要申报 list's rows (its default: the last 7 days of 最近操作时间), or only `ids`."""
    rows = context.read_model.stream(principal.tenant, summary_criteria(criteria), ids, order=order)
    return sheet_response("概要申报数据查询", DECLARATION_COLUMNS, rows)


@router.get(
    "/bonded-lists/export.xlsx",
    response_class=StreamingResponse,
    responses=SHEET,
    summary="核注清单导出 / export the 核注清单 list to Excel (.xlsx)",
)
async def export_bonded_lists(
    principal: CurrentPrincipal,
    context: Context,
    criteria: Annotated[BondedListSearch, Depends(bonded_list_search)],
    ids: Annotated[list[str] | None, _ids("统一编号 or 清单编号")] = None,
) -> StreamingResponse:
    """Every 核注清单 the list shows for these criteria, in its order (or only `ids`, if given)."""
    if ids is not None:
        rows = _selected_bonded_lists(context, principal.tenant, criteria, ids)
    else:
        rows = _bonded_lists(context, principal.tenant, criteria)
    return sheet_response("核注清单查询", BONDED_LIST_COLUMNS, rows)


async def _bonded_lists(
    context: QueryContext, tenant: str, criteria: BondedListSearch
) -> AsyncIterator[BondedListRow]:
    """The list's rows a page at a time, in the list's order. Offset pages: a 核注清单 changing while the sheet is
    written may move between pages (shown twice or not at all); the declaration exports page by key instead."""
    skip = 0
    while True:
        _, page = await context.bonded_lists.search(tenant, criteria, skip=skip, limit=BONDED_PAGE)
        for row in page:
            yield row
        if len(page) < BONDED_PAGE:
            return
        skip += BONDED_PAGE


async def _selected_bonded_lists(
    context: QueryContext, tenant: str, criteria: BondedListSearch, ids: Sequence[str]
) -> AsyncIterator[BondedListRow]:
    """The selected lists (each by its 统一编号, or 清单编号 QD…) that also meet the criteria, in the order given."""
    seen: set[tuple[str | None, str | None]] = set()
    for number in dict.fromkeys(ids):
        field = "bond_invt_no" if number.startswith("QD") else "seq_no"
        if getattr(criteria, field) not in (None, number):
            continue  # a criterion on that very number leaves this one out
        narrowed = (
            replace(criteria, bond_invt_no=number)
            if field == "bond_invt_no"
            else replace(criteria, seq_no=number)
        )
        _, found = await context.bonded_lists.search(tenant, narrowed, skip=0, limit=BONDED_PAGE)
        for row in found:
            if (row.seq_no, row.bond_invt_no) not in seen:
                seen.add((row.seq_no, row.bond_invt_no))
                yield row
