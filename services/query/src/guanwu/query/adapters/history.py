"""跟踪报关单动态 in the document store: one entry per declaration event and per receipt (insert-once)."""

from __future__ import annotations

from collections.abc import Sequence

from guanwu.platform.store.port import Collection, Document, DocumentStore
from guanwu.query.adapters.declarations import DeclarationReadModel
from guanwu.query.domain.history import HistoryEntry, ordered

MAX_ENTRIES = 2000
"""Entries one timeline answers at most (the oldest); a declaration gets tens."""


class HistoryReadModel:
    collection_name = "query_declaration_history"

    def __init__(self, store: DocumentStore, declarations: DeclarationReadModel) -> None:
        self.collection: Collection = store.collection(self.collection_name)
        self.declarations = declarations

    async def ensure_indexes(self) -> None:
        await self.collection.ensure_index([("tenant", 1), ("declaration_id", 1), ("at", 1)])
        await self.collection.ensure_index([("tenant", 1), ("seq_no", 1), ("kind", 1)])
        await self.collection.ensure_index([("tenant", 1), ("entry_id", 1), ("kind", 1)])

    async def add(self, entries: Sequence[Document]) -> int:
        """Write the entries not written yet (ids are the events'); returns how many were new."""
        return sum(await self.collection.insert_many(list(entries))) if entries else 0

    async def receipts(self, tenant: str, column: str, values: Sequence[str]) -> list[Document]:
        """The tenant's receipt entries whose `column` (declaration_id, seq_no, entry_id) is among `values`."""
        if not values:
            return []
        query = {"tenant": tenant, "kind": "receipt", column: {"$in": sorted(set(values))}}
        return await self.collection.find(query)

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
