"""The transactional outbox without multi-document transactions.

A state change and the events it causes are written in ONE document write: pending events ride inside the
changed document (`_outbox`, flagged by `_outbox_pending`), which every MongoDB-wire server (FerretDB 1.x
included) writes atomically. The relay publishes them in order, then pulls them out of the document.

A crash after publishing and before the pull publishes the event again; consumers are idempotent. Without a
crash nothing is published twice: the relay remembers the ids it published recently, so a read that overlapped
its own cleanup, or an editor who wrote back an entry the relay had already published, only gets cleaned.
"""

from __future__ import annotations

import asyncio
import time
from collections import OrderedDict
from collections.abc import Iterable, Sequence
from typing import Any, Protocol

import structlog

from guanwu.contracts.envelope import Envelope
from guanwu.platform import metrics
from guanwu.platform.bus.port import EventPublisher
from guanwu.platform.clock import Clock, utc_now
from guanwu.platform.store.port import (
    OUTBOX_FIELD,
    OUTBOX_PENDING_FIELD,
    VERSION_FIELD,
    Collection,
    Document,
    OutboxPull,
)
from guanwu.platform.tasks import cancel_and_wait

log = structlog.get_logger(__name__)


class OutboxNotifier(Protocol):
    """Called after a write that carries events; naming the document lets the relay read just it, and handing
    over the document as written (with its new `_version`) spares the relay even that read."""

    def __call__(
        self, collection: str | None = None, doc_id: str | None = None, written: Document | None = None
    ) -> None: ...


def add_events(doc: Document, events: Sequence[tuple[str, Envelope]]) -> Document:
    """Attach events to the document that is about to be written. Returns the same (mutated) dict."""
    pending: list[dict[str, Any]] = list(doc.get(OUTBOX_FIELD) or [])
    pending.extend({"topic": topic, "envelope": env.model_dump(mode="json")} for topic, env in events)
    doc[OUTBOX_FIELD] = pending
    doc[OUTBOX_PENDING_FIELD] = bool(pending)
    return doc


