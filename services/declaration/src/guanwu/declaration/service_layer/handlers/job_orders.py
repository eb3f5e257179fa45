"""生成接单 (F-34): make a job order from selected declarations, idempotently; list and read them."""

from __future__ import annotations

from guanwu.contracts.events import JobOrderCreated
from guanwu.declaration.domain.commands import Caller
from guanwu.declaration.domain.job_orders import (
    JobOrder,
    JobOrderInput,
    create_job_order,
    job_order_id_for,
    same_request,
)
from guanwu.declaration.service_layer.handlers import SOURCE
from guanwu.declaration.service_layer.unit_of_work import DeclarationUnitOfWork
from guanwu.platform.clock import Clock
from guanwu.platform.events import envelope_for
from guanwu.platform.ids import deterministic_id


async def make_job_order(
    asked: JobOrderInput,
    *,
    caller: Caller,
    uow: DeclarationUnitOfWork,
    clock: Clock,
    idempotency_key: str | None = None,
) -> tuple[JobOrder, bool]:
    """The order and whether this call made it: asked again with the same id (or Idempotency-Key), the order
    made the first time, nothing added; with the same id and another request, refused."""
    tenant = caller.tenant
    job_order_id = job_order_id_for(tenant, asked, idempotency_key)
    existing = await uow.job_orders.of_tenant(tenant, job_order_id)
    if existing is not None:
        return same_request(existing, asked), False
    found = await uow.declarations.of_tenant(tenant, asked.declaration_ids)
    order = create_job_order(
        asked, found, job_order_id=job_order_id, tenant=tenant, user_id=caller.user_id, now=clock()
    )
    event_id = deterministic_id(JobOrderCreated.event_type, tenant, job_order_id)
    announced = envelope_for(order.created_event(), source=SOURCE, tenant=tenant, event_id=event_id)
    write = uow.job_orders.add(order, [announced], once=True)
    await uow.commit()
    if write.stored:
        return order, True
    # Made meanwhile by the same request asked twice at once: answer that one.
    return same_request(await uow.job_orders.load_of_tenant(tenant, job_order_id), asked), False


async def list_job_orders(
    *, caller: Caller, uow: DeclarationUnitOfWork, skip: int, limit: int
) -> tuple[int, list[JobOrder]]:
    return await uow.job_orders.list_for(caller.tenant, skip=skip, limit=limit)


async def job_order(job_order_id: str, *, caller: Caller, uow: DeclarationUnitOfWork) -> JobOrder:
    return await uow.job_orders.load_of_tenant(caller.tenant, job_order_id)
