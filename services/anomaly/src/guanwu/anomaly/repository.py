"""Anomaly records in the document store. Every read is scoped to a tenant here, not only in routes."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from guanwu.anomaly.domain import Anomaly
from guanwu.contracts.envelope import Envelope
from guanwu.platform.idempotency import insert_once
from guanwu.platform.outbox import add_events
from guanwu.platform.store.port import Collection, Document, DocumentStore, as_inserted

COLLECTION = "anomaly_records"


class AnomalyRepository:
    def __init__(self, store: DocumentStore) -> None:
        self.collection: Collection = store.collection(COLLECTION)

    async def ensure_indexes(self) -> None:
        await self.collection.ensure_index([("tenant", 1), ("document_no", 1)])
        await self.collection.ensure_index([("tenant", 1), ("occurred_on", -1)])

    async def add(self, anomaly: Anomaly, events: Sequence[tuple[str, Envelope]]) -> bool:
        """Store the record with its events; False if a record with the same id exists (a redelivery)."""
        doc = add_events({"_id": anomaly.anomaly_id, **anomaly.model_dump(mode="json")}, events)
        return await insert_once(self.collection, doc)

    async def add_many(
        self, records: Sequence[tuple[Anomaly, Sequence[tuple[str, Envelope]]]]
    ) -> list[Document | None]:
        """`add` for several records in one store write; per record, the document as stored, or None when
        a record with its id existed already."""
        docs = [
            add_events({"_id": anomaly.anomaly_id, **anomaly.model_dump(mode="json")}, events)
            for anomaly, events in records
        ]
        inserted = await self.collection.insert_many(docs)
        return [as_inserted(doc) if new else None for doc, new in zip(docs, inserted, strict=True)]

    async def get(self, tenant: str, anomaly_id: str) -> Anomaly | None:
        doc = await self.collection.find_one({"_id": anomaly_id, "tenant": tenant})
        return Anomaly.model_validate(doc) if doc else None

    async def search(
        self, tenant: str, filters: dict[str, Any], *, skip: int, limit: int
    ) -> tuple[int, list[Anomaly]]:
        query = {"tenant": tenant, **{k: v for k, v in filters.items() if v is not None}}
        total = await self.collection.count(query)
        docs = await self.collection.find(
            query, sort=[("occurred_on", -1), ("registered_at", -1)], skip=skip, limit=limit
        )
        return total, [Anomaly.model_validate(d) for d in docs]