class OutboxRelay:
    """Publishes pending events of the given collections until each is acknowledged.

    Writers call `kick(collection, doc_id)` after a write that carries events: the relay then reads just
    that document. A full sweep (a query on `_outbox_pending`) runs at start and every `sweep_interval`,
    which picks up events left by a process that died or by a writer in another process.

    Per page of kicked documents: none read when the writer handed them over as written, the others with one
    `get_many`; one acknowledged publish of all their events; then a background cleaner empties their outboxes
    with `pull_outbox_many`, taking everything queued meanwhile, while the next pages are published.

    Choices: sweeping after every write is simplest, but it costs a query per write (and on FerretDB's SQLite
    backend, used before, a scan of the whole collection); hints make a page cost one read by `_id`.
    """

    def __init__(
        self,
        publisher: EventPublisher,
        collections: Sequence[Collection],
        *,
        sweep_interval_seconds: float = 5.0,
        batch_size: int = 200,
        max_backoff_seconds: float = 10.0,
        max_cleanup_backlog: int = 2_000,
        recently_published_capacity: int = 50_000,
        clock: Clock = utc_now,
    ) -> None:
        self._publisher = publisher
        self._collections = {c.name: c for c in collections}
        self._sweep_interval = sweep_interval_seconds
        self._batch_size = batch_size
        self._max_backoff = max_backoff_seconds
        self._hints: dict[str, dict[str, Document | None]] = {}  # collection -> doc id -> doc as written
        self._sweep_requested = True
        self._wake = asyncio.Event()
        self._pass = asyncio.Lock()
        self._task: asyncio.Task[None] | None = None
        self._cleaning: dict[str, set[str]] = {}
        self._after_cleanup: dict[str, set[str]] = {}  # hinted while being cleaned: read again afterwards
        self._cleanup_queue: dict[str, dict[str, OutboxPull]] = {}  # collection -> doc id -> what to pull
        self._cleaner: asyncio.Task[None] | None = None
        self._max_cleanup_backlog = max_cleanup_backlog
        self._published = RecentlyPublished(capacity=recently_published_capacity)
        self._clock = clock
        for name in self._collections:
            metrics.start_outbox_series(name)

    def kick(
        self, collection: str | None = None, doc_id: str | None = None, written: Document | None = None
    ) -> None:
        """A write carried events: relay that document soon (or sweep everything without a hint).

        `written` is the document exactly as stored, `_version` included: publishing its outbox is the same as
        reading it right after the write, so the relay skips the read. A later write of the same document
        kicks again; the newer version wins, and without one the relay reads the current state."""
        if collection in self._collections and doc_id is not None:
            hints = self._hints.setdefault(collection, {})
            hints[doc_id] = _newer(hints[doc_id], written) if doc_id in hints else written
        else:
            self._sweep_requested = True
        self._wake.set()

    async def start(self) -> None:
        if self._task is None:
            self._task = asyncio.create_task(self._run(), name="outbox-relay")

    async def stop(self) -> None:
        if self._task is not None:
            await cancel_and_wait([self._task])
            self._task = None
        await self.wait_for_cleanups()

    async def wait_for_cleanups(self) -> None:
        """Let background cleanups finish (orderly shutdown, tests)."""
        while self._cleanup_queue or (self._cleaner is not None and not self._cleaner.done()):
            await asyncio.gather(self._cleaner_running(), return_exceptions=True)

    async def relay_once(self) -> int:
        """Relay hinted documents, then sweep if one is due; returns how many events were published.

        One pass at a time: `drain()` beside the running loop would otherwise read a document both passes
        publish before either has remembered it."""
        async with self._pass:
            return await self._relay_pass()

    async def _relay_pass(self) -> int:
        published = await self._relay_hinted()
        if self._sweep_requested:
            self._sweep_requested = False
            try:
                for collection in self._collections.values():
                    published += await self._sweep(collection)
            except BaseException:
                self._sweep_requested = True
                raise
        return published

    async def drain(self, timeout_seconds: float = 30.0) -> None:
        """Publish until nothing is pending (tests and orderly shutdown)."""
        async with asyncio.timeout(timeout_seconds):
            self._sweep_requested = True
            while await self.relay_once():
                await self.wait_for_cleanups()
                self._sweep_requested = True
            await self.wait_for_cleanups()

    async def _run(self) -> None:
        failure_backoff = 0.0
        while True:
            try:
                await self.relay_once()
                failure_backoff = 0.0
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # broker or store down: keep the events, back off, sweep again
                failure_backoff = min(max(failure_backoff * 2, 0.5), self._max_backoff)
                self._sweep_requested = True
                log.warning(
                    "outbox relay pass failed", error=f"{type(exc).__name__}: {exc}", retry_in=failure_backoff
                )
            if self._hints and not failure_backoff:
                continue  # more written documents are waiting
            self._wake.clear()
            try:
                # asyncio.timeout, not wait_for: on 3.11 wait_for may swallow stop()'s cancellation.
                async with asyncio.timeout(failure_backoff or self._sweep_interval):
                    await self._wake.wait()
            except TimeoutError:
                self._sweep_requested = True

    async def _relay_hinted(self) -> int:
        published = 0
        for name in list(self._hints):
            hints = self._take_hints(name)
            collection = self._collections[name]
            try:
                known = [doc for doc in hints.values() if doc is not None]
                docs = known + await collection.get_many([i for i, doc in hints.items() if doc is None])
                published += await self._relay_documents(
                    collection, [d for d in docs if d.get(OUTBOX_PENDING_FIELD)]
                )
            except BaseException:
                self._hints.setdefault(name, {}).update(hints)  # keep them for the next attempt
                raise
        return published

    def _take_hints(self, name: str) -> dict[str, Document | None]:
        """At most one batch of hinted documents; the rest wait for the next pass."""
        pending = self._hints[name]
        if len(pending) <= self._batch_size:
            del self._hints[name]
            return pending
        return dict(pending.popitem() for _ in range(self._batch_size))

    async def _sweep(self, collection: Collection) -> int:
        published = 0
        while True:
            docs = await collection.find({OUTBOX_PENDING_FIELD: True}, limit=self._batch_size)
            metrics.OUTBOX_PENDING_DOCUMENTS.labels(collection.name).set(len(docs))
            relayed = await self._relay_documents(collection, docs) if docs else 0
            published += relayed
            # A full page whose documents are all still being cleaned up would come back unchanged: stop.
            if len(docs) < self._batch_size or not relayed:
                return published

    async def _relay_documents(self, collection: Collection, docs: list[Document]) -> int:
        cleaning = self._cleaning.setdefault(collection.name, set())
        # Published already, cleanup under way: an event added to one meanwhile is read again once it is clean.
        busy = {d["_id"] for d in docs if d["_id"] in cleaning}
        self._after_cleanup.setdefault(collection.name, set()).update(busy)
        docs = [d for d in docs if d["_id"] not in busy]
        if not docs:
            return 0
        batches = [_pending_events(doc) for doc in docs]
        # A read that started before one of our cleanups landed still shows the events it removed, and an
        # editor may write back an entry it read before the cleanup: such entries are only cleaned again.
        fresh = [item for batch in batches for item in batch if item[1].id not in self._published]
        # One acknowledged batch for the whole page: documents are distinct aggregates and each keeps its
        # events in order, so the per-key order survives; a failure leaves every document pending.
        await self._publish_observed(collection.name, fresh)
        self._published.add(env.id for _, env in fresh)
        metrics.OUTBOX_RELAYED.labels(collection.name).inc(len(fresh))
        cleaning.update(d["_id"] for d in docs)
        await self._schedule_cleanup(collection, docs, batches)
        return len(fresh)

    async def _publish_observed(self, collection: str, items: list[tuple[str, Envelope]]) -> None:
        """Publish a page, showing how old its oldest event is until it is acknowledged (then 0).

        A failed pass keeps its page and backs off; the next pass tries it again (hinted documents before
        newer hints, swept ones in the sweep that ends the pass), so while the broker refuses, the gauge
        shows that page, older at every retry, and a younger page published meanwhile shows 0 only until
        the pass reaches the failing one."""
        if not items:
            return
        age = metrics.OUTBOX_OLDEST_PENDING_AGE.labels(collection)
        oldest = min(env.time for _, env in items)
        age.set(max((self._clock() - oldest).total_seconds(), 0.0))
        started = time.perf_counter()
        await _publish_in_order(self._publisher, items)
        metrics.OUTBOX_PUBLISH_DURATION.labels(collection).observe(time.perf_counter() - started)
        age.set(0)

    async def _schedule_cleanup(
        self, collection: Collection, docs: list[Document], batches: list[list[tuple[str, Envelope]]]
    ) -> None:
        """Queue the published events to be pulled out of their documents by the background cleaner.

        The events are acknowledged already, so publishing the next page need not wait for these writes. One
        cleaner takes everything queued meanwhile, so under load it writes large batches (on FerretDB each
        document still costs an update, but a bulk command far less than one command each). A crash before the
        cleanup republishes them: a duplicate, never a loss. Past `max_cleanup_backlog` documents the relay
        waits for the cleaner, which bounds both memory and what a crash would republish.
        """
        queue = self._cleanup_queue.setdefault(collection.name, {})
        for doc, batch in zip(docs, batches, strict=True):
            ids = [env.id for _, env in batch]
            queue[doc["_id"]] = OutboxPull(doc["_id"], ids, read_version=doc.get(VERSION_FIELD))
        cleaner = self._cleaner_running()
        if sum(map(len, self._cleanup_queue.values())) > self._max_cleanup_backlog:
            await asyncio.gather(cleaner, return_exceptions=True)

    def _cleaner_running(self) -> asyncio.Task[None]:
        if self._cleaner is None or self._cleaner.done():
            self._cleaner = asyncio.create_task(self._clean_queued(), name="outbox-cleaner")
        return self._cleaner

    async def _clean_queued(self) -> None:
        while self._cleanup_queue:
            name, queue = next(iter(self._cleanup_queue.items()))
            pulls = [queue.pop(doc_id) for doc_id in list(queue)[: self._batch_size]]
            if not queue:
                del self._cleanup_queue[name]
            collection = self._collections[name]
            try:
                await collection.pull_outbox_many(pulls)  # one call (the store clears unchanged outboxes)
            except Exception as exc:
                # The store is likely down for the rest too: leave all of them pending. The next sweep finds
                # them and, remembering they were published, only queues their cleanup again.
                log.warning("outbox cleanup failed", collection=name, error=f"{type(exc).__name__}: {exc}")
                for other, left in self._cleanup_queue.items():
                    self._cleaned(other, set(left))
                self._cleanup_queue.clear()
            finally:
                self._cleaned(name, {p.doc_id for p in pulls})

    def _cleaned(self, name: str, doc_ids: set[str]) -> None:
        """These documents are no longer being cleaned: one kicked meanwhile is read again now."""
        self._cleaning.setdefault(name, set()).difference_update(doc_ids)
        waiting = self._after_cleanup.get(name, set())
        again = waiting & doc_ids
        if again:
            waiting -= again
            hints = self._hints.setdefault(name, {})
            hints.update((doc_id, None) for doc_id in again if doc_id not in hints)
            self._wake.set()


