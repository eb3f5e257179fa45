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

    async def add(self, declaration: Declaration, events: Sequence[tuple[str, Envelope]]) -> None:
        body = declaration.model_dump(mode="json", exclude={"version"})
        await self.collection.insert(add_events({"_id": declaration.declaration_id, **body}, events))

    async def get(self, tenant: str, declaration_id: str) -> Declaration | None:
        doc = await self.collection.find_one({"_id": declaration_id, "tenant": tenant})
        if doc is None:
            return None
        return Declaration.model_validate({**doc, "version": doc[VERSION_FIELD]})
