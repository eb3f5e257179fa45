"""Reading metrics in tests, and a store that shows when a background count ran.

Importable from every test tree (libs/platform/tests is on the pytest pythonpath). The registry is the test
process's: compare a sample before and after, or use series no other test touches."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
from prometheus_client import REGISTRY
from service_http import ISSUER, PartsBuilder

from guanwu.platform.bus.inprocess import InProcessEventBus
from guanwu.platform.runtime import Runtime, create_app
from guanwu.platform.store.memory import MemoryCollection, MemoryDocumentStore
from guanwu.platform.store.port import Filter


def sample(name: str, **labels: str) -> float:
    """The sample's value, 0 when it does not exist."""
    return REGISTRY.get_sample_value(name, labels) or 0.0


class CountedStore(MemoryDocumentStore):
    """A memory store that counts the `count` queries made on any of its collections."""

    def __init__(self) -> None:
        super().__init__()
        self.counts = 0

    def collection(self, name: str) -> MemoryCollection:
        if name not in self._collections:
            self._collections[name] = _CountedCollection(name, self)
        return self._collections[name]


class _CountedCollection(MemoryCollection):
    def __init__(self, name: str, store: CountedStore) -> None:
        super().__init__(name)
        self._store = store

    async def count(self, filter: Filter) -> int:
        self._store.counts += 1
        return await super().count(filter)


async def after_a_whole_count(store: CountedStore, queries_per_run: int, quiet_seconds: float = 30.0) -> None:
    """Return once a whole background count began and ended after this call (twice its queries have run);
    fail when no count query ran for `quiet_seconds` (the loop is not running), never on a total deadline."""
    loop = asyncio.get_running_loop()
    target = store.counts + 2 * queries_per_run
    seen, since = store.counts, loop.time()
    while store.counts < target:
        await asyncio.sleep(0.005)
        if store.counts != seen:
            seen, since = store.counts, loop.time()
        assert loop.time() - since < quiet_seconds, f"no count query for {quiet_seconds:g} s"


@asynccontextmanager
async def serving_on(
    store: MemoryDocumentStore, build: PartsBuilder, name: str
) -> AsyncIterator[tuple[httpx.AsyncClient, Runtime]]:
    """`service_http.serving`, on the given store."""
    runtime = Runtime(store, InProcessEventBus(), relay_sweep_seconds=0.05)
    runtime.register(build(store, runtime.outbox_written))
    app = create_app(runtime, ISSUER, title=name, service_label=name)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://svc") as client,
    ):
        yield client, runtime
