"""One contract every event bus adapter must pass (in-process and Kafka).

A subclass provides `make_bus(group, topic)` (returns a started-later bus) and `dead_letters(bus, topic)`.
Each test uses its own topic so adapters backed by a real broker need no cleanup.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from typing import Any, ClassVar

import pytest
from prometheus_client import REGISTRY as METRICS

from guanwu.contracts.envelope import Envelope
from guanwu.contracts.events.base import Event, EventRegistry, event_type_name
from guanwu.platform.bus.port import EventBus, Subscription
from guanwu.platform.events import envelope_for


class Pinged(Event):
    """A test-only event."""

    ping_id: str
    sequence: int

    event_type: ClassVar[str] = event_type_name("contract-test", "Pinged")
    topic: ClassVar[str] = "contract-test.events.v1"
    owner: ClassVar[str] = "contract-test"

    def aggregate_id(self) -> str:
        return self.ping_id


class Ponged(Event):
    """A second test-only event: known to the registry, handled by no test subscription."""

    ping_id: str

    event_type: ClassVar[str] = event_type_name("contract-test", "Ponged")
    topic: ClassVar[str] = "contract-test.events.v1"
    owner: ClassVar[str] = "contract-test"

    def aggregate_id(self) -> str:
        return self.ping_id


# A registry of its own: the test event must not leak into the published contracts (schemas, AsyncAPI).
TEST_REGISTRY = EventRegistry()
TEST_REGISTRY.register(Pinged)
TEST_REGISTRY.register(Ponged)


def consumed(topic: str, group: str, outcome: str) -> float:
    labels = {"topic": topic, "group": group, "outcome": outcome}
    return METRICS.get_sample_value("guanwu_bus_messages_consumed_total", labels) or 0.0


def ping(seq: int, ping_id: str = "p-1") -> Envelope:
    return envelope_for(Pinged(ping_id=ping_id, sequence=seq), source="/test", tenant="t1")[1]


def consumption() -> float:
    """Every message any consumer of this process finished (handled, skipped or dead-lettered)."""
    return sum(
        sample.value
        for family in METRICS.collect()
        if family.name == "guanwu_bus_messages_consumed"
        for sample in family.samples
        if sample.name.endswith("_total")
    )


async def wait_for(predicate: Any, quiet_seconds: float = 60.0) -> None:
    """Wait while consumers still finish messages; fail once nothing has moved for `quiet_seconds` (a broker
    on a busy machine may be slow, but a consumer that finishes nothing for a minute is stuck)."""
    loop = asyncio.get_running_loop()
    seen, moved_at = consumption(), loop.time()
    while not predicate():
        if consumption() != seen:
            seen, moved_at = consumption(), loop.time()
        assert loop.time() - moved_at < quiet_seconds, f"no message consumed for {quiet_seconds} s"
        await asyncio.sleep(0.05)


class BusContract:
    """Tests inherited by each adapter's test class."""

    async def make_bus(self, subscriptions: list[Subscription], topics: list[str]) -> EventBus:
        raise NotImplementedError

    async def dead_letters(self, bus: EventBus, topic: str, expected: int) -> list[dict[str, Any]]:
        raise NotImplementedError

    async def publish_raw(self, bus: EventBus, topic: str, key: bytes, value: bytes) -> None:
        await bus.publish_raw(topic, key, value)  # type: ignore[attr-defined]

    @pytest.fixture
    def topic(self) -> str:
        return f"contract-{uuid.uuid4().hex[:10]}.events.v1"

    @pytest.fixture
    async def received(self) -> AsyncIterator[list[tuple[Envelope, Event]]]:
        yield []

    def recorder(self, received: list[tuple[Envelope, Event]]) -> Any:
        async def handle(envelope: Envelope, event: Event) -> None:
            received.append((envelope, event))

        return handle

    async def test_published_event_reaches_subscriber_in_key_order(
        self, topic: str, received: list[Any]
    ) -> None:
        sub = Subscription(f"g-{topic}", topic, {Pinged.event_type: self.recorder(received)})
        bus = await self.make_bus([sub], [topic])
        try:
            for seq in range(20):
                await bus.publish(topic, ping(seq))
            await wait_for(lambda: len(received) >= 20)
            assert [e.sequence for _, e in received] == list(range(20))
            assert all(isinstance(e, Pinged) for _, e in received)
            assert received[0][0].tenant == "t1" and received[0][0].subject == "p-1"
        finally:
            await bus.stop()

    async def test_poison_messages_go_to_the_dlq_and_later_messages_are_processed(
        self, topic: str, received: list[Any]
    ) -> None:
        sub = Subscription(f"g-{topic}", topic, {Pinged.event_type: self.recorder(received)})
        bus = await self.make_bus([sub], [topic])
        try:
            await self.publish_raw(bus, topic, b"k", b"this is not json {")
            bad_payload = ping(1).model_copy(update={"data": {"ping_id": "p-1", "sequence": "not a number"}})
            await self.publish_raw(bus, topic, b"p-1", bad_payload.to_json_bytes())
            await bus.publish(topic, ping(2))
            await wait_for(lambda: len(received) >= 1)
            assert [e.sequence for _, e in received] == [2]
            dead = await self.dead_letters(bus, topic, expected=2)
            reasons = sorted(d["guanwu-dlq-reason"] for d in dead)
            assert reasons == ["invalid-envelope", "invalid-payload"]
            assert any("sequence" in str(d["guanwu-dlq-detail"]) for d in dead)
        finally:
            await bus.stop()

    async def test_failing_handler_is_retried_then_dead_lettered(
        self, topic: str, received: list[Any]
    ) -> None:
        attempts: list[int] = []

        async def flaky(envelope: Envelope, event: Event) -> None:
            assert isinstance(event, Pinged)
            attempts.append(event.sequence)
            if event.sequence == 0 and attempts.count(0) < 2:
                raise RuntimeError("transient")  # succeeds on the second attempt
            if event.sequence == 1:
                raise RuntimeError("always broken")
            received.append((envelope, event))

        bus = await self.make_bus([Subscription(f"g-{topic}", topic, {Pinged.event_type: flaky})], [topic])
        try:
            for seq in range(3):
                await bus.publish(topic, ping(seq))
            await wait_for(lambda: len(received) >= 2)
            assert [e.sequence for _, e in received] == [0, 2]
            assert attempts.count(0) == 2 and attempts.count(1) == 3
            dead = await self.dead_letters(bus, topic, expected=1)
            assert dead[0]["guanwu-dlq-reason"] == "handler-failed"
            assert "always broken" in str(dead[0]["guanwu-dlq-detail"])
        finally:
            await bus.stop()

    async def test_a_stray_cancelled_error_is_a_failure_not_the_end_of_the_consumer(
        self, topic: str, received: list[Any]
    ) -> None:
        # faust acks the in-flight event of an agent that ends, so a CancelledError raised by a handler
        # (not by stopping the consumer) must be retried and dead-lettered like any other failure.
        async def cancels_itself(envelope: Envelope, event: Event) -> None:
            assert isinstance(event, Pinged)
            if event.sequence == 1:
                raise asyncio.CancelledError("a handler's own task juggling")
            received.append((envelope, event))

        sub = Subscription(f"g-{topic}", topic, {Pinged.event_type: cancels_itself})
        bus = await self.make_bus([sub], [topic])
        try:
            for seq in range(3):
                await bus.publish(topic, ping(seq))
            await wait_for(lambda: len(received) >= 2)
            assert [e.sequence for _, e in received] == [0, 2]
            dead = await self.dead_letters(bus, topic, expected=1)
            assert [d["guanwu-dlq-reason"] for d in dead] == ["handler-failed"]
        finally:
            await bus.stop()

    async def test_a_batch_handler_sees_every_event_once_in_key_order(self, topic: str) -> None:
        batches: list[list[int]] = []

        async def record_batch(items: Any) -> None:
            batches.append([event.sequence for _, event in items])

        sub = Subscription(f"g-{topic}", topic, batch_handlers={Pinged.event_type: record_batch})
        bus = await self.make_bus([sub], [topic])
        try:
            await bus.publish_many([(topic, ping(seq)) for seq in range(40)])  # type: ignore[attr-defined]
            await wait_for(lambda: sum(len(b) for b in batches) >= 40)
            assert [seq for batch in batches for seq in batch] == list(range(40))
        finally:
            await bus.stop()

    async def test_a_poison_event_in_a_batch_is_dead_lettered_alone(self, topic: str) -> None:
        stored: list[int] = []

        async def store_batch(items: Any) -> None:
            if any(event.sequence == 3 for _, event in items):
                raise RuntimeError("sequence 3 cannot be stored")
            stored.extend(event.sequence for _, event in items)

        sub = Subscription(f"g-{topic}", topic, batch_handlers={Pinged.event_type: store_batch})
        bus = await self.make_bus([sub], [topic])
        try:
            await bus.publish_many([(topic, ping(seq)) for seq in range(8)])  # type: ignore[attr-defined]
            await wait_for(lambda: len(stored) >= 7)
            assert stored == [0, 1, 2, 4, 5, 6, 7]
            dead = await self.dead_letters(bus, topic, expected=1)
            assert [d["guanwu-dlq-reason"] for d in dead] == ["handler-failed"]
            assert "sequence 3" in str(dead[0]["guanwu-dlq-detail"])
        finally:
            await bus.stop()

    async def test_unknown_event_types_are_skipped(self, topic: str, received: list[Any]) -> None:
        sub = Subscription(f"g-{topic}", topic, {Pinged.event_type: self.recorder(received)})
        bus = await self.make_bus([sub], [topic])
        try:
            unknown = ping(0).model_copy(update={"type": "guanwu.other.SomethingNew.v1"})
            await self.publish_raw(bus, topic, b"p-1", unknown.to_json_bytes())
            await bus.publish(topic, ping(1))
            await wait_for(lambda: len(received) >= 1)
            assert [e.sequence for _, e in received] == [1]
            assert await self.dead_letters(bus, topic, expected=0) == []
        finally:
            await bus.stop()

    async def test_known_types_a_group_does_not_handle_are_counted_apart_from_unknown_types(
        self, topic: str, received: list[Any]
    ) -> None:
        group = f"g-{topic}"
        bus = await self.make_bus(
            [Subscription(group, topic, {Pinged.event_type: self.recorder(received)})], [topic]
        )
        try:
            unknown = ping(0).model_copy(update={"type": "guanwu.other.SomethingNew.v1"})
            await self.publish_raw(bus, topic, b"p-1", unknown.to_json_bytes())
            for _ in range(2):
                await bus.publish(topic, envelope_for(Ponged(ping_id="p-1"), source="/test", tenant="t1")[1])
            await bus.publish(topic, ping(1))
            await wait_for(lambda: len(received) >= 1)
            assert consumed(topic, group, "skipped_unknown_type") == 1
            assert consumed(topic, group, "skipped_not_handled") == 2
            assert consumed(topic, group, "handled") == 1
        finally:
            await bus.stop()
