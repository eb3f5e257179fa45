"""The outbox relay: events written with a document are published in order, retried until acknowledged,
and removed from the document only afterwards."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

from guanwu.contracts.envelope import Envelope
from guanwu.contracts.events import DeleteReceiptReceived
from guanwu.platform.events import envelope_for
from guanwu.platform.outbox import OutboxRelay, add_events
from guanwu.platform.store.memory import MemoryDocumentStore
from guanwu.platform.store.port import OUTBOX_PENDING_FIELD


class FlakyPublisher:
    """Refuses the first `failures` publishes (a broker that is down), then acknowledges."""

    def __init__(self, failures: int) -> None:
        self.failures = failures
        self.attempts = 0
        self.acknowledged: list[Envelope] = []

    async def publish(self, topic: str, envelope: Envelope) -> None:
        self.attempts += 1
        if self.failures > 0:
            self.failures -= 1
            raise ConnectionError("broker unavailable")
        self.acknowledged.append(envelope)


def receipt_event(n: int) -> tuple[str, Envelope]:
    event = DeleteReceiptReceived(
        receipt_id=f"R{n}", entry_id="610120260000000001", notice_date=datetime.now(UTC)
    )
    return envelope_for(event, source="/test", tenant="t")


async def wait_until(predicate, publisher: FlakyPublisher, quiet_seconds: float = 30.0) -> None:  # type: ignore[no-untyped-def]
    """Wait while the publisher still sees attempts; fail after a quiet period (no fixed total deadline)."""
    loop = asyncio.get_running_loop()
    seen, moved_at = -1, loop.time()
    while not predicate():
        progress = len(publisher.acknowledged) + publisher.attempts
        if progress != seen:
            seen, moved_at = progress, loop.time()
        assert loop.time() - moved_at < quiet_seconds, f"nothing published for {quiet_seconds} s"
        await asyncio.sleep(0.01)


async def test_events_are_published_in_order_after_failures_and_then_removed() -> None:
    store = MemoryDocumentStore()
    collection = store.collection("docs")
    events = [receipt_event(n) for n in range(3)]
    await collection.insert(add_events({"_id": "d1"}, events))
    publisher = FlakyPublisher(failures=2)
    relay = OutboxRelay(publisher, [collection], sweep_interval_seconds=0.05, max_backoff_seconds=0.05)
    await relay.start()
    try:
        relay.kick("docs", "d1")
        await wait_until(lambda: len(publisher.acknowledged) >= 3, publisher)
        await relay.wait_for_cleanups()
    finally:
        await relay.stop()
    assert [e.id for e in publisher.acknowledged[:3]] == [env.id for _, env in events]
    doc = await collection.get("d1")
    assert doc is not None and doc[OUTBOX_PENDING_FIELD] is False and doc["_outbox"] == []
    assert doc["_version"] == 1  # the relay never bumps the version an editor relies on


async def test_a_relay_that_never_gets_an_acknowledgement_keeps_the_events() -> None:
    store = MemoryDocumentStore()
    collection = store.collection("docs")
    await collection.insert(add_events({"_id": "d1"}, [receipt_event(1)]))
    relay = OutboxRelay(FlakyPublisher(failures=10**6), [collection], max_backoff_seconds=0.01)
    await relay.start()
    await asyncio.sleep(0.2)
    await relay.stop()
    doc = await collection.get("d1")
    assert doc is not None and doc[OUTBOX_PENDING_FIELD] is True and len(doc["_outbox"]) == 1


async def test_events_left_by_a_dead_process_are_found_by_the_start_sweep() -> None:
    store = MemoryDocumentStore()
    collection = store.collection("docs")
    for n in range(5):  # written by a process that died before relaying; nobody kicks this relay
        await collection.insert(add_events({"_id": f"d{n}"}, [receipt_event(n)]))
    publisher = FlakyPublisher(failures=0)
    relay = OutboxRelay(publisher, [collection], batch_size=2)
    await relay.drain()
    assert sorted(e.data["receipt_id"] for e in publisher.acknowledged) == [f"R{n}" for n in range(5)]
    assert await collection.count({OUTBOX_PENDING_FIELD: True}) == 0


class StaleReadCollection:
    """A remote store's reads: the answer reflects the document when the server read it, and arrives a
    moment later, after other writes (the relay's own background cleanup) may have landed."""

    def __init__(self, inner, delay: float = 0.05) -> None:  # type: ignore[no-untyped-def]
        self._inner = inner
        self._delay = delay
        self.name = inner.name

    async def find(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        docs = await self._inner.find(*args, **kwargs)
        await asyncio.sleep(self._delay)
        return docs

    async def get_many(self, doc_ids):  # type: ignore[no-untyped-def]
        docs = await self._inner.get_many(doc_ids)
        await asyncio.sleep(self._delay)
        return docs

    def __getattr__(self, name: str):  # type: ignore[no-untyped-def]
        return getattr(self._inner, name)


async def test_a_read_that_overlaps_the_cleanup_does_not_publish_the_events_again() -> None:
    store = MemoryDocumentStore()
    inner = store.collection("docs")
    collection = StaleReadCollection(inner)
    events = [receipt_event(n) for n in range(3)]
    for n, event in enumerate(events):
        await inner.insert(add_events({"_id": f"d{n}"}, [event]))
    publisher = FlakyPublisher(failures=0)
    relay = OutboxRelay(publisher, [collection], sweep_interval_seconds=0.01)  # type: ignore[list-item]
    for n in range(3):
        relay.kick("docs", f"d{n}")  # the writer's hint and the start sweep read the same documents
    await relay.start()
    try:
        await wait_until(lambda: len(publisher.acknowledged) >= 3, publisher)
        await asyncio.sleep(0.3)  # several more sweeps and hinted reads overlap the cleanups
        await relay.wait_for_cleanups()
    finally:
        await relay.stop()
    assert sorted(e.id for e in publisher.acknowledged) == sorted(env.id for _, env in events)
    assert await inner.count({OUTBOX_PENDING_FIELD: True}) == 0


async def test_events_a_writer_puts_back_after_the_cleanup_are_cleaned_without_publishing_again() -> None:
    store = MemoryDocumentStore()
    collection = store.collection("docs")
    event = receipt_event(1)
    await collection.insert(add_events({"_id": "d1"}, [event]))
    publisher = FlakyPublisher(failures=0)
    relay = OutboxRelay(publisher, [collection])
    await relay.drain()
    stale = await collection.get("d1")
    assert stale is not None
    # An editor that read the document before the cleanup writes the already published entry back.
    await collection.replace(add_events({**stale, "note": "edited"}, [event]), expected_version=1)
    await relay.drain()
    assert [e.id for e in publisher.acknowledged] == [event[1].id]
    doc = await collection.get("d1")
    assert doc is not None and doc[OUTBOX_PENDING_FIELD] is False and doc["note"] == "edited"


class FailingCleanupCollection:
    """A store whose outbox cleanup fails the first `failures` times (a store that went away)."""

    def __init__(self, inner, failures: int) -> None:  # type: ignore[no-untyped-def]
        self._inner = inner
        self.failures = failures
        self.name = inner.name

    async def pull_outbox_many(self, pulls):  # type: ignore[no-untyped-def]
        if self.failures > 0:
            self.failures -= 1
            raise ConnectionError("store unavailable")
        await self._inner.pull_outbox_many(pulls)

    def __getattr__(self, name: str):  # type: ignore[no-untyped-def]
        return getattr(self._inner, name)


async def test_a_failed_cleanup_leaves_the_events_pending_and_the_sweep_cleans_without_publishing_again() -> (
    None
):
    inner = MemoryDocumentStore().collection("docs")
    collection = FailingCleanupCollection(inner, failures=1)
    events = [receipt_event(n) for n in range(3)]
    for n, event in enumerate(events):
        await inner.insert(add_events({"_id": f"d{n}"}, [event]))
    publisher = FlakyPublisher(failures=0)
    relay = OutboxRelay(publisher, [collection], sweep_interval_seconds=0.05)  # type: ignore[list-item]
    await relay.start()
    try:
        await wait_until(lambda: len(publisher.acknowledged) >= 3, publisher)
        await relay.wait_for_cleanups()  # the first cleanup fails: the documents stay pending
        await relay.drain()  # a sweep finds them, publishes nothing again, and cleans them
    finally:
        await relay.stop()
    assert collection.failures == 0
    assert await inner.count({OUTBOX_PENDING_FIELD: True}) == 0
    assert sorted(e.id for e in publisher.acknowledged) == sorted(env.id for _, env in events)
