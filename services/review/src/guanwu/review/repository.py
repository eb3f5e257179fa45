"""Review tasks in the document store. Every read is scoped to a tenant here, not only in routes.

The task's version is the store's `_version`, so the If-Match a client sends is checked by the store's
conditional replace as well as by the handler.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from guanwu.contracts.envelope import Envelope
from guanwu.platform.idempotency import insert_once
from guanwu.platform.outbox import add_events
from guanwu.platform.store.port import OUTBOX_FIELD, VERSION_FIELD, Collection, Document, DocumentStore
from guanwu.review.domain import ReviewTask

COLLECTION = "review_tasks"


def _task(doc: Document) -> ReviewTask:
    return ReviewTask.model_validate({**doc, "version": doc[VERSION_FIELD]})


class ReviewRepository:
    def __init__(self, store: DocumentStore) -> None:
        self.collection: Collection = store.collection(COLLECTION)

    async def ensure_indexes(self) -> None:
        await self.collection.ensure_index([("tenant", 1), ("status", 1), ("submitted_at", -1)])
        await self.collection.ensure_index([("tenant", 1), ("declaration_id", 1)])

    async def add(self, task: ReviewTask) -> bool:
        """False when a task with the same id exists: the submission was delivered again."""
        body = task.model_dump(mode="json", exclude={"version"})
        return await insert_once(self.collection, {"_id": task.review_id, **body})

    async def save(self, task: ReviewTask, events: Sequence[tuple[str, Envelope]]) -> None:
        """Replace the stored task it was read from (`version - 1`); ConcurrencyConflict otherwise."""
        body = task.model_dump(mode="json", exclude={"version"})
        doc = await self.collection.get(task.review_id)
        pending = list((doc or {}).get(OUTBOX_FIELD) or [])  # events not yet relayed must survive the replace
        new_doc = add_events({"_id": task.review_id, **body, OUTBOX_FIELD: pending}, events)
        await self.collection.replace(new_doc, expected_version=task.version - 1)

    async def get(self, tenant: str, review_id: str) -> ReviewTask | None:
        doc = await self.collection.find_one({"_id": review_id, "tenant": tenant})
        return _task(doc) if doc else None

    async def search(
        self, tenant: str, filters: dict[str, Any], *, skip: int, limit: int
    ) -> tuple[int, list[ReviewTask]]:
        query = {"tenant": tenant, **{k: v for k, v in filters.items() if v is not None}}
        total = await self.collection.count(query)
        docs = await self.collection.find(query, sort=[("submitted_at", -1)], skip=skip, limit=limit)
        return total, [_task(d) for d in docs]
