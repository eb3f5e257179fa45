"""The Kafka adapter passes the bus contract against the real broker."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import pytest
from aiokafka import AIOKafkaConsumer
from contract.bus_contract import TEST_REGISTRY, BusContract

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
        consumer = AIOKafkaConsumer(
            f"{topic}.dlq",
            bootstrap_servers=self.bootstrap,
            group_id=None,
            auto_offset_reset="earliest",
            enable_auto_commit=False,
        )
        await consumer.start()
        records: list[dict[str, Any]] = []
        try:
            # Read for a bounded time: when `expected` records arrived (or the window closed).
            async with asyncio.timeout(30 if expected else 3):
                while len(records) < max(expected, 1):
                    batch = await consumer.getmany(timeout_ms=500)
                    for messages in batch.values():
                        for message in messages:
                            headers = {k: v.decode() for k, v in message.headers}
                            records.append({"value": message.value, **headers})
        except TimeoutError:
            pass
        finally:
            await consumer.stop()
        return records
