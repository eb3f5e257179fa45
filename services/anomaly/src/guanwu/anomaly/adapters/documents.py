"""The lookup of declarations and 核注清单 the anomaly service learned (`domain.documents`), in the document
store. Like a projection it needs no unit of work: it publishes nothing, and every write carries its own guard
(the version it was built from, `apply_many_if_newer`)."""

from __future__ import annotations

from collections.abc import Sequence

from guanwu.anomaly.domain.documents import KnownDocument
from guanwu.anomaly.domain.records import AnomalyCategory
from guanwu.platform.idempotency import ProjectionRow, apply_many_if_newer
from guanwu.platform.store.port import Collection, DocumentStore


class KnownDocuments:
    collection_name = "anomaly_known_documents"

    def __init__(self, store: DocumentStore) -> None:
        self.collection: Collection = store.collection(self.collection_name)

    async def ensure_indexes(self) -> None:
        await self.collection.ensure_index([("tenant", 1), ("category", 1), ("number", 1)])
        await self.collection.ensure_index([("tenant", 1), ("category", 1), ("seq_no", 1)])

    async def learn(self, rows: Sequence[ProjectionRow]) -> int:
        """Keep the rows newer than what is stored; returns how many changed."""
        return await apply_many_if_newer(self.collection, rows)

    async def named(
        self, tenant: str, category: AnomalyCategory, numbers: Sequence[str], seq_nos: Sequence[str]
    ) -> list[KnownDocument]:
        """The tenant's documents of `category` with one of these numbers or 统一编号 (two indexed reads)."""
        found: list[KnownDocument] = []
        for field, values in (("number", numbers), ("seq_no", seq_nos)):
            if values:
                docs = await self.collection.find(
                    {"tenant": tenant, "category": category.value, field: {"$in": sorted(set(values))}}
                )
                found.extend(KnownDocument.model_validate(doc) for doc in docs)
        return found
