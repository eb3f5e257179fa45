"""Review tasks in the document store. Every read is scoped to a tenant here, not only in routes.

The task's version is the store's `_version`, so the If-Match a client sends is checked by the handler and
again by the store's conditional replace at commit.

The declaration document a task reviews is kept beside it, in `review_task_documents` under the task's id:
written once when the task opens (a task's document never changes), read with the task by `get`/`load` and
`of_declaration`, left out of the list. A task with its document inline was 4–8 times slower to filter and
count on FerretDB, which reads whole documents to evaluate a filter.
"""

from __future__ import annotations

from collections.abc import Sequence

from guanwu.contracts.declaration import DeclarationDocument
from guanwu.platform.store.port import OUTBOX_FIELD, Document, DocumentStore, Filter
from guanwu.platform.unit_of_work import Events, Repository, UnitOfWork, Write
from guanwu.review.domain import REVIEW_TASK, ReviewTask

DOCUMENTS = "review_task_documents"

# The list's filters go with the tenant and 最近操作时间 (its default range); the lookups by declaration,
# number and 申报单号 find a declaration's tasks for its events and receipts. The screen's usual query (审核状态,
# 申报地海关, with or without 进出口标志, over a period) has indexes of its own holding every field it filters
# on: the count is then read from the index alone, and a page from the index in order.
_INDEXES = (
    [("tenant", 1), ("updated_at", -1)],
    [("tenant", 1), ("status", 1), ("updated_at", -1)],
    [("tenant", 1), ("status", 1), ("custom_master", 1), ("updated_at", -1)],
    [("tenant", 1), ("status", 1), ("ie_flag", 1), ("custom_master", 1), ("updated_at", -1)],
    [("tenant", 1), ("ie_flag", 1), ("updated_at", -1)],
    [("tenant", 1), ("custom_master", 1), ("updated_at", -1)],
    [("tenant", 1), ("declaration_id", 1), ("declaration_version", -1)],
    [("tenant", 1), ("entry_id", 1)],
    [("tenant", 1), ("seq_no", 1)],
    [("tenant", 1), ("client_seq_no", 1)],
    [("tenant", 1), ("bill_no", 1)],
    [("tenant", 1), ("submitted_at", -1)],
)

_NOT_IN_ROWS = ("audit", OUTBOX_FIELD)


class ReviewRepository(Repository[ReviewTask]):
    collection_name = "review_tasks"
    noun = REVIEW_TASK
    model = ReviewTask
    indexes = _INDEXES

    def __init__(self, store: DocumentStore, uow: UnitOfWork) -> None:
        super().__init__(store, uow)
        self.documents = store.collection(DOCUMENTS)

    def id_of(self, aggregate: ReviewTask) -> str:
        return aggregate.review_id

    def to_document(self, aggregate: ReviewTask) -> Document:
        return {
            "_id": aggregate.review_id,
            **aggregate.model_dump(mode="json", exclude={"version", "document"}),
        }

    def add(self, aggregate: ReviewTask, events: Events = (), *, once: bool = False) -> Write:
        """The task with its document, the document staged first: a task is never stored without it (a retry
        after a crash between the two finds the document there and stores the task)."""
        if aggregate.document is not None:
            kept = {
                "_id": aggregate.review_id,
                "tenant": aggregate.tenant,
                "declaration_id": aggregate.declaration_id,
                "document": aggregate.document.model_dump(mode="json"),
            }
            self._uow.stage(Write(self.documents, self.noun, kept, once=True))
        return super().add(aggregate, events, once=once)

    async def get(self, tenant: str, aggregate_id: str) -> ReviewTask | None:
        task = await super().get(tenant, aggregate_id)
        return None if task is None else (await self.with_documents([task]))[0]

    async def with_documents(self, tasks: Sequence[ReviewTask]) -> list[ReviewTask]:
        """The tasks with the documents they review (one read for all)."""
        wanted = [t.review_id for t in tasks if t.document is None]
        found = {d["_id"]: d["document"] for d in await self.documents.get_many(wanted)} if wanted else {}
        return [
            t.model_copy(update={"document": DeclarationDocument.model_validate(found[t.review_id])})
            if t.review_id in found
            else t
            for t in tasks
        ]

    async def rows(
        self, tenant: str, filter: Filter, *, skip: int, limit: int, sort: list[tuple[str, int]]
    ) -> tuple[int, list[Document]]:
        """The list (F-10): how many of the tenant's tasks match `filter` and one page of them by `sort`, the
        review id breaking ties so pages never overlap — as stored, no task built: a row needs a few fields
        and counts the marks, and the audit trail (which grows with every click) is left in the store."""
        query = {**filter, "tenant": tenant}
        order = [*sort, ("_id", 1)]
        return await self.collection.page(query, sort=order, skip=skip, limit=limit, without=_NOT_IN_ROWS)

    async def of_declaration(self, tenant: str, declaration_id: str) -> list[ReviewTask]:
        """Every task of one declaration, newest declaration version first (without their documents)."""
        docs = await self.collection.find(
            {"tenant": tenant, "declaration_id": declaration_id}, sort=[("declaration_version", -1)]
        )
        return [self.from_document(d) for d in docs]

    async def by_number(self, tenant: str, field: str, number: str) -> list[ReviewTask]:
        """The tasks whose 海关编号 / 统一编号 (`field`) is `number` (receipts that name no declaration id)."""
        docs = await self.collection.find({"tenant": tenant, field: number})
        return [self.from_document(d) for d in docs]
