"""The declaration read model in the document store: the projection's own store adapter.

It needs no unit of work: it publishes nothing. Every write is a merge whose result does not depend on the
order of what is merged (see `guanwu.query.domain.declarations`), guarded by the row's `_version`: a write that
meets a concurrent one (the receipts' consumer, another replica) is merged again into what that one stored.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from guanwu.contracts.declaration import DeclarationDocument
from guanwu.platform.idempotency import ProjectionRow, apply_many_if_newer
from guanwu.platform.refusal import NotFound, Noun, Refusal
from guanwu.platform.store.port import (
    VERSION_FIELD,
    Collection,
    ConcurrencyConflict,
    Document,
    DocumentStore,
    DuplicateKeyError,
)
from guanwu.query.domain.declarations import (
    Change,
    DeclarationChange,
    DeclarationRow,
    merged_row,
    row_id,
)
from guanwu.query.domain.search import DeclarationSearch, Order

_ATTEMPTS = 20
PAGE = 500
"""Rows read at once when streaming (export)."""

HIDDEN = (
    "inputs",
    "trade_name_tokens",
    "goods_name_tokens",
    "sort_updated",
    "sort_declared",
    "sort_seq_no",
    "sort_entry_id",
)


SEARCH_INDEXES = (
    ("status",),
    ("review_status",),
    ("ie_flag",),
    ("custom_master",),
    ("trade_mode",),
    ("channel",),
    ("two_step",),
    ("ie_flag", "custom_master"),
    ("custom_master", "trade_mode", "ie_flag"),
    ("ie_flag", "review_status"),
    ("ie_flag", "status"),
)
"""The list's filters with an index of their own, each then 最近操作时间 (newest first): the seed's single
filters, and its common combinations — 进出口标志 with 申报地海关 (and 监管方式), with 审核状态, with 系统状态 — whose
count (the `total`) is then read from one index alone, no row, and whose page is read in index order."""


COUNT_CAP = 10_000
"""The list counts its matches exactly up to this many; beyond, its total says "this many or more"
(`DeclarationPage.total_capped`): a count reads every match's index entry, which for a filter matching most of a
large tenant's rows (no period, one broad filter) costs more than the page it comes with."""

UNLISTED = ("inputs", "trade_name_tokens", "goods_name_tokens")
"""Stored fields a page's rows leave in the store (not decoded): the merge's inputs and the search tokens."""


@dataclass(frozen=True)
class DeclarationPage:
    """One page of the list: the matching total (`COUNT_CAP` when `total_capped`: at least that many), the rows,
    and the cursor of the next page (none: the last)."""

    total: int
    items: list[DeclarationRow]
    next_cursor: str | None = None
    total_capped: bool = False


@dataclass(frozen=True)
class Written:
    """What a batch write did: how many rows changed, and every row the batch touched, as merged (the receipts
    waiting for them are looked up and given to them)."""

    changed: int = 0
    rows: list[Document] = field(default_factory=list)


class NoDocumentYet(Refusal):
    """The declaration is known but no event has brought its whole document yet (HTTP 409)."""

    def __init__(self) -> None:
        super().__init__(
            "query.document_not_yet_known",
            "报关单内容尚未同步到查询服务，请稍后再试",
            "The declaration's document has not reached the query service yet; try again shortly",
        )


