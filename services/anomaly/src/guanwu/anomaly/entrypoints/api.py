"""HTTP API of the anomaly service (异常状态登记)."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel

from guanwu.anomaly.domain import (
    Anomaly,
    AnomalyCategory,
    AnomalyInput,
    AnomalySearch,
    AnomalyType,
    HandlingStatus,
)
from guanwu.anomaly.service_layer.context import AnomalyContext
from guanwu.anomaly.service_layer.handlers import register_anomaly
from guanwu.platform.auth import CurrentPrincipal, require_roles
from guanwu.platform.http.context import service_context

Context = Annotated[AnomalyContext, Depends(service_context("anomaly"))]

router = APIRouter(prefix="/api/anomaly", tags=["anomaly"])


class AnomalyPage(BaseModel):
    total: int
    items: list[Anomaly]


@router.get("/anomalies", response_model=AnomalyPage, summary="查询异常记录 / search anomaly records")
async def search(
    principal: CurrentPrincipal,
    context: Context,
    category: AnomalyCategory | None = None,
    document_no: Annotated[str | None, Query(max_length=18)] = None,
    anomaly_type: AnomalyType | None = None,
    handling_status: HandlingStatus | None = None,
    occurred_from: date | None = None,
    occurred_to: date | None = None,
    skip: Annotated[int, Query(ge=0)] = 0,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
) -> AnomalyPage:
    criteria = AnomalySearch(
        category=category,
        document_no=document_no,
        anomaly_type=anomaly_type,
        handling_status=handling_status,
        occurred_from=occurred_from,
        occurred_to=occurred_to,
    )
    total, items = await context.new_uow().anomalies.search(
        principal.tenant, criteria, skip=skip, limit=limit
    )
    return AnomalyPage(total=total, items=items)


@router.get("/anomalies/{anomaly_id}", response_model=Anomaly, summary="异常记录详情 / one anomaly record")
async def get_one(anomaly_id: str, principal: CurrentPrincipal, context: Context) -> Anomaly:
    return await context.new_uow().anomalies.load(principal.tenant, anomaly_id)


@router.post(
    "/anomalies",
    response_model=Anomaly,
    status_code=201,
    summary="新增异常登记 / register an anomaly",
    dependencies=[require_roles("preparer", "reviewer", "manager")],
)
async def create(form: AnomalyInput, principal: CurrentPrincipal, context: Context) -> Anomaly:
    return await register_anomaly(
        form, tenant=principal.tenant, user_id=principal.user_id, uow=context.new_uow(), clock=context.clock
    )
