"""异常统计分析 in the document store: the collection the statistics API reads.

Two writers, never both for one deployment (`AnomalySettings.statistics`):
- `embedded`: the anomaly service's own subscription keeps each shard (`embedded:<tenant>:<n>`) here, its
  records' versions and facts with its counts, and writes it whole with its `_version` (one write per change).
- `stream`: the statistics stream process keeps its shards in faust tables (changelog topics) and publishes
  here, per tenant and Kafka partition, the sum of their counts (`stream:<tenant>:<partition>`), a snapshot.
The API sums the `counts` of the tenant's documents of the configured source.

Choices: counters and records are stored as lists (`{"key", "n"}`, `{"id", "version", "facts"}`), not as
objects keyed by them: a key holds a person's or a post's name, and the store refuses field names with `.` or
a leading `$` (and FerretDB 1.x arrays inside arrays).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from guanwu.anomaly.domain.statistics import Shard
from guanwu.platform.store.port import VERSION_FIELD, Collection, Document, DocumentStore

Source = Literal["embedded", "stream"]
COLLECTION = "anomaly_statistics"


@dataclass
class StoredShard:
    doc_id: str
    tenant: str
    shard: Shard
    version: int | None  # None: not stored yet


def embedded_shard_id(tenant: str, shard: int) -> str:
    return f"embedded:{tenant}:{shard}"


def snapshot_id(tenant: str, partition: int) -> str:
    return f"stream:{tenant}:{partition}"


class StatisticsStore:
    def __init__(self, store: DocumentStore) -> None:
        self.collection: Collection = store.collection(COLLECTION)

    async def ensure_indexes(self) -> None:
        await self.collection.ensure_index([("tenant", 1), ("source", 1)])

    async def counts_of(self, tenant: str, source: Source) -> list[Mapping[str, int]]:
        """The counts of every document of the tenant from `source`."""
        docs = await self.collection.find({"tenant": tenant, "source": source})
        return [_counts_of(doc) for doc in docs]

    async def load_shards(self, keys: Sequence[tuple[str, int]]) -> dict[str, StoredShard]:
        """The embedded shards of these (tenant, shard) pairs, empty ones for those not stored yet."""
        ids = {embedded_shard_id(tenant, n): tenant for tenant, n in keys}
        found = {doc["_id"]: doc for doc in await self.collection.get_many(list(ids))}
        return {doc_id: _stored(doc_id, tenant, found.get(doc_id)) for doc_id, tenant in sorted(ids.items())}

    async def save_shard(self, stored: StoredShard) -> None:
        """Write the shard whole; ConcurrencyConflict (or DuplicateKeyError) when another writer was first."""
        doc: Document = {
            "_id": stored.doc_id,
            "tenant": stored.tenant,
            "source": "embedded",
            "counts": _pairs(stored.shard.counts),
            "records": [
                {"id": anomaly_id, **counted.model_dump(mode="json")}
                for anomaly_id, counted in stored.shard.records.items()
            ],
        }
        if stored.version is None:
            await self.collection.insert(doc)
        else:
            await self.collection.replace(doc, expected_version=stored.version)

    async def write_snapshot(
        self, tenant: str, partition: int, counts: Mapping[str, int], *, as_of: datetime
    ) -> None:
        """The stream process's sum of one tenant's shards of one partition (its owner is its only writer)."""
        await self.collection.upsert(
            {
                "_id": snapshot_id(tenant, partition),
                "tenant": tenant,
                "source": "stream",
                "partition": partition,
                "counts": _pairs(counts),
                "as_of": as_of.isoformat(),
            }
        )


def _stored(doc_id: str, tenant: str, doc: Document | None) -> StoredShard:
    if doc is None:
        return StoredShard(doc_id, tenant, Shard(), None)
    records = {str(one["id"]): one for one in doc.get("records") or []}
    shard = Shard.model_validate({"records": records, "counts": _counts_of(doc)})
    return StoredShard(doc_id, tenant, shard, int(doc[VERSION_FIELD]))


def _pairs(counts: Mapping[str, int]) -> list[dict[str, str | int]]:
    return [{"key": key, "n": n} for key, n in sorted(counts.items())]


def _counts_of(doc: Document) -> dict[str, int]:
    return {str(one["key"]): int(one["n"]) for one in doc.get("counts") or []}
