"""HTTP API of 生成接单 (F-34): job orders (接单) made from selected declarations, listed newest first.

`POST /api/declaration/job-orders` is idempotent: the client's `job_order_id`, or an `Idempotency-Key` header,
names the order; asking again answers the same order (200 instead of 201) and adds nothing.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Header, Query, Response
from pydantic import BaseModel

from guanwu.contracts.events import JobOrderDeclaration
from guanwu.declaration.domain.job_orders import JobOrder, JobOrderInput
from guanwu.declaration.service_layer.context import DeclarationContext
from guanwu.declaration.service_layer.handlers import job_orders
from guanwu.platform.auth import CurrentPrincipal, require_roles
from guanwu.platform.http.context import service_context

READERS = ("preparer", "reviewer", "manager", "integration")
MAKERS = ("preparer", "manager")

Context = Annotated[DeclarationContext, Depends(service_context("declaration"))]

router = APIRouter(prefix="/api/declaration/job-orders", tags=["declaration job orders"])


class JobOrderView(BaseModel):
    """A 接单 as the API shows it."""

    job_order_id: str
    client_name: str
    bill_no: str | None
    tracking_no: str | None
    note: str | None
    declarations: list[JobOrderDeclaration]
    created_by: str
    created_at: datetime

    @classmethod
    def of(cls, order: JobOrder) -> JobOrderView:
        return cls.model_validate(order.model_dump(exclude={"tenant", "version", "fingerprint"}))


class JobOrderPage(BaseModel):
    total: int
    items: list[JobOrderView]


def url_of(job_order_id: str) -> str:
    return f"/api/declaration/job-orders/{job_order_id}"


@router.post(
    "",
    response_model=JobOrderView,
    status_code=201,
    summary="生成接单 / make a job order from selected declarations (idempotent)",
    responses={200: {"description": "Asked again with the same id or Idempotency-Key: the same order"}},
    dependencies=[require_roles(*MAKERS)],
)
async def create(
    body: JobOrderInput,
    principal: CurrentPrincipal,
    response: Response,
    context: Context,
    idempotency_key: Annotated[
        str | None, Header(alias="Idempotency-Key", min_length=1, max_length=255)
    ] = None,
) -> JobOrderView:
    order, made = await job_orders.make_job_order(
        body, caller=principal, uow=context.new_uow(), clock=context.clock, idempotency_key=idempotency_key
    )
    response.status_code = 201 if made else 200
    response.headers["Location"] = url_of(order.job_order_id)
    return JobOrderView.of(order)


@router.get(
    "",
    response_model=JobOrderPage,
    summary="接单列表 / the tenant's job orders, newest first",
    dependencies=[require_roles(*READERS)],
)
async def list_orders(
    principal: CurrentPrincipal,
    context: Context,
    skip: Annotated[int, Query(ge=0)] = 0,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> JobOrderPage:
    total, items = await job_orders.list_job_orders(
        caller=principal, uow=context.new_uow(), skip=skip, limit=limit
    )
    return JobOrderPage(total=total, items=[JobOrderView.of(order) for order in items])


@router.get(
    "/{job_order_id}",
    response_model=JobOrderView,
    summary="接单详情 / one job order",
    dependencies=[require_roles(*READERS)],
)
async def get_one(job_order_id: str, principal: CurrentPrincipal, context: Context) -> JobOrderView:
    order = await job_orders.job_order(job_order_id, caller=principal, uow=context.new_uow())
    return JobOrderView.of(order)
