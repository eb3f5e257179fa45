"""The transactional outbox without multi-document transactions.

A state change and the events it causes are written in ONE document write: pending events ride inside the
changed document (`_outbox`, flagged by `_outbox_pending`), which every MongoDB-wire server (FerretDB 1.x
included) writes atomically. The relay publishes them in order, then pulls them out of the document.

A crash after publishing and before the pull publishes the event again; consumers are idempotent. An editor
who replaces the document between the relay's read and its pull may write back an event the relay already
published: again a duplicate, never a loss.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Sequence
from typing import Any

import structlog
from guanwu.contracts.envelope import Envelope
from guanwu.platform import metrics
from guanwu.platform.bus.port import EventPublisher
from guanwu.platform.store.port import OUTBOX_FIELD, OUTBOX_PENDING_FIELD, Collection, Document

log = structlog.get_logger(__name__)


def add_events(doc: Document, events: Sequence[tuple[str, Envelope]]) -> Document:
    """Attach events to the document that is about to be written. Returns the same (mutated) dict."""
    pending: list[dict[str, Any]] = list(doc.get(OUTBOX_FIELD) or [])
    pending.extend({"topic": topic, "envelope": env.model_dump(mode="json")} for topic, env in events)
    doc[OUTBOX_FIELD] = pending
    doc[OUTBOX_PENDING_FIELD] = bool(pending)
    return doc


def strip_outbox(doc: Document) -> Document:
    """A copy of the document without the outbox bookkeeping (for API responses)."""
    return {k: v for k, v in doc.items() if k not in (OUTBOX_FIELD, OUTBOX_PENDING_FIELD)}


class OutboxRelay:
    """Publishes pending events of the given collections until each is acknowledged.

    `kick()` after a write wakes the relay at once; otherwise it polls, so events written by a process that
    died are published by the next one that runs.
    """

    def __init__(
        self,
        publisher: EventPublisher,
        collections: Sequence[Collection],
        *,
        poll_interval_seconds: float = 0.5,
        batch_size: int = 200,
        max_backoff_seconds: float = 10.0,
    ) -> None:
        self._publisher = publisher
        self._collections = list(collections)
        self._poll_interval = poll_interval_seconds
        self._batch_size = batch_size
        self._max_backoff = max_backoff_seconds
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    def kick(self) -> None:
        self._wake.set()

    async def start(self) -> None:
        if self._task is None:
            self._task = asyncio.create_task(self._run(), name="outbox-relay")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def relay_once(self) -> int:
        """One pass over every collection; returns how many events were published."""
        published = 0
        for collection in self._collections:
            published += await self._relay_collection(collection)
        return published

    async def drain(self, timeout_seconds: float = 30.0) -> None:
        """Publish until nothing is pending (tests and orderly shutdown)."""
        async with asyncio.timeout(timeout_seconds):
            while await self.relay_once():
                pass

    async def _run(self) -> None:
        backoff = self._poll_interval
        while True:
            try:
                published = await self.relay_once()
                backoff = self._poll_interval
                if published:
                    continue
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # broker or store down: keep the events, back off, try again
                log.warning(
                    "outbox relay pass failed", error=f"{type(exc).__name__}: {exc}", retry_in=backoff
                )
                backoff = min(backoff * 2, self._max_backoff)
            self._wake.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), timeout=backoff)

    async def _relay_collection(self, collection: Collection) -> int:
        docs = await collection.find({OUTBOX_PENDING_FIELD: True}, limit=self._batch_size)
        metrics.OUTBOX_PENDING_DOCUMENTS.labels(collection.name).set(len(docs))
        published = 0
        for doc in docs:
            entries = doc.get(OUTBOX_FIELD) or []
            items = [(entry["topic"], Envelope.model_validate(entry["envelope"])) for entry in entries]
            await _publish_in_order(self._publisher, items)
            await collection.pull_outbox(doc["_id"], [env.id for _, env in items])
            metrics.OUTBOX_RELAYED.labels(collection.name).inc(len(items))
            published += len(items)
        return published


async def _publish_in_order(publisher: EventPublisher, items: list[tuple[str, Envelope]]) -> None:
    publish_many = getattr(publisher, "publish_many", None)
    if publish_many is not None and len(items) > 1:
        await publish_many(items)
        return
    for topic, envelope in items:
        await publisher.publish(topic, envelope)
