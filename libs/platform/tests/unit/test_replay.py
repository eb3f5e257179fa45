"""A rebuild replays the event log through the model's own handlers into fresh collections and switches them
in; the result equals the live model even while events keep arriving in every phase, and a failed rebuild
leaves the live model as it was."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from typing import Any

import pytest
from contract.bus_contract import TEST_REGISTRY, Pinged, ping

from guanwu.contracts.envelope import Envelope
from guanwu.contracts.events.base import Event
from guanwu.platform.bus.dispatch import RawMessage
from guanwu.platform.bus.event_log import EventLog
from guanwu.platform.bus.inprocess import InProcessEventBus
from guanwu.platform.bus.port import Subscription
from guanwu.platform.replay import (
    REBUILD_INFIX,
    RUNS_COLLECTION,
    LogSource,
    Positions,
    ReadModel,
    RebuildRefused,
    RebuildRunning,
    rebuild,
)
from guanwu.platform.runtime import ServiceParts
from guanwu.platform.store.memory import MemoryDocumentStore
from guanwu.platform.store.port import VERSION_FIELD, DocumentStore

TOPIC = "contract-test.events.v1"
PINGS, LATEST = "model_pings", "model_latest"


def build_model(store: DocumentStore) -> ServiceParts:
    """A small read model: every ping, and per ping id the highest sequence seen (a guarded upsert)."""
    pings, latest = store.collection(PINGS), store.collection(LATEST)

    async def project(items: Sequence[tuple[Envelope, Event]]) -> None:
        await pings.insert_many([{"_id": envelope.id, "seq": event.sequence} for envelope, event in items])  # type: ignore[attr-defined]
        for _, event in items:
            assert isinstance(event, Pinged)
            stored = await latest.get(event.ping_id)
            if stored is None or stored["seq"] < event.sequence:
                await latest.upsert({"_id": event.ping_id, "seq": event.sequence})

    return ServiceParts(
        name="model",
        subscriptions=[Subscription("model", TOPIC, batch_handlers={Pinged.event_type: project})],
        on_start=[lambda: pings.ensure_index([("seq", 1)])],
    )


MODEL = ReadModel("model", build_model, lambda name: name.startswith("model_"))


def rows(docs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return sorted(({k: v for k, v in d.items() if k != VERSION_FIELD} for d in docs), key=lambda d: d["_id"])


class Live:
    def __init__(self) -> None:
        self.store = MemoryDocumentStore()
        self.log = EventLog(self.store)
        self.bus = InProcessEventBus(registry=TEST_REGISTRY, event_log=self.log, published_memory=0)
        for subscription in build_model(self.store).subscriptions:
            self.bus.subscribe(subscription)
        self.sent = 0

    async def send(self, count: int) -> None:
        for _ in range(count):
            self.sent += 1
            await self.bus.publish(TOPIC, ping(self.sent, ping_id=f"p-{self.sent % 7}"))

    async def model(self) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
        return (
            rows(await self.store.collection(PINGS).find({})),
            rows(await self.store.collection(LATEST).find({})),
        )


async def test_the_rebuilt_model_equals_the_live_one_and_repairs_it() -> None:
    live = Live()
    await live.send(120)
    expected = await live.model()
    await live.store.collection(LATEST).delete("p-3")  # the live model lost a row ...
    await live.store.collection(PINGS).insert({"_id": "bogus", "seq": -1})  # ... and gained one

    report = await rebuild(live.store, LogSource(live.log, page_size=25), MODEL, registry=TEST_REGISTRY)

    assert await live.model() == expected
    assert set(report.switched) == {PINGS, LATEST}
    assert report.rows[PINGS] == (121, 120)
    assert report.events == {"replay": 120, "catch-up": 0, "after switch": 0}
    assert not [n for n in await live.store.collection_names() if REBUILD_INFIX in n]


class Busy(LogSource):
    """The event log while the service keeps publishing: a batch after each page, and some right after the
    ends the rebuild reads (after its catch-up, the ones the running service writes into the old collections)."""

    def __init__(self, live: Live) -> None:
        super().__init__(live.log, page_size=10)
        self.live = live
        self.ends_asked = 0

    async def ends(self, topics: Sequence[str]) -> Positions:
        self.ends_asked += 1
        found = await super().ends(topics)
        await self.live.send(3)
        return found

    async def batches(self, start: Positions, end: Positions) -> AsyncIterator[tuple[str, list[RawMessage]]]:
        async for batch in super().batches(start, end):
            yield batch
            await self.live.send(2)


async def test_events_that_arrive_during_the_rebuild_are_all_in_the_switched_model() -> None:
    live = Live()
    await live.send(60)

    report = await rebuild(live.store, Busy(live), MODEL, registry=TEST_REGISTRY)

    pings, latest = await live.model()
    assert len(pings) == live.sent  # none lost: every one published before, during and after the switch
    assert {p["seq"] for p in pings} == set(range(1, live.sent + 1))
    assert {r["_id"]: r["seq"] for r in latest} == {
        f"p-{k}": max(s for s in range(1, live.sent + 1) if s % 7 == k) for k in range(7)
    }
    assert report.events["after switch"] > 0  # the switch had something to catch up with


async def test_a_failed_rebuild_drops_its_collections_and_leaves_the_live_model_alone() -> None:
    live = Live()
    await live.send(30)
    before = await live.model()

    class Broken(LogSource):
        async def batches(
            self, start: Positions, end: Positions
        ) -> AsyncIterator[tuple[str, list[RawMessage]]]:
            async for batch in super().batches(start, end):
                yield batch
                raise ConnectionError("the source went away")

    with pytest.raises(ConnectionError):
        await rebuild(live.store, Broken(live.log, page_size=5), MODEL, registry=TEST_REGISTRY)

    assert await live.model() == before
    assert not [n for n in await live.store.collection_names() if REBUILD_INFIX in n]


async def test_leftovers_of_a_rebuild_that_died_are_dropped() -> None:
    live = Live()
    await live.send(5)
    await live.store.collection(f"{PINGS}{REBUILD_INFIX}20260101000000_dead").insert({"_id": "x"})
    await live.store.collection(f"other{REBUILD_INFIX}20260101000000_dead").insert({"_id": "x"})

    report = await rebuild(live.store, LogSource(live.log), MODEL, registry=TEST_REGISTRY)

    assert report.dropped_leftovers == [f"{PINGS}{REBUILD_INFIX}20260101000000_dead"]
    assert f"other{REBUILD_INFIX}20260101000000_dead" in await live.store.collection_names()


async def test_a_source_that_lacks_events_is_refused_when_asked() -> None:
    live = Live()
    await live.send(10)
    await live.store.drop_collection("platform_event_log." + TOPIC)  # the log is younger than the data
    await live.send(2)
    before = await live.model()

    with pytest.raises(RebuildRefused) as refused:
        await rebuild(live.store, LogSource(live.log), MODEL, registry=TEST_REGISTRY, allow_fewer_rows=False)

    assert refused.value.fewer[PINGS] == (12, 2)
    assert await live.model() == before
    assert not [n for n in await live.store.collection_names() if REBUILD_INFIX in n]


async def test_only_counted_collections_are_checked_for_fewer_rows() -> None:
    live = Live()
    await live.send(10)
    await live.store.collection(LATEST).insert({"_id": "waiting-for-something", "seq": 0})  # a buffer's entry
    only_pings = ReadModel(MODEL.name, MODEL.build, MODEL.rebuilds, counted=lambda name: name == PINGS)

    report = await rebuild(
        live.store, LogSource(live.log), only_pings, registry=TEST_REGISTRY, allow_fewer_rows=False
    )

    assert report.rows[LATEST] == (8, 7)  # fewer, but not counted: switched
    assert await live.store.collection(LATEST).get("waiting-for-something") is None


async def test_one_rebuild_of_a_model_at_a_time() -> None:
    live = Live()
    await live.send(30)
    before = await live.model()
    refused: list[BaseException] = []

    class Slow(LogSource):
        """While this rebuild replays, another one is started."""

        async def batches(
            self, start: Positions, end: Positions
        ) -> AsyncIterator[tuple[str, list[RawMessage]]]:
            async for batch in super().batches(start, end):
                if not refused:
                    try:
                        await rebuild(live.store, LogSource(live.log), MODEL, registry=TEST_REGISTRY)
                    except RebuildRunning as exc:
                        refused.append(exc)
                yield batch

    report = await rebuild(live.store, Slow(live.log, page_size=5), MODEL, registry=TEST_REGISTRY)

    assert len(refused) == 1 and "under way" in str(refused[0])
    assert report.events["replay"] == 30 and not report.dropped_leftovers
    assert await live.model() == before
    await rebuild(live.store, LogSource(live.log), MODEL, registry=TEST_REGISTRY)  # released when done


async def test_the_claim_of_a_rebuild_that_died_is_taken() -> None:
    live = Live()
    await live.send(5)
    now = [1_000_000.0]
    await live.store.collection(RUNS_COLLECTION).insert(
        {"_id": "model", "stamp": "dead", "renewed_at": now[0]}
    )
    with pytest.raises(RebuildRunning):
        await rebuild(
            live.store, LogSource(live.log), MODEL, registry=TEST_REGISTRY, clock=lambda: now[0] + 60
        )

    report = await rebuild(
        live.store, LogSource(live.log), MODEL, registry=TEST_REGISTRY, clock=lambda: now[0] + 3600
    )

    assert report.events["replay"] == 5
    assert await live.store.collection(RUNS_COLLECTION).count({}) == 0
