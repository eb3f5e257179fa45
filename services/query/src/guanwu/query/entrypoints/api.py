"""HTTP API of the query service (业务数据查询)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Path, Query
from pydantic import BaseModel

from guanwu.contracts.sync import (
    BONDED_LIST_STATUS_NAMES,
    BONDED_NUMBER_PATTERN,
    DATA_SOURCE_NAMES,
    SEQ_NO_PATTERN,
    BondedListStatus,
    DataSource,
)
from guanwu.platform.auth import CurrentPrincipal
from guanwu.platform.http.context import service_context
from guanwu.query.domain.bonded_lists import BondedListDetail, BondedListRow, BondedListSearch
from guanwu.query.domain.declarations import DeclarationRow
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


class BondedListPage(BaseModel):
    total: int
    items: list[BondedListRow]


BOND_INVT_NO_PATTERN = r"^QD[0-9A-Z]{16}$"
UPDATED_AT = "最近操作时间 (sw_updated_at); a time without an offset is Beijing time (+08:00)"


@router.get("/bonded-lists", response_model=BondedListPage, summary="核注清单查询 / search 核注清单")
async def search_bonded_lists(
    principal: CurrentPrincipal,
    context: Context,
    bond_invt_no: Annotated[
        str | None, Query(pattern=BOND_INVT_NO_PATTERN, description="清单编号 QD… (exact)")
    ] = None,
    seq_no: Annotated[str | None, Query(pattern=SEQ_NO_PATTERN, description="统一编号 (exact)")] = None,
    list_stat: Annotated[
        BondedListStatus | None, Query(description="数据状态: " + str(BONDED_LIST_STATUS_NAMES))
    ] = None,
    ie_flag: Annotated[Literal["I", "E"] | None, Query(description="进出口标志: I 进口, E 出口")] = None,
    data_source: Annotated[DataSource | None, Query(description="数据源: " + str(DATA_SOURCE_NAMES))] = None,
    trade_name: Annotated[
        str | None, Query(min_length=1, max_length=512, description="经营企业名称 (exact, whole name)")
    ] = None,
    updated_from: Annotated[datetime | None, Query(description=UPDATED_AT + " from, inclusive")] = None,
    updated_to: Annotated[datetime | None, Query(description=UPDATED_AT + " to, exclusive")] = None,
    skip: Annotated[int, Query(ge=0)] = 0,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
) -> BondedListPage:
    criteria = BondedListSearch(
        bond_invt_no=bond_invt_no,
        seq_no=seq_no,
        list_stat=list_stat,
        ie_flag=ie_flag,
        data_source=data_source,
        trade_name=trade_name,
        updated_from=updated_from,
        updated_to=updated_to,
    )
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
