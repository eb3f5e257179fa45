"""HTTP API of 异常统计分析 (F-23): `GET /api/anomaly/statistics`."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Depends

from guanwu.anomaly.domain.records import AnomalyCategory
from guanwu.anomaly.domain.statistics import Statistics, statistics_query
from guanwu.anomaly.service_layer.context import AnomalyContext
from guanwu.anomaly.service_layer.handlers.statistics import statistics_for
from guanwu.platform.auth import CurrentPrincipal
from guanwu.platform.http.context import service_context

Context = Annotated[AnomalyContext, Depends(service_context("anomaly"))]

router = APIRouter(prefix="/api/anomaly", tags=["anomaly"])


@router.get("/statistics", response_model=Statistics, summary="异常统计分析 / anomaly statistics")
async def statistics(
    principal: CurrentPrincipal,
    context: Context,
    occurred_from: date | None = None,
    occurred_to: date | None = None,
    category: AnomalyCategory | None = None,
) -> Statistics:
    """The tenant's records (deleted ones left out) counted by 异常类型, month, 责任岗位, 责任人, 海关是否处罚 and
    处理状态, and month by month. 发生日期 bounds the months counted: the month of `occurred_from` through the
    month of `occurred_to`, whole months (the counts are kept per month)."""
    query = statistics_query(occurred_from, occurred_to, category.value if category else None)
    assert context.statistics is not None, "bootstrap binds the statistics reading"
    return await statistics_for(principal.tenant, query, reading=context.statistics)