class DeclarationReadModel:
    collection_name = "query_declarations"
    documents_name = "query_declaration_documents"
    """The whole documents, beside the rows (same ids): the newest version's wins."""
    noun = Noun("query", "报关单", "declaration")

    count_cap = COUNT_CAP
    """The list's totals are exact up to this many."""

    def __init__(self, store: DocumentStore, *, count_cap: int | None = None) -> None:
        self.collection: Collection = store.collection(self.collection_name)
        self.documents: Collection = store.collection(self.documents_name)
        if count_cap is not None:
            self.count_cap = count_cap

    async def ensure_indexes(self) -> None:
        """Each list filter's index ends with the default order (最近操作时间, newest first), which also carries
        the 最近操作时间 range, so a filtered page reads the index in order; the numbers people look up are
        indexed on their own."""
        await self.collection.ensure_index([("tenant", 1), ("sort_updated", -1)])
        for key in ("sort_declared", "sort_seq_no", "sort_entry_id"):
            await self.collection.ensure_index([("tenant", 1), (key, -1)])
        for number in ("seq_no", "entry_id", "bill_no", "client_seq_no", "declaration_id"):
            await self.collection.ensure_index([("tenant", 1), (number, 1)])
        for columns in SEARCH_INDEXES:
            await self.collection.ensure_index(
                [("tenant", 1), *((column, 1) for column in columns), ("sort_updated", -1)]
            )

    # ---------------------------------------------------------------------------------------------- writing

    async def apply(self, changes: Mapping[str, Sequence[Change]]) -> Written:
        """Merge each row's changes (by row id) in a few store calls; the documents first, so a row that says
        it has one never lacks it."""
        documents = [
            ProjectionRow(
                doc_id,
                change.version,
                {
                    "tenant": change.tenant,
                    "declaration_id": change.declaration_id,
                    "document": change.document,
                },
            )
            for doc_id, group in changes.items()
            for change in group
            if isinstance(change, DeclarationChange) and change.document is not None
        ]
        if documents:
            await apply_many_if_newer(self.documents, documents)
        stored = {doc["_id"]: doc for doc in await self.collection.get_many(list(changes))}
        rows = {doc_id: merged_row(doc_id, stored.get(doc_id), group) for doc_id, group in changes.items()}
        fresh = [row for doc_id, row in rows.items() if row is not None and doc_id not in stored]
        inserted = await self.collection.insert_many(fresh)
        changed = {row["_id"] for row, ok in zip(fresh, inserted, strict=True) if ok}
        retry = [row["_id"] for row, ok in zip(fresh, inserted, strict=True) if not ok]
        for doc_id, current in stored.items():
            row = rows[doc_id]
            if row is None or _unchanged(current, row):
                continue
            try:
                await self.collection.replace(row, expected_version=int(current[VERSION_FIELD]))
                changed.add(doc_id)
            except ConcurrencyConflict:
                retry.append(doc_id)
        for doc_id in retry:
            if await self._apply_alone(doc_id, changes[doc_id]):
                changed.add(doc_id)
        return Written(len(changed), [row for row in rows.values() if row is not None])

    async def _apply_alone(self, doc_id: str, changes: Sequence[Change]) -> bool:
        for _ in range(_ATTEMPTS):
            stored = await self.collection.get(doc_id)
            row = merged_row(doc_id, stored, changes)
            try:
                if row is None or (stored is not None and _unchanged(stored, row)):
                    return False
                if stored is None:
                    await self.collection.insert(row)
                else:
                    await self.collection.replace(row, expected_version=int(stored[VERSION_FIELD]))
                return True
            except (DuplicateKeyError, ConcurrencyConflict):
                continue
        raise ConcurrencyConflict(self.collection.name, doc_id, -1)

    async def rows_named(self, tenant: str, column: str, values: Sequence[str]) -> list[Document]:
        """The tenant's stored rows whose `column` (seq_no, entry_id) is one of `values`."""
        return await find_each(self.collection, {"tenant": tenant}, column, values)

    # ---------------------------------------------------------------------------------------------- reading

    async def search(
        self,
        tenant: str,
        criteria: DeclarationSearch,
        *,
        cursor: str | None = None,
        limit: int = 50,
        order: Order | None = None,
        skip: int = 0,
    ) -> DeclarationPage:
        """One page of the tenant's rows matching `criteria` in `order` (default 最近操作时间, newest first):
        after `cursor` (a previous page's `next_cursor`), or `skip` rows in (offset paging, for shallow pages).

        The total is exact up to `count_cap`; whether there are more is asked first, unsorted (the store takes
        the index that best fits the filter and steps over that many of its entries without reading a row):
        more, the total is the cap (`total_capped`) and only the page is read; else the count and the first page
        come in one call (`Collection.page`), a later page's count (over the whole filter, not what follows the
        cursor) beside it."""
        order = order or Order()
        query = criteria.filter(tenant)
        sort = [(order.key, order.direction)]
        capped = bool(await self.collection.find(query, skip=self.count_cap, limit=1))
        if capped:
            total = self.count_cap
            docs = await self.collection.find(order.after(query, cursor), sort=sort, skip=skip, limit=limit)
        elif cursor is None:
            total, docs = await self.collection.page(
                query, sort=sort, skip=skip, limit=limit, without=UNLISTED
            )
        else:
            total = await self.collection.count(query)
            docs = await self.collection.find(order.after(query, cursor), sort=sort, skip=skip, limit=limit)
        next_cursor = order.encode(docs[-1]) if len(docs) == limit else None
        return DeclarationPage(total, [row_of(doc) for doc in docs], next_cursor, capped)

    async def stream(
        self,
        tenant: str,
        criteria: DeclarationSearch,
        ids: Sequence[str] | None = None,
        *,
        order: Order | None = None,
    ) -> AsyncIterator[DeclarationRow]:
        """Every matching row (only those of `ids`, when given), in `order`, read a page at a time: constant
        memory whatever the count (the export)."""
        order = order or Order()
        query = criteria.filter(tenant)
        if ids is not None:
            query["declaration_id"] = {"$in": sorted(set(ids))}
        cursor: str | None = None
        while True:
            docs = await self.collection.find(
                order.after(query, cursor), sort=[(order.key, order.direction)], limit=PAGE
            )
            for doc in docs:
                yield row_of(doc)
            if len(docs) < PAGE:
                return
            cursor = order.encode(docs[-1])

    async def get(self, tenant: str, declaration_id: str) -> dict[str, Any] | None:
        row = await self.collection.get(row_id(tenant, declaration_id))
        return _public(row) if row else None

    async def load(self, tenant: str, declaration_id: str) -> dict[str, Any]:
        """The row (its public columns), or NotFound."""
        row = await self.get(tenant, declaration_id)
        if row is None:
            raise NotFound(self.noun)
        return row

    async def load_row(self, tenant: str, declaration_id: str) -> DeclarationRow:
        return DeclarationRow.model_validate(await self.load(tenant, declaration_id))

    async def load_document(self, tenant: str, declaration_id: str) -> DeclarationDocument:
        """The last whole document seen for the declaration: NotFound, or 409 when none arrived yet."""
        doc_id = row_id(tenant, declaration_id)
        if await self.collection.get(doc_id) is None:
            raise NotFound(self.noun)
        stored = await self.documents.get(doc_id)
        if stored is None:
            raise NoDocumentYet()
        return DeclarationDocument.model_validate(stored["document"])


async def find_each(
    collection: Collection, query: Mapping[str, Any], column: str, values: Sequence[str]
) -> list[Document]:
    """The documents matching `query` whose `column` is one of `values`, one equality query per value: FerretDB
    1.x pushes an equality down to PostgreSQL (an index serves it) but reads every document of the tenant for an
    `$in`, which made each batch's lookups grow with the collection."""
    found: list[Document] = []
    for value in sorted(set(values)):
        found += await collection.find({**query, column: value})
    return found


def row_of(doc: Document) -> DeclarationRow:
    return DeclarationRow.model_validate(doc)


def _public(row: Document) -> dict[str, Any]:
    return {k: v for k, v in row.items() if not k.startswith("_") and k not in HIDDEN}


def _unchanged(stored: Document, row: Document) -> bool:
    return {k: v for k, v in stored.items() if k != VERSION_FIELD} == row
