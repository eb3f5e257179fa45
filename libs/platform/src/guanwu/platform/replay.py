"""Rebuilding a read model from its topics into fresh collections and switching over without stopping the
service (`guanwu replay <service>`).

1. The service's parts are built over a view of the store in which its read-model collections carry a fresh
   name (`<name>__rebuild_<stamp>`); its start hooks make their indexes.
2. Every event of its subscriptions' topics, from the beginning up to the end positions seen at the start, goes
   through the service's own handlers (one Dispatcher per subscription, as a consumer would run them).
3. A catch-up pass from those positions to the ends seen then, so that little is left to do after the switch.
4. The switch: each fresh collection is renamed over its live name (`DocumentStore.rename_collection`). The
   running service reads and writes by name, so its next query sees the rebuilt model.
5. A last catch-up from the positions of step 3 to the ends seen after the switch, through handlers built over
   the live names: whatever the running service wrote into the old collections after step 3 went away with
   them, and is written again here. Projections are idempotent and guarded by versions: what the running
   service also writes changes nothing twice.

Sources: a Kafka topic (`KafkaSource`, a consumer without a group: assign, seek, stop at the end offsets) or
the embedded bus's event log (`LogSource`). What a replay dead-letters is counted, not written to a dead-letter
topic: the live consumer dead-lettered the same message when it first came.

Limits: collections switch one after another, not together; the running service's in-flight write of step 4,
computed from an old row, can land on the new collection (a merge guarded by `_version` then merges again).
One rebuild of a model at a time: a claim in `platform_replay_runs`, renewed as it goes; a second is refused
(RebuildRunning), and a claim not renewed for five minutes is a dead rebuild's, taken over (its fresh
collections are dropped as leftovers).
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import secrets
import time
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Protocol

import structlog
from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient

from guanwu.contracts.events.base import REGISTRY, EventRegistry
from guanwu.platform.bus.dispatch import Dispatcher, RawMessage
from guanwu.platform.bus.event_log import EventLog
from guanwu.platform.bus.port import Subscription
from guanwu.platform.runtime import ServiceParts
from guanwu.platform.store.port import (
    VERSION_FIELD,
    Collection,
    ConcurrencyConflict,
    DocumentStore,
    DuplicateKeyError,
)

log = structlog.get_logger(__name__)

REBUILD_INFIX = "__rebuild_"
RUNS_COLLECTION = "platform_replay_runs"
STALE_CLAIM_SECONDS = 300.0
Positions = dict[tuple[str, int], int]
"""(topic, partition) → offset: where a pass starts (the first offset read) or ends (the first not read)."""
Progress = Callable[[str, int, int], None]
"""(phase, messages done, messages in the phase)."""


class EventSource(Protocol):
    async def beginnings(self, topics: Sequence[str]) -> Positions: ...

    async def ends(self, topics: Sequence[str]) -> Positions: ...

    def batches(self, start: Positions, end: Positions) -> AsyncIterator[tuple[str, list[RawMessage]]]:
        """Messages from `start` up to (not including) `end`, in order per partition, a batch at a time."""

    async def close(self) -> None: ...


# -------------------------------------------------------------------------------------------------- sources


class LogSource:
    """The embedded bus's event log: one partition (0) per topic, offsets are sequence numbers."""

    def __init__(self, event_log: EventLog, page_size: int = 500) -> None:
        self._log = event_log
        self._page = page_size

    async def beginnings(self, topics: Sequence[str]) -> Positions:
        return {(topic, 0): 1 for topic in topics}

    async def ends(self, topics: Sequence[str]) -> Positions:
        return {(topic, 0): await self._log.last_seq(topic) + 1 for topic in topics}

    async def batches(self, start: Positions, end: Positions) -> AsyncIterator[tuple[str, list[RawMessage]]]:
        for (topic, partition), first in start.items():
            after, until = first - 1, end[(topic, partition)] - 1
            while after < until:
                page = await self._log.read(topic, after, until, self._page)
                if not page:
                    break
                yield topic, [RawMessage(m.key, m.value, partition, m.seq) for m in page]
                after = page[-1].seq

    async def close(self) -> None:
        return None


