"""Review tasks in the document store. Every read is scoped to a tenant here, not only in routes.

The task's version is the store's `_version`, so the If-Match a client sends is checked by the handler and
again by the store's conditional replace at commit.
"""

from __future__ import annotations

from typing import Any

from guanwu.platform.unit_of_work import Repository
from guanwu.review.domain import REVIEW_TASK, ReviewTask

# The list's filters go with the tenant and 最近操作时间 (its default range); the lookups by declaration,
# number and 申报单号 find a declaration's tasks for its events and receipts.
_INDEXES = (
    [("tenant", 1), ("updated_at", -1)],
    [("tenant", 1), ("status", 1), ("updated_at", -1)],
    [("tenant", 1), ("ie_flag", 1), ("updated_at", -1)],
    [("tenant", 1), ("custom_master", 1), ("updated_at", -1)],
    [("tenant", 1), ("declaration_id", 1), ("declaration_version", -1)],
    [("tenant", 1), ("entry_id", 1)],
    [("tenant", 1), ("seq_no", 1)],
    [("tenant", 1), ("client_seq_no", 1)],
    [("tenant", 1), ("bill_no", 1)],
    [("tenant", 1), ("submitted_at", -1)],
)


class ReviewRepository(Repository[ReviewTask]):
    collection_name = "review_tasks"
    noun = REVIEW_TASK
    model = ReviewTask
    indexes = _INDEXES

    def id_of(self, aggregate: ReviewTask) -> str:
        return aggregate.review_id

    async def search(
        self,
        tenant: str,
        filters: dict[str, Any],
        *,
        skip: int,
        limit: int,
        sort: list[tuple[str, int]] | None = None,
    ) -> tuple[int, list[ReviewTask]]:
        """The tenant's tasks matching the filters (a None value matches all), by `sort` (default: last
        changed first), the review id breaking ties so pages never overlap."""
        query = {**{k: v for k, v in filters.items() if v is not None}, "tenant": tenant}
        order = [*(sort or [("updated_at", -1)]), ("_id", 1)]
        return await self.page(query, sort=order, skip=skip, limit=limit)

    async def of_declaration(self, tenant: str, declaration_id: str) -> list[ReviewTask]:
        """Every task of one declaration, newest declaration version first."""
        docs = await self.collection.find(
            {"tenant": tenant, "declaration_id": declaration_id}, sort=[("declaration_version", -1)]
        )
        return [self.from_document(d) for d in docs]

    async def by_number(self, tenant: str, field: str, number: str) -> list[ReviewTask]:
        """The tasks whose 海关编号 / 统一编号 (`field`) is `number` (receipts that name no declaration id)."""
        docs = await self.collection.find({"tenant": tenant, field: number})
        return [self.from_document(d) for d in docs]
