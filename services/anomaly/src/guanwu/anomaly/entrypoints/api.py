"""HTTP API of the anomaly records (异常状态登记): 报关单异常 and 核注清单异常 — the list and its export, 新增,
修改, 变更状态, 删除 (one or many), a record's history.

Routes turn a request into a handler call and its answer; refusals are the domain's and the platform answers
them (404, 409, 412, 422), so no route catches anything. Changes of one record state the version they were
based on (If-Match; 428 without it, 412 when it moved on) and answer with the new one as ETag.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import date
from functools import partial
from typing import Annotated, Any, Literal
from urllib.parse import quote

from fastapi import APIRouter, Depends, Query, Response
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, ConfigDict, Field

from guanwu.anomaly.domain.records import (
    AnomalyCategory,
    AnomalyEdit,
    AnomalyInput,
    AnomalyOrder,
    AnomalyRecord,
    AnomalySearch,
    AnomalyType,
    HandlingStatus,
    HistoryEntry,
    SortField,
    StatusChange,
    export_headers,
    export_row,
)
from guanwu.anomaly.service_layer.context import AnomalyContext
from guanwu.anomaly.service_layer.handlers import (
    Caller,
    DeleteOutcome,
    change_anomaly_status,
    delete_anomalies,
    delete_anomaly,
    edit_anomaly,
    register_anomaly,
)
from guanwu.platform.auth import CurrentPrincipal, require_roles
from guanwu.platform.http.context import service_context
from guanwu.platform.http.versioning import IfMatch, answer_change, expected_version, tagged
from guanwu.platform.spreadsheet import streamed, write_xlsx

Context = Annotated[AnomalyContext, Depends(service_context("anomaly"))]
WRITERS = [require_roles("preparer", "reviewer", "manager")]
"""Who registers and changes records (admin too); any role of the tenant reads them."""
MAX_SELECTED = 500
SHEET_TITLES = {AnomalyCategory.DECLARATION: "报关单异常", AnomalyCategory.BONDED_LIST: "核注清单异常"}
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

router = APIRouter(prefix="/api/anomaly", tags=["anomaly"])


class AnomalyPage(BaseModel):
    total: int
    items: list[AnomalyRecord]


def search_of(
    category: AnomalyCategory | None = None,
    document_no: Annotated[str | None, Query(max_length=18, description="报关单号 / 核注清单编号")] = None,
    trade_name: Annotated[str | None, Query(max_length=100, description="境内收发货人")] = None,
    ie_flag: Annotated[Literal["I", "E"] | None, Query(description="进出口")] = None,
    client_name: Annotated[str | None, Query(max_length=100, description="委托企业")] = None,
    anomaly_type: AnomalyType | None = None,
    occurred_from: Annotated[date | None, Query(description="发生日期 from (inclusive)")] = None,
    occurred_to: Annotated[date | None, Query(description="发生日期 to (inclusive)")] = None,
    responsible_post: Annotated[str | None, Query(max_length=50, description="责任岗位")] = None,
    responsible_person: Annotated[str | None, Query(max_length=50, description="责任人")] = None,
    penalized: Annotated[bool | None, Query(description="海关是否处罚")] = None,
    handling_status: HandlingStatus | None = None,
    completed_from: Annotated[date | None, Query(description="完成日期 from (inclusive)")] = None,
    completed_to: Annotated[date | None, Query(description="完成日期 to (inclusive)")] = None,
) -> AnomalySearch:
    """The list's conditions: every field of the seed's query form; text matches exactly."""
    return AnomalySearch(
        category=category,
        document_no=document_no,
        trade_name=trade_name,
        ie_flag=ie_flag,
        client_name=client_name,
        anomaly_type=anomaly_type,
        occurred_from=occurred_from,
        occurred_to=occurred_to,
        responsible_post=responsible_post,
        responsible_person=responsible_person,
        penalized=penalized,
        handling_status=handling_status,
        completed_from=completed_from,
        completed_to=completed_to,
    )


def order_of(
    sort: Annotated[SortField, Query(description="The field to sort by")] = SortField.OCCURRED_ON,
    order: Annotated[Literal["asc", "desc"], Query(description="Ascending or descending")] = "desc",
) -> AnomalyOrder:
    return AnomalyOrder(field=sort, descending=order == "desc")


Search = Annotated[AnomalySearch, Depends(search_of)]
Order = Annotated[AnomalyOrder, Depends(order_of)]


def caller_of(anomaly_id: str, principal: CurrentPrincipal, if_match: IfMatch = None) -> Caller:
    """A change based on the version the caller read (If-Match; 428 without it)."""
    return Caller(principal.tenant, principal.user_id, anomaly_id, expected_version(if_match))


Changing = Annotated[Caller, Depends(caller_of)]


@router.get("/anomalies", response_model=AnomalyPage, summary="查询异常记录 / search anomaly records")
async def search(
    principal: CurrentPrincipal,
    context: Context,
    criteria: Search,
    order: Order,
    skip: Annotated[int, Query(ge=0)] = 0,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
) -> Any:
    total, items = await context.new_uow().anomalies.search(
        principal.tenant, criteria, skip=skip, limit=limit, order=order
    )
    records: list[AnomalyRecord] = [*items]
    return AnomalyPage(total=total, items=records)


@router.get(
    "/anomalies/export.xlsx",
    response_class=StreamingResponse,
    responses={200: {"content": {XLSX: {}}, "description": "The sheet (.xlsx), Chinese headers"}},
    summary="导出异常记录 / export the list to Excel (.xlsx)",
)
async def export(
    principal: CurrentPrincipal,
    context: Context,
    criteria: Search,
    order: Order,
    ids: Annotated[
        list[str] | None,
        Query(
            max_length=MAX_SELECTED, description="The selected records only (repeat `ids=`); else all matches"
        ),
    ] = None,
) -> StreamingResponse:
    selected = AnomalySearch(**{**vars(criteria), "ids": tuple(ids or ())})
    records = context.new_uow().anomalies.each(principal.tenant, selected, order=order)

    async def rows() -> AsyncIterator[list[Any]]:
        async for anomaly in records:
            yield export_row(anomaly)

    name = SHEET_TITLES[criteria.category] if criteria.category else "异常状态登记"
    path = await write_xlsx(name, export_headers(criteria.category), rows())
    filename = f"{name}-{context.clock().date():%Y%m%d}.xlsx"
    disposition = f"attachment; filename=\"anomalies.xlsx\"; filename*=UTF-8''{quote(filename)}"
    return StreamingResponse(streamed(path), media_type=XLSX, headers={"Content-Disposition": disposition})


@router.get(
    "/anomalies/{anomaly_id}",
    response_model=AnomalyRecord,
    summary="异常记录详情 / one anomaly record (ETag: its version)",
)
async def get_one(anomaly_id: str, principal: CurrentPrincipal, response: Response, context: Context) -> Any:
    return tagged(await context.new_uow().anomalies.load(principal.tenant, anomaly_id), response)


@router.get(
    "/anomalies/{anomaly_id}/history",
    response_model=list[HistoryEntry],
    summary="变更记录 / a record's history: who changed what, when, before and after",
)
async def history(anomaly_id: str, principal: CurrentPrincipal, context: Context) -> list[HistoryEntry]:
    return (await context.new_uow().anomalies.load(principal.tenant, anomaly_id)).history


@router.post(
    "/anomalies",
    response_model=AnomalyRecord,
    status_code=201,
    summary="新增异常登记 / register an anomaly",
    dependencies=WRITERS,
)
async def create(
    form: AnomalyInput, principal: CurrentPrincipal, response: Response, context: Context
) -> Any:
    anomaly = await register_anomaly(
        form, tenant=principal.tenant, user_id=principal.user_id, uow=context.new_uow(), clock=context.clock
    )
    response.headers["Location"] = f"/api/anomaly/anomalies/{anomaly.anomaly_id}"
    return tagged(anomaly, response)


@router.put(
    "/anomalies/{anomaly_id}",
    response_model=AnomalyRecord,
    summary="修改异常登记 / edit a record (If-Match required)",
    dependencies=WRITERS,
)
async def edit(
    anomaly_id: str,
    form: AnomalyEdit,
    principal: CurrentPrincipal,
    response: Response,
    context: Context,
    if_match: IfMatch = None,
) -> Any:
    caller = caller_of(anomaly_id, principal, if_match)  # after the body: a bad form is a 422 before a 428
    return await answer_change(partial(edit_anomaly, form=form), caller, context, response)


@router.post(
    "/anomalies/{anomaly_id}/status",
    response_model=AnomalyRecord,
    summary="变更状态 / change the handling status: 未处理 → 处理中 → 已处理, back with a reason (If-Match)",
    dependencies=WRITERS,
)
async def change_status(
    anomaly_id: str,
    change: StatusChange,
    principal: CurrentPrincipal,
    response: Response,
    context: Context,
    if_match: IfMatch = None,
) -> Any:
    caller = caller_of(anomaly_id, principal, if_match)
    return await answer_change(partial(change_anomaly_status, change=change), caller, context, response)


Reason = Annotated[str, Query(min_length=1, max_length=500, description="Why it is deleted (kept for audit)")]


@router.delete(
    "/anomalies/{anomaly_id}",
    status_code=204,
    summary="删除异常记录 / delete a record: gone from the lists, kept for audit (If-Match, reason)",
    dependencies=WRITERS,
)
async def remove(caller: Changing, reason: Reason, context: Context) -> Response:
    await delete_anomaly(caller, reason=reason, uow=context.new_uow(), clock=context.clock)
    return Response(status_code=204)


class Deletion(BaseModel):
    """删除 of the records selected in the list."""

    model_config = ConfigDict(extra="forbid")

    ids: list[Annotated[str, Field(min_length=1, max_length=64)]] = Field(
        min_length=1, max_length=MAX_SELECTED, description="The selected records"
    )
    reason: str = Field(min_length=1, max_length=500, description="Why they are deleted (kept for audit)")


class DeletionResult(BaseModel):
    anomaly_id: str
    outcome: DeleteOutcome = Field(
        description="deleted; not_found (not in your tenant, or already deleted); conflict (changed meanwhile)"
    )


class DeletionAnswer(BaseModel):
    deleted: int = Field(description="How many records were deleted")
    results: list[DeletionResult]


@router.post(
    "/anomalies/deletions",
    response_model=DeletionAnswer,
    summary="批量删除 / delete the selected records (answers per id)",
    dependencies=WRITERS,
)
async def remove_many(deletion: Deletion, principal: CurrentPrincipal, context: Context) -> DeletionAnswer:
    outcomes = await delete_anomalies(
        deletion.ids,
        tenant=principal.tenant,
        user_id=principal.user_id,
        reason=deletion.reason,
        uow=context.new_uow(),
        clock=context.clock,
    )
    results = [DeletionResult(anomaly_id=i, outcome=o) for i, o in outcomes]
    deleted = {i for i, o in outcomes if o is DeleteOutcome.DELETED}
    return DeletionAnswer(deleted=len(deleted), results=results)
