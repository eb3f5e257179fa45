"""跟踪报关单动态 in the document store: one entry per declaration event and per receipt (insert-once)."""

from __future__ import annotations

from collections.abc import Sequence

from guanwu.platform.store.port import Collection, Document, DocumentStore
from guanwu.query.adapters.declarations import DeclarationReadModel, find_each
from guanwu.query.domain.history import HistoryEntry, ordered

MAX_ENTRIES = 2000
"""Entries one timeline answers at most (the oldest); a declaration gets tens."""


class HistoryReadModel:
    collection_name = "query_declaration_history"
    waiting_name = "query_receipts_waiting"

    def __init__(self, store: DocumentStore, declarations: DeclarationReadModel) -> None:
        self.collection: Collection = store.collection(self.collection_name)
        self.waiting: Collection = store.collection(self.waiting_name)
        self.declarations = declarations

    async def ensure_indexes(self) -> None:
        await self.collection.ensure_index([("tenant", 1), ("declaration_id", 1), ("at", 1)])
        await self.collection.ensure_index([("tenant", 1), ("seq_no", 1), ("kind", 1)])
        await self.collection.ensure_index([("tenant", 1), ("entry_id", 1), ("kind", 1)])
        for column in ("declaration_id", "seq_no", "entry_id"):
            await self.waiting.ensure_index([("tenant", 1), (column, 1)])

    async def add(self, entries: Sequence[Document]) -> int:
        """Write the entries not written yet (ids are the events'); returns how many were new."""
        return sum(await self.collection.insert_many(list(entries))) if entries else 0

    async def receipts(self, tenant: str, column: str, values: Sequence[str]) -> list[Document]:
        """The tenant's receipt entries whose `column` (declaration_id, seq_no, entry_id) is among `values`."""
        return await find_each(self.collection, {"tenant": tenant, "kind": "receipt"}, column, values)

    # Receipts whose declaration had no row when they came (`query_receipts_waiting`, small): a row that appears
    # or gets a new number looks here, not through the whole timeline.

    async def hold(self, entries: Sequence[Document]) -> None:
        """Keep receipts' entries until a row takes them (written before their rows are looked for)."""
        if entries:
            await self.waiting.insert_many(list(entries))

    async def waiting_for(self, tenant: str, column: str, values: Sequence[str]) -> list[Document]:
        """The waiting receipts naming one of `values` in `column`: one `$in` (the collection holds only
        receipts no row has taken, so even a store that reads the tenant's whole part for it reads little)."""
        if not values:
            return []
        return await self.waiting.find({"tenant": tenant, column: {"$in": sorted(set(values))}})

    async def release(self, entry_ids: Sequence[str]) -> None:
        """Forget receipts a row has taken."""
        if entry_ids:
            await self.waiting.delete_many({"_id": {"$in": sorted(set(entry_ids))}})

    async def list(self, tenant: str, declaration_id: str) -> list[HistoryEntry]:
        """The declaration's timeline, oldest first: its events, and the receipts naming its id, 统一编号 or
        海关编号. NotFound when the tenant has no such declaration."""
        row = await self.declarations.load(tenant, declaration_id)
        found = {
            doc["_id"]: doc
            for doc in await self.collection.find(
                {"tenant": tenant, "declaration_id": declaration_id}, sort=[("at", 1)], limit=MAX_ENTRIES
            )
        }
        for column, values in (
            ("seq_no", row.get("known_seq_nos")),
            ("entry_id", row.get("known_entry_ids")),
        ):
            for doc in await self.receipts(tenant, column, values or []):
                found[doc["_id"]] = doc
        return [HistoryEntry.model_validate(doc) for doc in ordered(list(found.values()))[:MAX_ENTRIES]]
