"""The Kafka adapter passes the bus contract against the real broker."""

from __future__ import annotations

import asyncio
import hashlib
import json
import uuid
from typing import Any

import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.errors import KafkaError
from contract.bus_contract import TEST_REGISTRY, BusContract, Pinged, ping
from prometheus_client import REGISTRY as METRICS

from guanwu.contracts.envelope import Envelope
from guanwu.contracts.events.base import Event
from guanwu.platform.bus.dispatch import RetryPolicy
from guanwu.platform.bus.kafka import KafkaEventBus
from guanwu.platform.bus.port import EventBus, Subscription


class TestKafkaBus(BusContract):
    @pytest.fixture(autouse=True)
    def _bootstrap(self, kafka_bootstrap: str) -> None:
        self.bootstrap = kafka_bootstrap

    async def make_bus(self, subscriptions: list[Subscription], topics: list[str]) -> EventBus:
        bus = KafkaEventBus(
            self.bootstrap,
            client_id=f"contract-{uuid.uuid4().hex[:6]}",
            topic_partitions=1,
            retry=RetryPolicy(first_delay_seconds=0.01),
            registry=TEST_REGISTRY,
        )
        bus.declare_topics(topics)
        for sub in subscriptions:
            bus.subscribe(sub)
        await bus.start()
        return bus

    async def dead_letters(self, bus: EventBus, topic: str, expected: int) -> list[dict[str, Any]]:
        return await self.dead_letters_of(self.bootstrap, topic, expected)

    @staticmethod
    async def dead_letters_of(bootstrap: str, topic: str, expected: int) -> list[dict[str, Any]]:
        consumer = AIOKafkaConsumer(
            f"{topic}.dlq",
            bootstrap_servers=bootstrap,
            group_id=None,
            auto_offset_reset="earliest",
            enable_auto_commit=False,
        )
        await consumer.start()
        records: list[dict[str, Any]] = []
        loop = asyncio.get_running_loop()
        # Read until `expected` records arrived, or until none has come for a quiet period (a short one when
        # none is expected: that only checks that nothing shows up).
        quiet_seconds = 60.0 if expected else 3.0
        moved_at = loop.time()
        try:
            while len(records) < max(expected, 1) and loop.time() - moved_at < quiet_seconds:
                batch = await consumer.getmany(timeout_ms=500)
                for messages in batch.values():
                    for message in messages:
                        headers = {k: v.decode() for k, v in message.headers}
                        records.append({"value": message.value, **headers})
                        moved_at = loop.time()
        finally:
            await consumer.stop()
        return records


OVERSIZED_BYTES = 1_048_300  # accepted by the broker (default limit 1,048,588); its dead-letter copy is not


async def _produce_large(bootstrap: str, topic: str, key: bytes, value: bytes) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, max_request_size=2 * 1024 * 1024)
    await producer.start()
    try:
        await producer.send_and_wait(topic, value, key=key)
    finally:
        await producer.stop()


def _oversized_invalid_envelope() -> bytes:
    bad = ping(1).model_copy(update={"data": {"ping_id": "p-1", "sequence": "not a number", "pad": ""}})
    filler = OVERSIZED_BYTES - len(bad.to_json_bytes())
    padded = bad.model_copy(update={"data": {**bad.data, "pad": "x" * filler}})
    return padded.to_json_bytes()


async def _wait_while_moving(probe: Any, done: Any, quiet_seconds: float = 30.0) -> None:
    """Wait until `done(probe())`; fail once `probe()` has not changed for `quiet_seconds`."""
    loop = asyncio.get_running_loop()
    last, since = probe(), loop.time()
    while not done(last):
        await asyncio.sleep(0.1)
        current = probe()
        if current != last:
            last, since = current, loop.time()
        elif loop.time() - since > quiet_seconds:
            raise AssertionError(f"nothing moved for {quiet_seconds} s (last seen: {last!r})")


def _pinged_bus(
    bootstrap: str,
    topic: str,
    group: str,
    into: list[int],
    bus_class: type[KafkaEventBus] = KafkaEventBus,
    **options: Any,
) -> KafkaEventBus:
    """A bus (not started) whose `group` records the sequence of every Pinged on `topic` in `into`."""

    async def record(envelope: Envelope, event: Event) -> None:
        assert isinstance(event, Pinged)
        into.append(event.sequence)

    options = {"topic_partitions": 1, **options}
    bus = bus_class(bootstrap, client_id=group, registry=TEST_REGISTRY, **options)
    bus.declare_topics([topic])
    bus.subscribe(Subscription(group, topic, {Pinged.event_type: record}))
    return bus


async def test_an_oversized_poison_message_is_dead_lettered_as_a_reference_and_the_consumer_moves_on(
    kafka_bootstrap: str,
) -> None:
    topic = f"oversized-{uuid.uuid4().hex[:10]}.events.v1"
    received: list[int] = []
    bus = _pinged_bus(kafka_bootstrap, topic, f"g-{topic}", received)
    await bus.start()
    try:
        original = _oversized_invalid_envelope()
        assert len(original) == OVERSIZED_BYTES
        await _produce_large(kafka_bootstrap, topic, b"p-1", original)
        await bus.publish(topic, ping(2))
        await _wait_while_moving(lambda: len(received), lambda n: n >= 1)
        assert received == [2]
        assert bus.stalled_consumers() == []
    finally:
        await bus.stop()
    [dead] = await TestKafkaBus.dead_letters_of(kafka_bootstrap, topic, expected=1)
    assert dead["guanwu-dlq-reason"] == "invalid-payload"
    assert dead["guanwu-dlq-trimmed"] == "true"
    assert dead["guanwu-dlq-original-bytes"] == str(OVERSIZED_BYTES)
    assert dead["guanwu-dlq-original-sha256"] == hashlib.sha256(original).hexdigest()
    assert (dead["guanwu-dlq-source-partition"], dead["guanwu-dlq-source-offset"]) == ("0", "0")
    reference = json.loads(dead["value"])
    assert reference["original_bytes"] == OVERSIZED_BYTES
    assert reference["original_head"] == original[:4096].decode()


