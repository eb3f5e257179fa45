"""A consumer stuck on one message shows in /readyz, on a clock the test moves (no waiting on real time)."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
from contract.bus_contract import TEST_REGISTRY, Pinged, ping

from guanwu.contracts.envelope import Envelope
from guanwu.contracts.events.base import Event
from guanwu.platform.auth import LocalTokenIssuer
from guanwu.platform.bus.dispatch import ConsumerHealth
from guanwu.platform.bus.inprocess import InProcessEventBus
from guanwu.platform.bus.port import Subscription
from guanwu.platform.runtime import Runtime, ServiceParts, create_app
from guanwu.platform.store.memory import MemoryDocumentStore

TOPIC = "contract-test.events.v1"


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


async def test_a_consumer_that_holds_one_message_past_the_limit_makes_the_process_unready() -> None:
    clock = FakeClock()
    release = asyncio.Event()
    entered = asyncio.Event()

    async def stuck(envelope: Envelope, event: Event) -> None:
        entered.set()
        await release.wait()

    bus = InProcessEventBus(registry=TEST_REGISTRY, health=ConsumerHealth(stall_seconds=60, clock=clock))
    runtime = Runtime(MemoryDocumentStore(), bus)
    runtime.register(
        ServiceParts(name="t", subscriptions=[Subscription("g-stuck", TOPIC, {Pinged.event_type: stuck})])
    )
    app = create_app(runtime, LocalTokenIssuer("s" * 40), title="t", service_label="t", manage_runtime=False)
    await runtime.start()
    try:
        delivery = asyncio.create_task(bus.publish(TOPIC, ping(1)))
        await entered.wait()
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as client:
            clock.now += 59
            assert (await client.get("/readyz")).status_code == 200
            clock.now += 2
            answer = await client.get("/readyz")
            assert answer.status_code == 503
            body: dict[str, Any] = answer.json()
            assert body["checks"]["consumers"] is False
            assert body["stalled_consumers"] == [{"group": "g-stuck", "topic": TOPIC, "busy_seconds": 61.0}]
            release.set()
            await delivery
            assert (await client.get("/readyz")).status_code == 200
    finally:
        await runtime.stop()


def test_a_consumer_waiting_for_messages_is_not_stalled() -> None:
    clock = FakeClock()
    health = ConsumerHealth(stall_seconds=1, clock=clock)
    progress = health.track("g", "t")
    clock.now += 3600
    assert health.stalled() == []
    progress.started()
    progress.done()
    clock.now += 3600
    assert health.stalled() == [] and progress.finished == 1
