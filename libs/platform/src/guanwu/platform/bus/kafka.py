"""The distributed bus: aiokafka's idempotent producer (acks=all) to publish, aiokafka consumers to consume.

At-least-once: a consumer group commits an offset only after the handler's effect (or its dead-lettering) is
done (`kafka_consumer.GroupConsumer`). A crash before the commit redelivers; handlers are idempotent.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import Counter
from collections.abc import Sequence
from contextlib import AsyncExitStack
from typing import Any

import structlog
from aiokafka import AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import (
    KafkaError,
    MessageSizeTooLargeError,
    RecordListTooLargeError,
    RecordTooLargeError,
    TopicAlreadyExistsError,
)
from tenacity import AsyncRetrying, retry_if_exception_type, stop_after_delay, wait_exponential

from guanwu.contracts.envelope import Envelope
from guanwu.contracts.events.base import REGISTRY, EventRegistry
from guanwu.contracts.topics import dead_letter_topic
from guanwu.platform import metrics
from guanwu.platform.bus import dead_letter
from guanwu.platform.bus.dispatch import ConsumerHealth, Dispatcher, RetryPolicy
from guanwu.platform.bus.kafka_consumer import GroupConsumer
from guanwu.platform.bus.port import Subscription

log = structlog.get_logger(__name__)

# Deadlines use `asyncio.timeout`, never `asyncio.wait_for`: on Python 3.11 wait_for can swallow a cancellation
# that arrives as the awaited call completes, and a loop that lost its cancellation never stops.

_TOO_LARGE = (MessageSizeTooLargeError, RecordTooLargeError, RecordListTooLargeError)

for _noisy in ("aiokafka", "kafka"):
    logging.getLogger(_noisy).setLevel(logging.WARNING)


def topic_configs(topic: str) -> dict[str, str]:
    """An events topic (`<owner>.events.v1`) is the record read models are rebuilt from (`guanwu replay`): it
    keeps its messages for ever. Dead-letter and request topics keep the broker's default retention."""
    if ".events." in topic and not topic.endswith(".dlq"):
        return {"retention.ms": "-1"}
    return {}


class BrokerUnavailable(ConnectionError):
    """The broker did not answer within the start-up budget."""


