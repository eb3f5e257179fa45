"""接单 (job orders) in the document store, per tenant, newest first; each carries its JobOrderCreated in the
outbox of its own insert."""

from __future__ import annotations

from guanwu.declaration.domain.job_orders import JOB_ORDER, JobOrder, storage_id
from guanwu.platform.refusal import NotFound
from guanwu.platform.unit_of_work import Repository


class JobOrderRepository(Repository[JobOrder]):
    collection_name = "declaration_job_orders"
    noun = JOB_ORDER
    model = JobOrder
    indexes = ([("tenant", 1), ("created_at", -1)],)

    def id_of(self, aggregate: JobOrder) -> str:
        return storage_id(aggregate.tenant, aggregate.job_order_id)

    async def of_tenant(self, tenant: str, job_order_id: str) -> JobOrder | None:
        """The tenant's order with the id its API names (None for another tenant's, whatever its id)."""
        return await self.get(tenant, storage_id(tenant, job_order_id))

    async def load_of_tenant(self, tenant: str, job_order_id: str) -> JobOrder:
        found = await self.of_tenant(tenant, job_order_id)
        if found is None:
            raise NotFound(JOB_ORDER)
        return found

    async def list_for(self, tenant: str, *, skip: int, limit: int) -> tuple[int, list[JobOrder]]:
        """A page of the tenant's orders, newest first (ties by id, so pages do not overlap)."""
        return await self.page(
            {"tenant": tenant}, sort=[("created_at", -1), ("_id", 1)], skip=skip, limit=limit
        )
