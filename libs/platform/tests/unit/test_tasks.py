"""A process stops even when one of its background loops missed a cancellation."""

from __future__ import annotations

import asyncio

from guanwu.platform.bus.inprocess import InProcessEventBus
from guanwu.platform.runtime import Runtime, ServiceParts
from guanwu.platform.store.memory import MemoryDocumentStore


async def test_the_runtime_stops_a_background_loop_that_swallowed_its_first_cancellation() -> None:
    swallowed = []

    async def loop_that_misses_one_cancel() -> None:
        # What asyncio.wait_for does on Python 3.11 when the cancel meets a completing call.
        while True:
            try:
                await asyncio.sleep(0.01)
            except asyncio.CancelledError:
                if swallowed:
                    raise
                swallowed.append(True)

    runtime = Runtime(MemoryDocumentStore(), InProcessEventBus())
    runtime.register(ServiceParts(name="t", background=[loop_that_misses_one_cancel]))
    await runtime.start()
    await asyncio.sleep(0.05)
    await runtime.stop()  # hung for ever before (pytest-timeout ends the test then)
    assert swallowed == [True]
