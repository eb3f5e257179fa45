"""异常统计分析 (F-23): counting the anomaly events, and answering the statistics.

Embedded (no stream process), the anomaly service counts the events itself with `count_anomaly_events` into
shards in the store; with the stream process (`entrypoints/statistics_stream.py`), `ShardTables` does the same
into faust tables and publishes snapshots. Either way the counts come from `domain.statistics.Shard`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, MutableMapping, Sequence
from dataclasses import dataclass
from typing import Any

from guanwu.anomaly.adapters.statistics import Source, StatisticsStore, embedded_shard_id
from guanwu.anomaly.domain.statistics import (
    Change,
    Shard,
    Statistics,
    StatisticsQuery,
    change_of,
    shard_of,
    summarise,
)
from guanwu.contracts.envelope import Envelope
from guanwu.contracts.events.anomaly import AnomalyEvent
from guanwu.contracts.events.base import Event


def changes_of(items: Iterable[tuple[Envelope, Event]]) -> list[Change]:
    changes = []
    for envelope, event in items:
        change = change_of(envelope.tenant, event) if isinstance(event, AnomalyEvent) else None
        if change is not None:
            changes.append(change)
    return changes


async def count_anomaly_events(
    items: Sequence[tuple[Envelope, Event]], *, statistics: StatisticsStore
) -> int:
    """Count a run of anomaly events into the tenants' embedded shards: each shard touched is read once and
    written once (with its version: a concurrent writer makes this raise, and the bus hands the events again,
    which changes nothing already counted). Returns how many events changed a count."""
    changes = changes_of(items)
    shards = await statistics.load_shards(sorted({(c.tenant, shard_of(c.anomaly_id)) for c in changes}))
    changed: dict[str, int] = {}
    for change in changes:
        doc_id = embedded_shard_id(change.tenant, shard_of(change.anomaly_id))
        if shards[doc_id].shard.apply(change):
            changed[doc_id] = changed.get(doc_id, 0) + 1
    for doc_id in changed:
        await statistics.save_shard(shards[doc_id])
    return sum(changed.values())


@dataclass(frozen=True)
class StatisticsReading:
    """Where the API reads the statistics: the store, and which writer's counts (bootstrap binds it)."""

    store: StatisticsStore
    source: Source


async def statistics_for(tenant: str, query: StatisticsQuery, *, reading: StatisticsReading) -> Statistics:
    """The tenant's statistics for `query`, from the counts its configured writer keeps in the store."""
    return summarise(await reading.store.counts_of(tenant, reading.source), query)


class ShardTables:
    """The stream process's counting, over a table of shards keyed `<tenant>|<partition>|<shard>` (a faust
    table with a changelog topic; a dict in unit tests). The partition is the Kafka partition of the events:
    a table entry is only ever written from its own partition, the changelog's partition too, so a restart or
    a rebalance restores each entry whole with the partition it belongs to.

    Remembers which (tenant, partition) pairs changed since their last snapshot."""

    def __init__(self, table: MutableMapping[str, Any]) -> None:
        self.table = table
        self.dirty: set[tuple[str, int]] = set()

    def count(self, partition: int, envelope: Envelope, event: Event) -> bool:
        """Count one event read from `partition`; False when it changed nothing."""
        changes = changes_of([(envelope, event)])
        if not changes:
            return False
        [change] = changes
        key = f"{change.tenant}|{partition}|{shard_of(change.anomaly_id)}"
        stored = self.table.get(key)
        shard = Shard.model_validate(stored) if stored is not None else Shard()
        if not shard.apply(change):
            return False
        self.table[key] = shard.model_dump(mode="json")
        self.dirty.add((change.tenant, partition))
        return True

    def mark_partitions(self, partitions: Iterable[int]) -> None:
        """Every tenant of these partitions is due a snapshot (after recovery, or once they are assigned)."""
        wanted = set(partitions)
        for key in list(self.table.keys()):
            tenant, partition = _tenant_and_partition(key)
            if partition in wanted:
                self.dirty.add((tenant, partition))

    def take_snapshots(self, assigned: Iterable[int]) -> list[tuple[str, int, dict[str, int]]]:
        """The summed counts of every due (tenant, partition) among the `assigned` partitions; those are no
        longer due (a failed write marks them again with `mark_due`)."""
        owned = set(assigned)
        due = {pair for pair in self.dirty if pair[1] in owned}
        self.dirty -= due
        sums: dict[tuple[str, int], dict[str, int]] = {pair: {} for pair in due}
        for key, value in list(self.table.items()):
            pair = _tenant_and_partition(key)
            if pair in sums and value is not None:
                _add(sums[pair], Shard.model_validate(value).counts)
        return [(tenant, partition, counts) for (tenant, partition), counts in sorted(sums.items())]

    def mark_due(self, pairs: Iterable[tuple[str, int]]) -> None:
        self.dirty.update(pairs)


def _tenant_and_partition(key: str) -> tuple[str, int]:
    tenant, partition, _ = key.rsplit("|", 2)
    return tenant, int(partition)


def _add(into: dict[str, int], counts: Mapping[str, int]) -> None:
    for bucket, n in counts.items():
        into[bucket] = into.get(bucket, 0) + n
