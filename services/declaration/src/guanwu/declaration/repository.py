"""Declarations in the document store; tenant-scoped reads; the aggregate version is the store's `_version`.

Decimals are stored as JSON strings (`model_dump(mode="json")`) so no amount is ever rounded through float.
"""

from __future__ import annotations

from collections.abc import Sequence

from guanwu.contracts.envelope import Envelope
from guanwu.declaration.domain import Declaration
from guanwu.platform.outbox import add_events
from guanwu.platform.store.port import VERSION_FIELD, Collection, DocumentStore

COLLECTION = "declaration_declarations"


class DeclarationRepository:
    def __init__(self, store: DocumentStore) -> None:
        self.collection: Collection = store.collection(COLLECTION)

    async def ensure_indexes(self) -> None:
        await self.collection.ensure_index([("tenant", 1), ("created_at", -1)])
        await self.collection.ensure_index([("tenant", 1), ("document.head.entry_id", 1)])

    async def find_by_customs_numbers(
        self, tenant: str, *, entry_id: str | None, seq_no: str | None
    ) -> Declaration | None:
        """The declaration a receipt speaks of: by 海关编号, else by 统一编号."""
        for field, value in (("document.head.entry_id", entry_id), ("document.head.seq_no", seq_no)):
            if value:
                doc = await self.collection.find_one({"tenant": tenant, field: value})
                if doc is not None:
                    return Declaration.model_validate({**doc, "version": doc[VERSION_FIELD]})
        return None

    async def add(self, declaration: Declaration, events: Sequence[tuple[str, Envelope]]) -> None:
        body = declaration.model_dump(mode="json", exclude={"version"})
        await self.collection.insert(add_events({"_id": declaration.declaration_id, **body}, events))

    async def save(self, declaration: Declaration, events: Sequence[tuple[str, Envelope]]) -> None:
        """Replace the stored declaration it was read from (`version - 1`); ConcurrencyConflict otherwise."""
        body = declaration.model_dump(mode="json", exclude={"version"})
        doc = await self.collection.get(declaration.declaration_id)
        pending = list((doc or {}).get("_outbox") or [])  # events not yet relayed must survive the replace
        new_doc = add_events({"_id": declaration.declaration_id, **body, "_outbox": pending}, events)
        await self.collection.replace(new_doc, expected_version=declaration.version - 1)

    async def list_for(
        self, tenant: str, *, created_by: str | None, skip: int, limit: int
    ) -> tuple[int, list[Declaration]]:
        query: dict[str, object] = {"tenant": tenant, "status": {"$ne": "已删除"}}
        if created_by is not None:
            query["created_by"] = created_by
        total = await self.collection.count(query)
        docs = await self.collection.find(query, sort=[("created_at", -1)], skip=skip, limit=limit)
        return total, [Declaration.model_validate({**d, "version": d[VERSION_FIELD]}) for d in docs]

    async def get(self, tenant: str, declaration_id: str) -> Declaration | None:
        doc = await self.collection.find_one({"_id": declaration_id, "tenant": tenant})
        if doc is None:
            return None
        return Declaration.model_validate({**doc, "version": doc[VERSION_FIELD]})