class _BrokenDeadLetterTopic(KafkaEventBus):
    """A bus whose dead-letter topic refuses every write (a broker that lost it, an ACL, a full disk)."""

    async def publish_raw(
        self, topic: str, key: bytes | None, value: bytes, headers: dict[str, str] | None = None
    ) -> None:
        if topic.endswith(".dlq"):
            raise KafkaError("dead-letter topic unavailable")
        await super().publish_raw(topic, key, value, headers)


async def test_a_consumer_that_cannot_dead_letter_keeps_the_message_counts_it_and_still_stops(
    kafka_bootstrap: str,
) -> None:
    topic = f"dlq-down-{uuid.uuid4().hex[:10]}.events.v1"
    group = f"g-{topic}"

    def failures() -> float:
        labels = {"topic": f"{topic}.dlq"}
        return METRICS.get_sample_value("guanwu_bus_dead_letter_failures_total", labels) or 0.0

    broken = _pinged_bus(kafka_bootstrap, topic, group, [], _BrokenDeadLetterTopic)
    await broken.start()
    try:
        await broken.publish_raw(topic, b"k", b"not json")
        await _wait_while_moving(failures, lambda n: n >= 3)
    finally:
        await broken.stop()  # returns although the dead-letter write never succeeded

    # The message was not acknowledged: the next process of the group takes it again and dead-letters it.
    healthy = _pinged_bus(kafka_bootstrap, topic, group, [])
    await healthy.start()
    try:
        dead = await TestKafkaBus.dead_letters_of(kafka_bootstrap, topic, expected=1)
    finally:
        await healthy.stop()
    assert [d["value"] for d in dead] == [b"not json"]
    assert dead[0]["guanwu-dlq-reason"] == "invalid-envelope"


async def test_two_deployments_with_their_own_group_prefix_each_receive_every_message(
    kafka_bootstrap: str,
) -> None:
    topic = f"prefix-{uuid.uuid4().hex[:10]}.events.v1"
    seen: dict[str, list[int]] = {"blue": [], "green": []}
    buses = [
        _pinged_bus(kafka_bootstrap, topic, "same.group", into, topic_partitions=3, group_prefix=deployment)
        for deployment, into in seen.items()
    ]
    try:
        for bus in buses:
            await bus.start()
        for n in range(20):
            await buses[0].publish(topic, ping(n, ping_id=f"p-{n}"))
        total = lambda: len(seen["blue"]) + len(seen["green"])  # noqa: E731
        await _wait_while_moving(total, lambda n: n >= 40)
    finally:
        for bus in buses:
            await bus.stop()
    assert sorted(seen["blue"]) == sorted(seen["green"]) == list(range(20))
    assert buses[0].group_id("same.group") == "blue.same.group"
    # Lag is labelled with the subscription's group, like the other consumer metrics, not the broker's id.
    lag = [
        METRICS.get_sample_value(
            "guanwu_bus_consumer_lag_messages", {"topic": topic, "group": group, "partition": str(p)}
        )
        for group in ("same.group", "blue.same.group")
        for p in range(3)
    ]
    assert any(value is not None for value in lag[:3]) and lag[3:] == [None, None, None]


async def test_consuming_leaves_nothing_in_the_working_folder(
    kafka_bootstrap: str, tmp_path: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    # faust wrote a `<group>-data/` folder into the working folder of every consuming process.
    monkeypatch.chdir(tmp_path)
    topic = f"cwd-{uuid.uuid4().hex[:10]}.events.v1"
    received: list[int] = []
    bus = _pinged_bus(kafka_bootstrap, topic, "cwd.group", received)
    await bus.start()
    try:
        await bus.publish(topic, ping(1))
        await _wait_while_moving(lambda: len(received), lambda n: n >= 1)
    finally:
        await bus.stop()
    assert list(tmp_path.iterdir()) == []


async def test_a_backlog_reaches_a_batch_handler_in_batches(kafka_bootstrap: str) -> None:
    topic = f"batch-{uuid.uuid4().hex[:10]}.events.v1"
    producer = _pinged_bus(kafka_bootstrap, topic, "batch.producer", [])
    await producer.start()
    try:
        await producer.publish_many([(topic, ping(n)) for n in range(100)])
    finally:
        await producer.stop()

    batches: list[list[int]] = []

    async def record_batch(items: Any) -> None:
        batches.append([event.sequence for _, event in items])

    consumer = KafkaEventBus(kafka_bootstrap, client_id="batch.consumer", registry=TEST_REGISTRY)
    consumer.subscribe(
        Subscription("batch.consumer", topic, batch_handlers={Pinged.event_type: record_batch})
    )
    await consumer.start()
    try:
        await _wait_while_moving(lambda: sum(map(len, batches)), lambda n: n >= 100)
    finally:
        await consumer.stop()
    assert [n for batch in batches for n in batch] == list(range(100))
    assert len(batches) < 100 and max(map(len, batches)) > 1  # what one poll brought went in together
