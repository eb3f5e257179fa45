"""The declaration read model in the document store: the projection's own store adapter.

It needs no unit of work: it publishes nothing, and every write carries its own guard (the aggregate version,
see `guanwu.platform.idempotency.apply_many_if_newer`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from guanwu.platform.idempotency import ProjectionRow, apply_many_if_newer
from guanwu.platform.refusal import NotFound, Noun
from guanwu.platform.store.port import Collection, DocumentStore
from guanwu.query.domain.declarations import FILTERABLE, row_id


class DeclarationReadModel:
    collection_name = "query_declarations"
    noun = Noun("query", "报关单", "declaration")

    def __init__(self, store: DocumentStore) -> None:
        self.collection: Collection = store.collection(self.collection_name)

    async def ensure_indexes(self) -> None:
        await self.collection.ensure_index([("tenant", 1), ("updated_at", -1)])
        await self.collection.ensure_index([("tenant", 1), ("status", 1)])
        await self.collection.ensure_index([("tenant", 1), ("bill_no", 1)])

    async def apply_many(self, rows: Sequence[ProjectionRow]) -> int:
        """Write the rows newer than what is stored; returns how many rows changed."""
        return await apply_many_if_newer(self.collection, rows)

    async def search(
        self, tenant: str, filters: Mapping[str, Any], *, skip: int, limit: int
    ) -> tuple[int, list[dict[str, Any]]]:
        """One page of the tenant's rows matching `filters` (FILTERABLE ones; None matches anything),
        latest change first."""
        query: dict[str, Any] = {"tenant": tenant}
        query.update({k: v for k, v in filters.items() if k in FILTERABLE and v is not None})
        total = await self.collection.count(query)
        rows = await self.collection.find(query, sort=[("updated_at", -1)], skip=skip, limit=limit)
        return total, [_public(r) for r in rows]

    async def get(self, tenant: str, declaration_id: str) -> dict[str, Any] | None:
        row = await self.collection.get(row_id(tenant, declaration_id))
        return _public(row) if row else None

    async def load(self, tenant: str, declaration_id: str) -> dict[str, Any]:
        """The row, or NotFound."""
        row = await self.get(tenant, declaration_id)
        if row is None:
            raise NotFound(self.noun)
        return row


def _public(row: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in row.items() if not k.startswith("_")}