class KafkaSource:
    """Kafka topics read by a consumer in no group (nothing committed, no member of the service's groups)."""

    def __init__(
        self,
        bootstrap_servers: str,
        *,
        client_id: str = "guanwu-replay",
        max_records: int = 500,
        quiet_seconds: float = 60.0,
    ) -> None:
        self._bootstrap = bootstrap_servers
        self._client_id = client_id
        self._max_records = max_records
        self._quiet = quiet_seconds
        self._consumer: AIOKafkaConsumer | None = None

    async def _started(self) -> AIOKafkaConsumer:
        if self._consumer is None:
            consumer = AIOKafkaConsumer(
                bootstrap_servers=self._bootstrap,
                group_id=None,
                client_id=self._client_id,
                enable_auto_commit=False,
                auto_offset_reset="earliest",
            )
            await consumer.start()
            self._consumer = consumer
        return self._consumer

    async def _partitions(self, topics: Sequence[str]) -> list[TopicPartition]:
        admin = AIOKafkaAdminClient(bootstrap_servers=self._bootstrap, client_id=f"{self._client_id}-admin")
        await admin.start()
        try:
            existing = set(await admin.list_topics())
            wanted = [t for t in topics if t in existing]
            described = await admin.describe_topics(wanted) if wanted else []
        finally:
            await admin.close()
        return sorted(
            (TopicPartition(d["topic"], p["partition"]) for d in described for p in d["partitions"]),
            key=lambda tp: (tp.topic, tp.partition),
        )

    async def beginnings(self, topics: Sequence[str]) -> Positions:
        consumer = await self._started()
        found = await consumer.beginning_offsets(await self._partitions(topics))
        return {(tp.topic, tp.partition): offset for tp, offset in found.items()}

    async def ends(self, topics: Sequence[str]) -> Positions:
        consumer = await self._started()
        found = await consumer.end_offsets(await self._partitions(topics))
        return {(tp.topic, tp.partition): offset for tp, offset in found.items()}

    async def batches(self, start: Positions, end: Positions) -> AsyncIterator[tuple[str, list[RawMessage]]]:
        consumer = await self._started()
        pending = {
            TopicPartition(t, p): end[(t, p)] for (t, p), first in start.items() if first < end[(t, p)]
        }
        if not pending:
            return
        consumer.assign(list(pending))
        for tp in pending:
            consumer.seek(tp, start[(tp.topic, tp.partition)])
        last_move = time.monotonic()
        while pending:
            fetched = await consumer.getmany(*pending, timeout_ms=500, max_records=self._max_records)
            for tp, records in fetched.items():
                wanted = [r for r in records if r.offset < pending.get(tp, -1)]
                if wanted:
                    last_move = time.monotonic()
                    yield (
                        tp.topic,
                        [RawMessage(r.key, r.value or b"", tp.partition, r.offset) for r in wanted],
                    )
            for tp in list(pending):
                if await consumer.position(tp) >= pending[tp]:
                    del pending[tp]
                    consumer.pause(tp)
            if pending and time.monotonic() - last_move > self._quiet:
                raise TimeoutError(
                    f"Kafka at {self._bootstrap} gave nothing for {self._quiet:.0f} s: {pending}"
                )

    async def close(self) -> None:
        if self._consumer is not None:
            await self._consumer.stop()
            self._consumer = None


# -------------------------------------------------------------------------------------------------- rebuild


@dataclass(frozen=True)
class ReadModel:
    """What a service gives a rebuild: `build(store)` makes its parts (its subscriptions' handlers, its start
    hooks) over a store, as its bootstrap does; `rebuilds(name)` says which collections those ask for are
    the read model (rebuilt fresh); any other is used as it is. `counted(name)`: the collections whose rows
    only ever grow with events, checked by `allow_fewer_rows=False` (not a buffer of things waiting for others,
    which a replay in another order may leave empty)."""

    name: str
    build: Callable[[DocumentStore], ServiceParts]
    rebuilds: Callable[[str], bool]
    counted: Callable[[str], bool] = lambda name: True


@dataclass
class RebuildReport:
    switched: dict[str, str] = field(default_factory=dict)
    """live name → the fresh collection renamed over it."""
    rows: dict[str, tuple[int, int]] = field(default_factory=dict)
    """live name → (rows live, rows rebuilt) just before the switch."""
    events: dict[str, int] = field(default_factory=dict)
    """phase → messages read."""
    dead_lettered: int = 0
    dropped_leftovers: list[str] = field(default_factory=list)


class RebuildRefused(Exception):
    """The rebuilt model has fewer rows than the live one; nothing was switched."""

    def __init__(self, fewer: dict[str, tuple[int, int]]) -> None:
        detail = ", ".join(
            f"{name}: {live} live, {rebuilt} rebuilt" for name, (live, rebuilt) in fewer.items()
        )
        super().__init__(f"the rebuilt model has fewer rows than the live one ({detail})")
        self.fewer = fewer


