"""异常状态登记: 报关单异常, 核注清单异常 (and 统计分析)."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from guanwu.console.domain.screens import anomaly_screen
from guanwu.console.entrypoints.pages import Context, list_page

router = APIRouter(include_in_schema=False)


@router.get("/console/anomalies/declaration")
async def declaration_anomalies(request: Request, context: Context, page: int = 1) -> Response:
    return await list_page(request, context, anomaly_screen("declaration"), page)


@router.get("/console/anomalies/bonded-list")
async def bonded_list_anomalies(request: Request, context: Context, page: int = 1) -> Response:
    return await list_page(request, context, anomaly_screen("bonded_list"), page)
