"""What the platform counts (docs/metrics.md): handler failures per attempt, the in-process bus's lag and
publish failures, the outbox's oldest pending age and publish duration, and readiness refreshed without
anyone asking /readyz."""

from __future__ import annotations

import asyncio
import uuid
from datetime import timedelta
from typing import Any

from contract.bus_contract import TEST_REGISTRY, Pinged, ping
from prometheus_client import REGISTRY

from guanwu.contracts.envelope import Envelope
from guanwu.contracts.events.base import Event
from guanwu.platform.bus.dispatch import RetryPolicy
from guanwu.platform.bus.inprocess import InProcessEventBus
from guanwu.platform.bus.port import Subscription
from guanwu.platform.outbox import OutboxRelay, add_events
from guanwu.platform.runtime import Runtime, ServiceParts
from guanwu.platform.store.memory import MemoryCollection, MemoryDocumentStore
from guanwu.platform.store.port import Document

QUICK = RetryPolicy(attempts=3, first_delay_seconds=0.0, max_delay_seconds=0.0)


def sample(name: str, **labels: str) -> float | None:
    return REGISTRY.get_sample_value(name, labels)


def unique(prefix: str) -> str:
    """Series of this test only: the registry is the process's, shared with every other test."""
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


async def test_each_failed_attempt_counts_and_the_series_exist_before_any() -> None:
    topic, group = Pinged.topic, unique("g-flaky")
    attempts = []

    async def flaky(envelope: Envelope, event: Event) -> None:
        attempts.append(envelope.id)
        if len(attempts) < 3:
            raise RuntimeError("not yet")

    bus = InProcessEventBus(retry=QUICK, registry=TEST_REGISTRY)
    bus.subscribe(Subscription(group, topic, {Pinged.event_type: flaky}))
    failures = {"topic": topic, "group": group}
    assert sample("guanwu_bus_handler_failures_total", **failures) == 0
    assert sample("guanwu_bus_messages_consumed_total", **failures, outcome="dead_lettered") == 0
    assert sample("guanwu_bus_consumer_lag_messages", **failures, partition="0") == 0
    await bus.publish(topic, ping(1))
    assert sample("guanwu_bus_handler_failures_total", **failures) == 2
    assert sample("guanwu_bus_messages_consumed_total", **failures, outcome="handled") == 1


async def test_a_failed_batch_counts_once_and_then_each_event_as_it_is_retried_alone() -> None:
    topic, group = Pinged.topic, unique("g-batch")
    calls: list[int] = []

    async def batch(items: list[tuple[Envelope, Event]]) -> None:
        calls.append(len(items))
        if len(items) > 1:
            raise RuntimeError("one of them is poison")

    bus = InProcessEventBus(retry=QUICK, registry=TEST_REGISTRY)
    bus.subscribe(Subscription(group, topic, batch_handlers={Pinged.event_type: batch}))
    await bus.publish_many([(topic, ping(n)) for n in range(3)])
    assert calls == [3, 1, 1, 1]
    assert sample("guanwu_bus_handler_failures_total", topic=topic, group=group) == 1


class RefusingCollection(MemoryCollection):
    async def insert(self, doc: Document) -> Document:
        raise ConnectionError("the store is down")


async def test_a_delivery_whose_dead_letter_cannot_be_stored_is_not_acknowledged() -> None:
    topic, group = unique("t-dlq") + ".events.v1", unique("g-poison")

    async def poison(envelope: Envelope, event: Event) -> None:
        raise RuntimeError("always")

    bus = InProcessEventBus(RefusingCollection("dlq"), retry=QUICK, registry=TEST_REGISTRY)
    bus.subscribe(Subscription(group, topic, {Pinged.event_type: poison}))
    try:
        await bus.publish(topic, ping(1))
        raise AssertionError("the publish should have failed")
    except ConnectionError:
        pass
    assert sample("guanwu_bus_publish_failures_total", topic=topic) == 1
    assert sample("guanwu_bus_dead_letter_failures_total", topic=f"{topic}.dlq") == 1
    assert sample("guanwu_bus_messages_published_total", topic=topic) is None


class Broker:
    """Refuses publishes while `down`."""

    def __init__(self) -> None:
        self.down = True
        self.acknowledged: list[Envelope] = []

    async def publish(self, topic: str, envelope: Envelope) -> None:
        if self.down:
            raise ConnectionError("broker unavailable")
        self.acknowledged.append(envelope)


async def test_the_oldest_pending_age_grows_while_the_broker_refuses_and_is_0_once_published() -> None:
    name = unique("outbox")
    collection = MemoryDocumentStore().collection(name)
    envelope = ping(1)
    await collection.insert(add_events({"_id": "d1"}, [(Pinged.topic, envelope)]))
    now = [envelope.time + timedelta(seconds=100)]
    broker = Broker()
    relay = OutboxRelay(broker, [collection], clock=lambda: now[0])
    labels = {"collection": name}
    assert sample("guanwu_outbox_oldest_pending_age_seconds", **labels) == 0
    assert sample("guanwu_outbox_publish_duration_seconds_count", **labels) == 0
    for expected in (100.0, 130.0):
        try:
            await relay.relay_once()
            raise AssertionError("the broker is down")
        except ConnectionError:
            pass
        assert sample("guanwu_outbox_oldest_pending_age_seconds", **labels) == expected
        now[0] += timedelta(seconds=30)
    broker.down = False
    relay.kick()
    assert await relay.relay_once() == 1
    assert sample("guanwu_outbox_oldest_pending_age_seconds", **labels) == 0
    assert sample("guanwu_outbox_publish_duration_seconds_count", **labels) == 1
    await relay.stop()


class SwitchableBus(InProcessEventBus):
    """An in-process bus whose broker check answers what the test says; every check is announced."""

    def __init__(self) -> None:
        super().__init__()
        self.answer = True
        self.checked: asyncio.Queue[bool] = asyncio.Queue()

    async def ping(self) -> bool:
        await self.checked.put(self.answer)
        return self.answer


async def test_readiness_is_refreshed_in_the_background_without_a_probe() -> None:
    bus = SwitchableBus()
    runtime = Runtime(MemoryDocumentStore(), bus, readiness_refresh_seconds=0.01)
    service = unique("svc")
    runtime.register(ServiceParts(name=service))
    await runtime.start()
    try:
        await bus.checked.get()
        await bus.checked.get()  # the answer before this one is on the gauge now
        assert sample("guanwu_process_ready", service=service) == 1
        bus.answer = False
        while await bus.checked.get():  # until a check ran with the new answer
            pass
        await bus.checked.get()
        assert sample("guanwu_process_ready", service=service) == 0
    finally:
        await runtime.stop()


async def test_the_series_of_a_process_exist_from_its_start() -> None:
    topic, service = unique("t-out") + ".events.v1", unique("svc")
    runtime = Runtime(MemoryDocumentStore(), InProcessEventBus(), service_label=service)
    runtime.register(ServiceParts(name="anything", publishes_to=[topic]))
    await runtime.start()
    await runtime.stop()
    found: dict[str, Any] = {
        "published": sample("guanwu_bus_messages_published_total", topic=topic),
        "failures": sample("guanwu_bus_publish_failures_total", topic=topic),
        "ready": sample("guanwu_process_ready", service=service),
    }
    assert found["published"] == 0 and found["failures"] == 0 and found["ready"] in (0, 1)