class RebuildRunning(Exception):
    """Another rebuild of the same model is under way (its claim was renewed within the last minutes)."""


class _Claim:
    """One rebuild of a model at a time: a document per model in `platform_replay_runs`, renewed as the
    rebuild goes; a claim not renewed for `stale_seconds` belongs to a rebuild that died and may be taken."""

    def __init__(
        self, store: DocumentStore, model: str, stamp: str, clock: Callable[[], float], stale_seconds: float
    ) -> None:
        self._col = store.collection(RUNS_COLLECTION)
        self._model, self._stamp, self._clock, self._stale = model, stamp, clock, stale_seconds
        self._version = 0
        self._renewed = 0.0

    async def take(self) -> None:
        now = self._clock()
        doc = {"_id": self._model, "stamp": self._stamp, "renewed_at": now}
        held = await self._col.get(self._model)
        try:
            if held is None:
                self._version = (await self._col.insert(doc))[VERSION_FIELD]
            elif now - float(held["renewed_at"]) > self._stale:
                self._version = (await self._col.replace(doc, expected_version=held[VERSION_FIELD]))[
                    VERSION_FIELD
                ]
            else:
                raise RebuildRunning(f"a rebuild of {self._model} is under way ({held['stamp']})")
        except (DuplicateKeyError, ConcurrencyConflict):
            raise RebuildRunning(f"a rebuild of {self._model} started at the same moment") from None
        self._renewed = now

    async def renew(self, *, now: bool = False) -> None:
        at = self._clock()
        if not now and at - self._renewed < self._stale / 10:
            return
        doc = {"_id": self._model, "stamp": self._stamp, "renewed_at": at}
        try:
            self._version = (await self._col.replace(doc, expected_version=self._version))[VERSION_FIELD]
        except ConcurrencyConflict:
            raise RebuildRunning(f"the claim on {self._model} was taken by another rebuild") from None
        self._renewed = at

    async def release(self) -> None:
        with contextlib.suppress(ConcurrencyConflict):
            await self._col.delete(self._model, expected_version=self._version)


class _Uncounted:
    """Dead letters of a replay: counted and logged (the live consumer dead-lettered them already)."""

    def __init__(self) -> None:
        self.count = 0

    async def dead_letter(self, topic: str, key: bytes | None, value: bytes, headers: dict[str, str]) -> None:
        self.count += 1
        log.warning(
            "replay: message dead-lettered again", topic=topic, reason=headers.get("guanwu-dlq-reason")
        )


class RebuildView:
    """The store as the service's parts see it during a rebuild: read-model collections under fresh names."""

    def __init__(self, store: DocumentStore, stamp: str, rebuilds: Callable[[str], bool]) -> None:
        self._store = store
        self._stamp = stamp
        self._rebuilds = rebuilds
        self.fresh: dict[str, str] = {}
        """live name → fresh name, for every read-model collection asked for."""

    def collection(self, name: str) -> Collection:
        if self._rebuilds(name):
            return self._store.collection(self.fresh.setdefault(name, f"{name}{REBUILD_INFIX}{self._stamp}"))
        return self._store.collection(name)

    async def rename_collection(self, source: str, target: str) -> None:
        raise RuntimeError("a service renames nothing while it is rebuilt")

    async def drop_collection(self, name: str) -> None:
        raise RuntimeError("a service drops nothing while it is rebuilt")

    async def collection_names(self) -> list[str]:
        return await self._store.collection_names()

    async def ping(self) -> bool:
        return await self._store.ping()

    async def close(self) -> None:
        return None  # the store is the caller's

    def __getattr__(self, name: str) -> Any:  # blobs and whatever else an adapter offers
        return getattr(self._store, name)


def new_stamp() -> str:
    return f"{datetime.now(UTC):%Y%m%d%H%M%S}_{secrets.token_hex(2)}"


