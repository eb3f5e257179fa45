"""HTTP API of the query service (业务数据查询)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query
from pydantic import BaseModel, Field

from guanwu.contracts.sync import (
    BONDED_NUMBER_PATTERN,
)
from guanwu.platform.auth import CurrentPrincipal
from guanwu.platform.http.context import service_context
from guanwu.query.domain.bonded_lists import BondedListDetail, BondedListRow, BondedListSearch
from guanwu.query.domain.declarations import DeclarationRow
from guanwu.query.domain.history import HistoryEntry
from guanwu.query.domain.search import DeclarationSearch, Order, last_days
from guanwu.query.entrypoints.search_params import bonded_list_search, declaration_search, list_order
from guanwu.query.service_layer.context import QueryContext

Context = Annotated[QueryContext, Depends(service_context("query"))]

router = APIRouter(prefix="/api/query", tags=["query"])


class DeclarationPage(BaseModel):
    total: int = Field(
        description="Rows matching the criteria (all pages); counted exactly up to 10,000: with `total_capped`, "
        "at least this many (shown as 10,000+)"
    )
    total_capped: bool = Field(
        default=False, description="More rows match than the list counts: `total` is a lower bound (10,000+)"
    )
    items: list[DeclarationRow]
    next_cursor: str | None = Field(
        default=None, description="Pass as `cursor` for the next page in the same order; none: the last page"
    )


Search = Annotated[DeclarationSearch, Depends(declaration_search)]
ListOrder = Annotated[Order, Depends(list_order)]
Cursor = Annotated[
    str | None,
    Query(
        max_length=400, description="next_cursor of the previous page (keyset paging: any depth, same cost)"
    ),
]
Skip = Annotated[
    int, Query(ge=0, le=10_000_000, description="Rows to skip (shallow pages; deep ones: cursor)")
]
Limit = Annotated[int, Query(ge=1, le=500)]


async def _page(
    context: QueryContext,
    tenant: str,
    criteria: DeclarationSearch,
    order: Order,
    cursor: str | None,
    skip: int,
    limit: int,
) -> DeclarationPage:
    page = await context.read_model.search(
        tenant, criteria, cursor=cursor, limit=limit, order=order, skip=skip
    )
    return DeclarationPage(
        total=page.total, total_capped=page.total_capped, items=page.items, next_cursor=page.next_cursor
    )


@router.get("/declarations", response_model=DeclarationPage, summary="报关数据查询 / search declarations")
async def search(
    principal: CurrentPrincipal,
    context: Context,
    criteria: Search,
    order: ListOrder,
    cursor: Cursor = None,
    skip: Skip = 0,
    limit: Limit = 50,
) -> DeclarationPage:
    """The tenant's declarations — drafted here or synced — matching every criterion given, in `sort`/`order`
    (default 最近操作时间, newest first), a page at a time: `cursor` (next_cursor) for any depth, or `skip`."""
    return await _page(context, principal.tenant, criteria, order, cursor, skip, limit)


@router.get(
    "/summary-declarations",
    response_model=DeclarationPage,
    summary="概要申报数据查询 / two-step summary declarations",
)
async def search_summaries(
    principal: CurrentPrincipal,
    context: Context,
    criteria: Search,
    order: ListOrder,
    cursor: Cursor = None,
    skip: Skip = 0,
    limit: Limit = 50,
) -> DeclarationPage:
    """The 概要申报 rows (两步申报, DecHead.Type position 3 = 5), with the list's filters; without a 最近操作时间
    range, the last 7 days (Beijing time, today included)."""
    return await _page(context, principal.tenant, summary_criteria(criteria), order, cursor, skip, limit)


def summary_criteria(criteria: DeclarationSearch, *, now: datetime | None = None) -> DeclarationSearch:
    """The 概要申报 list's criteria: two_step 5, and by default 最近操作时间 within the last 7 days."""
    updated_from = criteria.updated_from
    if updated_from is None and criteria.updated_to is None:
        updated_from = last_days(SUMMARY_DAYS, now=now or datetime.now(UTC))
    return replace(criteria, two_step="5", updated_from=updated_from)


SUMMARY_DAYS = 7


@router.get("/declarations/{declaration_id}", response_model=DeclarationRow, summary="报关单概要 / one row")
async def get_one(declaration_id: str, principal: CurrentPrincipal, context: Context) -> DeclarationRow:
    return await context.read_model.load_row(principal.tenant, declaration_id)


@router.get(
    "/declarations/{declaration_id}/history",
    response_model=list[HistoryEntry],
    summary="跟踪报关单动态 / the declaration's timeline",
)
async def history(declaration_id: str, principal: CurrentPrincipal, context: Context) -> list[HistoryEntry]:
    """Every state change of the declaration and every receipt naming it (its id, 统一编号 or 海关编号), oldest
    first by event or notice time."""
    return await context.history.list(principal.tenant, declaration_id)


class BondedListPage(BaseModel):
    total: int
    items: list[BondedListRow]


@router.get("/bonded-lists", response_model=BondedListPage, summary="核注清单查询 / search 核注清单")
async def search_bonded_lists(
    principal: CurrentPrincipal,
    context: Context,
    criteria: Annotated[BondedListSearch, Depends(bonded_list_search)],
    skip: Annotated[int, Query(ge=0)] = 0,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
) -> BondedListPage:
    total, rows = await context.bonded_lists.search(principal.tenant, criteria, skip=skip, limit=limit)
    return BondedListPage(total=total, items=rows)


@router.get(
    "/bonded-lists/{number}", response_model=BondedListDetail, summary="核注清单详情 / one 核注清单, whole"
)
async def get_bonded_list(
    number: Annotated[str, Path(pattern=BONDED_NUMBER_PATTERN, description="清单编号 (QD…) or 统一编号")],
    principal: CurrentPrincipal,
    context: Context,
) -> BondedListDetail:
    return await context.bonded_lists.load(principal.tenant, number)
