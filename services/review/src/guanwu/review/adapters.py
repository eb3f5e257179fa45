"""Review tasks in the document store. Every read is scoped to a tenant here, not only in routes.

The task's version is the store's `_version`, so the If-Match a client sends is checked by the handler and
again by the store's conditional replace at commit.
"""

from __future__ import annotations

from typing import Any

from guanwu.platform.unit_of_work import Repository
from guanwu.review.domain import REVIEW_TASK, ReviewTask


class ReviewRepository(Repository[ReviewTask]):
    collection_name = "review_tasks"
    noun = REVIEW_TASK
    model = ReviewTask
    indexes = (
        [("tenant", 1), ("status", 1), ("submitted_at", -1)],
        [("tenant", 1), ("declaration_id", 1)],
    )

    def id_of(self, aggregate: ReviewTask) -> str:
        return aggregate.review_id

    async def search(
        self, tenant: str, filters: dict[str, Any], *, skip: int, limit: int
    ) -> tuple[int, list[ReviewTask]]:
        """The tenant's tasks matching the given filters (a None filter matches all), newest first."""
        query = {"tenant": tenant, **{k: v for k, v in filters.items() if v is not None}}
        return await self.page(query, sort=[("submitted_at", -1)], skip=skip, limit=limit)