async def rebuild(
    store: DocumentStore,
    source: EventSource,
    model: ReadModel,
    *,
    progress: Progress = lambda phase, done, total: None,
    stamp: str | None = None,
    registry: EventRegistry = REGISTRY,
    allow_fewer_rows: bool = True,
    clock: Callable[[], float] = time.time,
) -> RebuildReport:
    """Rebuild `model` from `source` into fresh collections of `store` and switch them in (module docstring).
    `allow_fewer_rows=False` refuses the switch (RebuildRefused, the fresh collections dropped) when a rebuilt
    collection has fewer rows than the live one: the source lacks events the live model saw (a Kafka topic
    past its retention, an event log younger than the data). RebuildRunning while another rebuild of the
    model goes on."""
    stamp = stamp or new_stamp()
    claim = _Claim(store, model.name, stamp, clock, STALE_CLAIM_SECONDS)
    await claim.take()
    try:
        return await _rebuild(store, source, model, claim, stamp, progress, registry, allow_fewer_rows)
    finally:
        await claim.release()


async def _rebuild(
    store: DocumentStore,
    source: EventSource,
    model: ReadModel,
    claim: _Claim,
    stamp: str,
    progress: Progress,
    registry: EventRegistry,
    allow_fewer_rows: bool,
) -> RebuildReport:
    report = RebuildReport()
    report.dropped_leftovers = await _drop_leftovers(store, model)
    view = RebuildView(store, stamp, model.rebuilds)
    parts = model.build(view)
    topics = sorted({s.topic for s in parts.subscriptions})
    dead = _Uncounted()
    try:
        for hook in parts.on_start:
            await hook()
        dispatchers = _dispatchers(parts.subscriptions, dead, registry)
        start, end = await source.beginnings(topics), await source.ends(topics)
        report.events["replay"] = await _pass(source, dispatchers, start, end, "replay", progress, claim)
        # Live rows counted before the ends are read: the catch-up covers every event they came from.
        live_rows = {live: await store.collection(live).count({}) for live in view.fresh}
        caught_up = await source.ends(topics)
        report.events["catch-up"] = await _pass(
            source, dispatchers, end, caught_up, "catch-up", progress, claim
        )
        for live, fresh in view.fresh.items():
            report.rows[live] = (live_rows[live], await store.collection(fresh).count({}))
        fewer = {n: rows for n, rows in report.rows.items() if rows[1] < rows[0] and model.counted(n)}
        if fewer and not allow_fewer_rows:
            raise RebuildRefused(fewer)
        await claim.renew(now=True)  # still ours: nobody took it as a dead rebuild's
    except BaseException:
        for fresh in view.fresh.values():
            await store.drop_collection(fresh)
        raise
    for live, fresh in view.fresh.items():
        await store.rename_collection(fresh, live)
        report.switched[live] = fresh
        log.info("replay: switched", collection=live, rebuilt=fresh)
    after = await source.ends(topics)
    live_dispatchers = _dispatchers(model.build(store).subscriptions, dead, registry)
    report.events["after switch"] = await _pass(
        source, live_dispatchers, caught_up, after, "after switch", progress, claim
    )
    report.dead_lettered = dead.count
    return report


async def _drop_leftovers(store: DocumentStore, model: ReadModel) -> list[str]:
    """Fresh collections of an earlier rebuild that never switched (its process died)."""
    leftovers = [
        name
        for name in await store.collection_names()
        if REBUILD_INFIX in name and model.rebuilds(name.split(REBUILD_INFIX, 1)[0])
    ]
    for name in leftovers:
        await store.drop_collection(name)
    return leftovers


def _dispatchers(
    subscriptions: Sequence[Subscription], dead: _Uncounted, registry: EventRegistry
) -> dict[str, list[Dispatcher]]:
    by_topic: dict[str, list[Dispatcher]] = {}
    for subscription in subscriptions:
        # A group of its own: the replay's metrics and logs are not the live consumer's.
        replaying = dataclasses.replace(subscription, group=f"{subscription.group}.replay")
        by_topic.setdefault(subscription.topic, []).append(Dispatcher(replaying, dead, registry=registry))
    return by_topic


async def _pass(
    source: EventSource,
    dispatchers: Mapping[str, list[Dispatcher]],
    start: Positions,
    end: Positions,
    phase: str,
    progress: Progress,
    claim: _Claim,
) -> int:
    total = sum(max(end.get(key, first) - first, 0) for key, first in start.items())
    done = 0
    progress(phase, done, total)
    async for topic, batch in source.batches(start, end):
        for dispatcher in dispatchers.get(topic, []):
            await dispatcher.dispatch_many(batch)
        done += len(batch)
        progress(phase, done, total)
        await claim.renew()
        await asyncio.sleep(0)  # the running service in this process (tests, embedded) gets its turns
    return done