class RecentlyPublished:
    """The ids of the last `capacity` events this relay published (oldest forgotten first).

    Choices: asking the store whether an event is still pending would cost a read per event; a bounded
    in-memory record covers the window that matters (a cleanup lags its publish by at most a few pages),
    and after a restart the at-least-once rule (consumers are idempotent) covers the rest.
    """

    def __init__(self, capacity: int) -> None:
        self._capacity = capacity
        self._ids: OrderedDict[str, None] = OrderedDict()

    def __contains__(self, event_id: object) -> bool:
        return event_id in self._ids

    def add(self, event_ids: Iterable[str]) -> None:
        for event_id in event_ids:
            self._ids[event_id] = None
            self._ids.move_to_end(event_id)
        while len(self._ids) > self._capacity:
            self._ids.popitem(last=False)


def _newer(a: Document | None, b: Document | None) -> Document | None:
    """The later of two written states of one document; None (read it) when either is unknown."""
    if a is None or b is None:
        return None
    return a if int(a.get(VERSION_FIELD, 0)) >= int(b.get(VERSION_FIELD, 0)) else b


def _pending_events(doc: Document) -> list[tuple[str, Envelope]]:
    return [
        (entry["topic"], Envelope.model_validate(entry["envelope"])) for entry in doc.get(OUTBOX_FIELD) or []
    ]


async def _publish_in_order(publisher: EventPublisher, items: list[tuple[str, Envelope]]) -> None:
    if not items:
        return
    publish_many = getattr(publisher, "publish_many", None)
    if publish_many is not None and len(items) > 1:
        await publish_many(items)
        return
    for topic, envelope in items:
        await publisher.publish(topic, envelope)
