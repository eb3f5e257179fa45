"""HTTP API of the anomaly service (异常状态登记)."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, HTTPException, Query
from pydantic import BaseModel

from guanwu.anomaly.domain import Anomaly, AnomalyCategory, AnomalyInput, AnomalyType, HandlingStatus
from guanwu.anomaly.handlers import register_anomaly
from guanwu.anomaly.repository import AnomalyRepository
from guanwu.platform.auth import CurrentPrincipal, require_roles
from guanwu.platform.outbox import OutboxNotifier


class AnomalyPage(BaseModel):
    total: int
    items: list[Anomaly]


NOT_FOUND = {
    "code": "anomaly.not_found",
    "message_zh": "异常记录不存在",
    "message_en": "Anomaly record not found",
}


def build_router(repository: AnomalyRepository, outbox_written: OutboxNotifier) -> APIRouter:
    router = APIRouter(prefix="/api/anomaly", tags=["anomaly"])

    @router.get("/anomalies", response_model=AnomalyPage, summary="查询异常记录 / search anomaly records")
    async def search(
        principal: CurrentPrincipal,
        category: AnomalyCategory | None = None,
        document_no: Annotated[str | None, Query(max_length=18)] = None,
        anomaly_type: AnomalyType | None = None,
        handling_status: HandlingStatus | None = None,
        occurred_from: date | None = None,
        occurred_to: date | None = None,
        skip: Annotated[int, Query(ge=0)] = 0,
        limit: Annotated[int, Query(ge=1, le=500)] = 50,
    ) -> AnomalyPage:
        date_range = {
            op: d.isoformat() for op, d in (("$gte", occurred_from), ("$lte", occurred_to)) if d is not None
        }
        filters = {
            "category": category,
            "document_no": document_no,
            "anomaly_type": anomaly_type,
            "handling_status": handling_status,
            "occurred_on": date_range or None,
        }
        total, items = await repository.search(principal.tenant, filters, skip=skip, limit=limit)
        return AnomalyPage(total=total, items=items)

    @router.get(
        "/anomalies/{anomaly_id}", response_model=Anomaly, summary="异常记录详情 / one anomaly record"
    )
    async def get_one(anomaly_id: str, principal: CurrentPrincipal) -> Anomaly:
        anomaly = await repository.get(principal.tenant, anomaly_id)
        if anomaly is None:
            raise HTTPException(404, detail=NOT_FOUND)
        return anomaly

    @router.post(
        "/anomalies",
        response_model=Anomaly,
        status_code=201,
        summary="新增异常登记 / register an anomaly",
        dependencies=[require_roles("preparer", "reviewer", "manager")],
    )
    async def create(form: AnomalyInput, principal: CurrentPrincipal) -> Anomaly:
        return await register_anomaly(
            form,
            tenant=principal.tenant,
            user_id=principal.user_id,
            repository=repository,
            outbox_written=outbox_written,
        )

    return router