class KafkaEventBus:
    def __init__(
        self,
        bootstrap_servers: str,
        *,
        client_id: str = "guanwu",
        topic_partitions: int = 3,
        startup_timeout_seconds: float = 120.0,
        publish_timeout_seconds: float = 30.0,
        retry: RetryPolicy | None = None,
        registry: EventRegistry = REGISTRY,
        group_prefix: str = "guanwu",
        max_message_bytes: int = 1_000_000,
        dead_letter_full_copy_attempts: int = 3,
        health: ConsumerHealth | None = None,
    ) -> None:
        self._bootstrap = bootstrap_servers
        self._group_prefix = group_prefix
        self._max_message_bytes = max_message_bytes
        self._dead_letter_full_copy_attempts = dead_letter_full_copy_attempts
        self.health = health or ConsumerHealth()
        self._client_id = client_id
        self._partitions = topic_partitions
        self._startup_timeout = startup_timeout_seconds
        self._publish_timeout = publish_timeout_seconds
        self._retry = retry
        self._registry = registry
        self._subscriptions: list[Subscription] = []
        self._producer: AIOKafkaProducer | None = None
        self._stack = AsyncExitStack()
        self._extra_topics: set[str] = set()
        self.startup_attempts = 0  # observable: how often start-up had to ask the broker

    def subscribe(self, subscription: Subscription) -> None:
        self._subscriptions.append(subscription)

    def declare_topics(self, topics: Sequence[str]) -> None:
        """Topics this process publishes to; they are created (with their DLQ) at start."""
        self._extra_topics.update(topics)

    async def start(self) -> None:
        await self._retry_until_broker_answers(self._ensure_topics)
        self._producer = AIOKafkaProducer(
            bootstrap_servers=self._bootstrap,
            client_id=f"{self._client_id}-producer",
            enable_idempotence=True,
            acks="all",
            linger_ms=2,
        )
        await self._retry_until_broker_answers(self._producer.start)
        self._stack.push_async_callback(self._producer.stop)
        for group, subscriptions in self._by_group().items():
            consumer = self._group_consumer(group, subscriptions)
            await self._retry_until_broker_answers(consumer.start)
            self._stack.push_async_callback(consumer.stop)
        log.info("kafka bus started", bootstrap=self._bootstrap, groups=sorted(self._by_group()))

    async def stop(self) -> None:
        await self._stack.aclose()
        self._producer = None

    async def ping(self) -> bool:
        admin = AIOKafkaAdminClient(bootstrap_servers=self._bootstrap, request_timeout_ms=3000)
        try:
            async with asyncio.timeout(10):
                await admin.start()
                await admin.list_topics()
            return True
        except (KafkaError, OSError, TimeoutError):
            return False
        finally:
            with contextlib.suppress(Exception):
                await admin.close()

    def stalled_consumers(self) -> list[dict[str, Any]]:
        return self.health.stalled()

    async def publish(self, topic: str, envelope: Envelope) -> None:
        await self.publish_raw(topic, envelope.subject.encode("utf-8"), envelope.to_json_bytes())

    async def publish_many(self, items: Sequence[tuple[str, Envelope]]) -> None:
        """Send a batch and wait for every acknowledgement; per-key order is kept by the idempotent producer."""
        producer = self._require_producer()
        futures = [
            await producer.send(topic, env.to_json_bytes(), key=env.subject.encode("utf-8"))
            for topic, env in items
        ]
        try:
            async with asyncio.timeout(self._publish_timeout):
                await asyncio.gather(*futures)
        except BaseException:
            for topic, count in Counter(topic for topic, _ in items).items():
                metrics.PUBLISH_FAILURES.labels(topic).inc(count)
            raise
        for topic, count in Counter(topic for topic, _ in items).items():  # once per topic: a hot path
            metrics.PUBLISHED.labels(topic).inc(count)

    async def publish_raw(
        self, topic: str, key: bytes | None, value: bytes, headers: dict[str, str] | None = None
    ) -> None:
        producer = self._require_producer()
        encoded_headers = [(k, v.encode("utf-8")) for k, v in (headers or {}).items()]
        try:
            async with asyncio.timeout(self._publish_timeout):
                await producer.send_and_wait(topic, value, key=key, headers=encoded_headers or None)
        except BaseException:
            metrics.PUBLISH_FAILURES.labels(topic).inc()
            raise
        metrics.PUBLISHED.labels(topic).inc()

    async def dead_letter(self, topic: str, key: bytes | None, value: bytes, headers: dict[str, str]) -> None:
        """Write a failed message to its dead-letter topic; returns only once the broker has it.

        The offset must not move past a message that is neither handled nor dead-lettered, so this keeps
        trying, but it never waits on something that cannot succeed: a copy too large for the topic becomes
        a reference (`dead_letter.as_reference`), and after a few failed attempts of the full copy the small
        reference is tried instead. What remains is a broker that does not answer, where no consumer can move
        anyway; each failure is logged and counted, and the consumer shows as stalled in /readyz.
        """
        original, headers = value, dict(headers)
        value = dead_letter.fit(key, original, headers, self._max_message_bytes)
        attempt = 0
        while True:
            attempt += 1
            try:
                await self.publish_raw(topic, key, value, headers)
                break
            except _TOO_LARGE as exc:  # the broker's limit is below ours: the reference always fits
                self._dead_letter_failed(topic, attempt, exc)
                value = dead_letter.as_reference(original, headers, head_bytes=0)
            except Exception as exc:
                self._dead_letter_failed(topic, attempt, exc)
                if attempt >= self._dead_letter_full_copy_attempts and not dead_letter.is_reference(headers):
                    value = dead_letter.as_reference(original, headers)
                await asyncio.sleep(min(0.2 * 2 ** (attempt - 1), 5.0))
        if dead_letter.is_reference(headers):
            metrics.DEAD_LETTER_TRIMMED.labels(topic).inc()
            log.warning(
                "dead-lettered as a reference: the original did not fit",
                topic=topic,
                original_bytes=headers[dead_letter.ORIGINAL_BYTES_HEADER],
            )

    def _dead_letter_failed(self, topic: str, attempt: int, exc: BaseException) -> None:
        metrics.DEAD_LETTER_FAILURES.labels(topic).inc()
        log.error(
            "dead-letter write failed; the consumer waits on this message",
            topic=topic,
            attempt=attempt,
            error=f"{type(exc).__name__}: {exc}"[:500],
        )

    def _require_producer(self) -> AIOKafkaProducer:
        if self._producer is None:
            raise RuntimeError("KafkaEventBus.start() has not been called")
        return self._producer

    def _by_group(self) -> dict[str, list[Subscription]]:
        groups: dict[str, list[Subscription]] = {}
        for subscription in self._subscriptions:
            groups.setdefault(subscription.group, []).append(subscription)
        return groups

    def _all_topics(self) -> set[str]:
        topics = set(self._extra_topics) | {s.topic for s in self._subscriptions}
        return topics | {dead_letter_topic(t) for t in topics}

    async def _ensure_topics(self) -> None:
        """Faust agents need their topics to exist before they start; create them (and the DLQs) up front."""
        admin = AIOKafkaAdminClient(bootstrap_servers=self._bootstrap, client_id=f"{self._client_id}-admin")
        await admin.start()
        try:
            existing = set(await admin.list_topics())
            missing = sorted(self._all_topics() - existing)
            if missing:
                new = [
                    NewTopic(
                        name,
                        num_partitions=self._partitions,
                        replication_factor=1,
                        topic_configs=topic_configs(name),
                    )
                    for name in missing
                ]
                with contextlib.suppress(TopicAlreadyExistsError):
                    await admin.create_topics(new)
        finally:
            await admin.close()

    async def _retry_until_broker_answers(self, operation: Any) -> None:
        try:
            async for attempt in AsyncRetrying(
                wait=wait_exponential(multiplier=0.5, max=5),
                stop=stop_after_delay(self._startup_timeout),
                retry=retry_if_exception_type((KafkaError, OSError)),
                reraise=True,
            ):
                with attempt:
                    self.startup_attempts += 1
                    await operation()
        except (KafkaError, OSError) as exc:
            raise BrokerUnavailable(f"Kafka at {self._bootstrap} did not answer: {exc}") from exc

    def group_id(self, group: str) -> str:
        """The consumer group id on the broker: the subscription's group under this deployment's prefix."""
        return f"{self._group_prefix}.{group}"

    def _group_consumer(self, group: str, subscriptions: list[Subscription]) -> GroupConsumer:
        dispatchers = {
            s.topic: Dispatcher(s, self, self._retry, self._registry, self.health) for s in subscriptions
        }
        if len(dispatchers) != len(subscriptions):
            raise ValueError(f"group {group!r} subscribes to a topic twice: merge its handlers")
        return GroupConsumer(
            self._bootstrap, self.group_id(group), dispatchers, client_id=f"{self._client_id}-{group}"
        )
