"""The embedded default's bus: events are handed to every subscribed group inside `publish`.

Choices: a queue per group (asynchronous, like Kafka) would lose whatever sits in it when the process dies,
because the outbox would already have forgotten the event. Delivering synchronously inside `publish` keeps
the outbox entry until every group has handled the event (or dead-lettered it), which gives the embedded
default the same guarantee as Kafka: nothing lost, and duplicates absorbed by idempotent handlers.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import defaultdict
from collections.abc import Iterator, Sequence
from typing import Any

from guanwu.contracts.envelope import Envelope, new_event_id
from guanwu.contracts.events.base import REGISTRY, EventRegistry
from guanwu.platform import metrics
from guanwu.platform.bus.dispatch import ConsumerHealth, Dispatcher, RawMessage, RetryPolicy, dlq_record
from guanwu.platform.bus.event_log import EventLog
from guanwu.platform.bus.port import Subscription
from guanwu.platform.store.port import Collection


class InProcessEventBus:
    def __init__(
        self,
        dead_letter_collection: Collection | None = None,
        retry: RetryPolicy | None = None,
        registry: EventRegistry = REGISTRY,
        health: ConsumerHealth | None = None,
        published_memory: int = 10_000,
        event_log: EventLog | None = None,
    ) -> None:
        self.health = health or ConsumerHealth()
        self._dispatchers: dict[str, list[Dispatcher]] = defaultdict(list)
        self._group_locks: dict[str, asyncio.Lock] = defaultdict(asyncio.Lock)
        self._dead_letter_collection = dead_letter_collection
        self._retry = retry
        self._registry = registry
        # The last events published, for tests; bounded, because the embedded process runs for long. By count,
        # not size: a DeclarationSynced carries a whole document, so a long-running process keeps none (0).
        self.published: list[tuple[str, Envelope]] = []
        self._published_memory = published_memory
        self.dead_letters: list[tuple[str, dict[str, str | None]]] = []
        # Every message published, kept before delivery, for rebuilds (`guanwu replay`); None keeps nothing.
        self.event_log = event_log

    def subscribe(self, subscription: Subscription) -> None:
        self._dispatchers[subscription.topic].append(
            Dispatcher(subscription, self, self._retry, self._registry, self.health)
        )
        # Delivery happens inside `publish`, so no message ever waits for a group: its lag is 0, reported
        # as one partition `0` so that dashboards and alerts read both buses alike.
        metrics.CONSUMER_LAG.labels(subscription.topic, subscription.group, "0").set(0)

    async def start(self) -> None:
        return None

    async def stop(self) -> None:
        return None

    async def ping(self) -> bool:
        return True

    def stalled_consumers(self) -> list[dict[str, Any]]:
        return self.health.stalled()

    async def publish(self, topic: str, envelope: Envelope) -> None:
        await self.publish_raw(topic, envelope.subject.encode("utf-8"), envelope.to_json_bytes())
        self._remember([(topic, envelope)])

    async def publish_many(self, items: Sequence[tuple[str, Envelope]]) -> None:
        """Each topic's events go to its groups as one batch (batch handlers apply them together), topics in
        the order they first appear; per-key order within a topic is kept.

        The groups read each message's envelope as given rather than parsing its bytes again: the outbox, the
        one caller, rebuilds its envelopes from their stored JSON, so the bytes would read back the same."""
        by_topic: dict[str, list[RawMessage]] = {}
        for topic, envelope in items:
            message = RawMessage(envelope.subject.encode("utf-8"), envelope.to_json_bytes())
            message.parsed[Envelope] = envelope
            by_topic.setdefault(topic, []).append(message)
        for topic, messages in by_topic.items():
            with _counted_failure(topic, len(messages)):
                if self.event_log is not None:
                    await self.event_log.append(topic, [(m.key, m.value) for m in messages])
                for dispatcher in self._dispatchers.get(topic, []):
                    async with self._group_locks[dispatcher.subscription.group]:
                        await dispatcher.dispatch_many(messages)
            metrics.PUBLISHED.labels(topic).inc(len(messages))
        self._remember(items)

    async def publish_raw(self, topic: str, key: bytes | None, value: bytes) -> None:
        """Deliver bytes as they would arrive from a broker (tests use it to send poison messages)."""
        with _counted_failure(topic, 1):
            if self.event_log is not None:
                await self.event_log.append(topic, [(key, value)])
            for dispatcher in self._dispatchers.get(topic, []):
                # One message at a time per group keeps per-key order, as a Kafka partition would.
                async with self._group_locks[dispatcher.subscription.group]:
                    await dispatcher.dispatch(key, value)
        metrics.PUBLISHED.labels(topic).inc()

    def _remember(self, items: Sequence[tuple[str, Envelope]]) -> None:
        if self._published_memory <= 0:
            return
        self.published.extend(items)
        if len(self.published) > 2 * self._published_memory:  # trimmed now and then, not on every event
            del self.published[: -self._published_memory]

    async def dead_letter(self, topic: str, key: bytes | None, value: bytes, headers: dict[str, str]) -> None:
        record = dlq_record(key, value, headers)
        if self._dead_letter_collection is not None:
            try:
                await self._dead_letter_collection.insert({"_id": new_event_id(), "topic": topic, **record})
            except Exception:
                metrics.DEAD_LETTER_FAILURES.labels(topic).inc()
                raise
        self.dead_letters.append((topic, record))


@contextlib.contextmanager
def _counted_failure(topic: str, count: int) -> Iterator[None]:
    """A delivery that raised (a dead letter could not be stored) was not acknowledged: the outbox keeps the
    events and publishes them again."""
    try:
        yield
    except BaseException:
        metrics.PUBLISH_FAILURES.labels(topic).inc(count)
        raise
