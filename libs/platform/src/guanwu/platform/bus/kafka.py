"""The distributed bus: aiokafka's idempotent producer (acks=all) to publish, faust-streaming agents to consume.

At-least-once: faust commits an offset only after the agent has moved past the message, i.e. after the
handler's effect (or its dead-lettering) is done. A crash before the commit redelivers; handlers are
idempotent. `processing_guarantee="exactly_once"` is not used: it has open bugs in faust-streaming.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Sequence
from contextlib import AsyncExitStack
from typing import Any

import faust
import structlog
from aiokafka import AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import KafkaError, TopicAlreadyExistsError
from faust.contrib.asgi import faust_app_running
from tenacity import AsyncRetrying, retry_if_exception_type, stop_after_delay, wait_exponential

from guanwu.contracts.envelope import Envelope
from guanwu.contracts.events.base import REGISTRY, EventRegistry
from guanwu.contracts.topics import dead_letter_topic
from guanwu.platform import metrics
from guanwu.platform.bus.dispatch import Dispatcher, RetryPolicy
from guanwu.platform.bus.port import Subscription

log = structlog.get_logger(__name__)

for _noisy in ("faust", "mode", "aiokafka", "kafka"):
    logging.getLogger(_noisy).setLevel(logging.WARNING)


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
    ) -> None:
        self._bootstrap = bootstrap_servers
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
            app = self._faust_app(group, subscriptions)
            await self._stack.enter_async_context(_running(app))
        log.info("kafka bus started", bootstrap=self._bootstrap, groups=sorted(self._by_group()))

    async def stop(self) -> None:
        await self._stack.aclose()
        self._producer = None

    async def ping(self) -> bool:
        admin = AIOKafkaAdminClient(bootstrap_servers=self._bootstrap, request_timeout_ms=3000)
        try:
            await asyncio.wait_for(admin.start(), timeout=5)
            await asyncio.wait_for(admin.list_topics(), timeout=5)
            return True
        except (KafkaError, OSError, TimeoutError):
            return False
        finally:
            with contextlib.suppress(Exception):
                await admin.close()

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
            await asyncio.wait_for(asyncio.gather(*futures), timeout=self._publish_timeout)
        except BaseException:
            for topic, _ in items:
                metrics.PUBLISH_FAILURES.labels(topic).inc()
            raise
        for topic, _ in items:
            metrics.PUBLISHED.labels(topic).inc()

    async def publish_raw(
        self, topic: str, key: bytes | None, value: bytes, headers: dict[str, str] | None = None
    ) -> None:
        producer = self._require_producer()
        encoded_headers = [(k, v.encode("utf-8")) for k, v in (headers or {}).items()]
        try:
            await asyncio.wait_for(
                producer.send_and_wait(topic, value, key=key, headers=encoded_headers or None),
                timeout=self._publish_timeout,
            )
        except BaseException:
            metrics.PUBLISH_FAILURES.labels(topic).inc()
            raise
        metrics.PUBLISHED.labels(topic).inc()

    async def dead_letter(self, topic: str, key: bytes | None, value: bytes, headers: dict[str, str]) -> None:
        # The offset must not move past a message that is neither handled nor dead-lettered: keep trying.
        async for attempt in AsyncRetrying(
            wait=wait_exponential(multiplier=0.2, max=5), retry=retry_if_exception_type(Exception)
        ):
            with attempt:
                await self.publish_raw(topic, key, value, headers)

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
                    NewTopic(name, num_partitions=self._partitions, replication_factor=1) for name in missing
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

    def _faust_app(self, group: str, subscriptions: list[Subscription]) -> faust.App:
        app = faust.App(
            group,
            broker=f"kafka://{self._bootstrap}",
            web_enabled=False,
            store="memory://",
            autodiscover=False,
            topic_replication_factor=1,
            topic_partitions=self._partitions,
            consumer_auto_offset_reset="earliest",
            broker_commit_interval=1.0,
            # A member killed without leaving holds its partitions until its session expires; faust's 60 s
            # default would stall a restarted service for a minute.
            broker_session_timeout=10.0,
            broker_heartbeat_interval=1.0,
        )
        for subscription in subscriptions:
            _attach_agent(app, Dispatcher(subscription, self, self._retry, self._registry))
        return app


def _attach_agent(app: faust.App, dispatcher: Dispatcher) -> None:
    topic = app.topic(
        dispatcher.subscription.topic,
        key_type=bytes,
        value_type=bytes,
        key_serializer="raw",
        value_serializer="raw",
    )

    async def consume(stream: Any) -> None:
        async for event in stream.events():
            # Dispatcher never raises for a bad message (it dead-letters); if it raises anyway, faust would
            # ack and drop the message, so the error is logged and the agent re-raises only on cancellation.
            try:
                await dispatcher.dispatch(event.key, event.value)
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("dispatch failed unexpectedly", topic=dispatcher.subscription.topic)

    name = f"{dispatcher.subscription.group}.{dispatcher.subscription.topic}"
    app.agent(topic, name=name)(consume)


@contextlib.asynccontextmanager
async def _running(app: faust.App) -> AsyncIterator[None]:
    async with faust_app_running(app, stop_timeout=15.0):
        yield
