"""The declaration read model (报关数据查询), fed by the declaration service's events.

Each row keeps the aggregate version it was built from; an older or repeated event changes nothing, so the
projection is idempotent and tolerates redelivery in any order.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC
from typing import Any

from guanwu.contracts.envelope import Envelope
from guanwu.contracts.events import DeclarationSummary
from guanwu.contracts.events.base import Event
from guanwu.platform.idempotency import ProjectionRow, apply_many_if_newer
from guanwu.platform.store.port import Collection, DocumentStore

COLLECTION = "query_declarations"
SUMMARY_FIELDS = set(DeclarationSummary.model_fields)
FILTERABLE = ("status", "ie_flag", "kind", "custom_master", "trade_name", "bill_no", "entry_id", "seq_no")


class DeclarationReadModel:
    def __init__(self, store: DocumentStore) -> None:
        self.collection: Collection = store.collection(COLLECTION)

    async def ensure_indexes(self) -> None:
        await self.collection.ensure_index([("tenant", 1), ("updated_at", -1)])
        await self.collection.ensure_index([("tenant", 1), ("status", 1)])
        await self.collection.ensure_index([("tenant", 1), ("bill_no", 1)])

    async def apply(self, envelope: Envelope, event: Event) -> bool:
        return await self.apply_many([(envelope, event)]) == 1

    async def apply_many(self, items: Sequence[tuple[Envelope, Event]]) -> int:
        """Project a batch of declaration events; returns how many rows changed."""
        return await apply_many_if_newer(
            self.collection, [_row(envelope, event) for envelope, event in items]
        )

    async def search(
        self, tenant: str, filters: dict[str, Any], *, skip: int, limit: int
    ) -> tuple[int, list[dict[str, Any]]]:
        query: dict[str, Any] = {"tenant": tenant}
        query.update({k: v for k, v in filters.items() if k in FILTERABLE and v is not None})
        total = await self.collection.count(query)
        rows = await self.collection.find(query, sort=[("updated_at", -1)], skip=skip, limit=limit)
        return total, [_public(r) for r in rows]

    async def get(self, tenant: str, declaration_id: str) -> dict[str, Any] | None:
        row = await self.collection.get(f"{tenant}:{declaration_id}")
        return _public(row) if row else None


def _row(envelope: Envelope, event: Event) -> ProjectionRow:
    assert isinstance(event, DeclarationSummary)
    fields = {
        # The summary only: subclasses' own fields (a cause, the message to sign) are not list columns.
        **event.model_dump(mode="json", include=SUMMARY_FIELDS),
        "tenant": envelope.tenant,
        "last_event_type": envelope.type,
        "updated_at": envelope.time.astimezone(UTC).isoformat(),
    }
    return ProjectionRow(f"{envelope.tenant}:{event.declaration_id}", event.version, fields)


def _public(row: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in row.items() if not k.startswith("_")}
