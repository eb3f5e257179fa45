"""The in-process bus passes the bus contract."""

from __future__ import annotations

from typing import Any

from contract.bus_contract import TEST_REGISTRY, BusContract

from guanwu.platform.bus.dispatch import RetryPolicy
from guanwu.platform.bus.inprocess import InProcessEventBus
from guanwu.platform.bus.port import EventBus, Subscription


class TestInProcessBus(BusContract):
    async def make_bus(self, subscriptions: list[Subscription], topics: list[str]) -> EventBus:
        bus = InProcessEventBus(retry=RetryPolicy(first_delay_seconds=0.001), registry=TEST_REGISTRY)
        for sub in subscriptions:
            bus.subscribe(sub)
        await bus.start()
        return bus

    async def dead_letters(self, bus: EventBus, topic: str, expected: int) -> list[dict[str, Any]]:
        assert isinstance(bus, InProcessEventBus)
        return [record for t, record in bus.dead_letters if t == f"{topic}.dlq"]


async def test_the_bus_remembers_only_its_last_published_events() -> None:
    from contract.bus_contract import ping

    bus = InProcessEventBus(registry=TEST_REGISTRY, published_memory=10)
    for seq in range(35):
        await bus.publish("t", ping(seq))
    assert 10 <= len(bus.published) <= 20
    assert bus.published[-1][1].data["sequence"] == 34


async def test_a_bus_told_to_remember_nothing_keeps_nothing() -> None:
    from contract.bus_contract import ping

    bus = InProcessEventBus(registry=TEST_REGISTRY, published_memory=0)
    for seq in range(5):
        await bus.publish("t", ping(seq))
    assert bus.published == []
