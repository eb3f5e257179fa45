"""An embedded guanwu (all services, in-process bus, SQLite) driven through its HTTP API in-process."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any, TypeVar

import httpx
from watching import QUIET_SECONDS, OwnActivity

from guanwu.cli.embedded import EmbeddedSystem, build_embedded
from guanwu.platform.store.sqlite import SqliteDocumentStore

SECRET = "test-secret-" + "x" * 40
T = TypeVar("T")


@contextlib.asynccontextmanager
async def running_embedded(
    data_dir: Path, tenants: list[str], *, with_signer: bool = False, simulator: bool = True
) -> AsyncIterator[tuple[EmbeddedSystem, httpx.AsyncClient]]:
    """`with_signer` adds the card signer with a soft token in `data_dir`, as `guanwu up` runs it;
    `simulator` serves the Single Window simulator under /sim, as `make run` (`guanwu up --simulator`) does."""
    system = build_embedded(
        SqliteDocumentStore(data_dir),
        SECRET,
        tenants=tenants,
        poll_interval_seconds=0.05,
        data_dir=data_dir if with_signer else None,
        simulator=simulator,
    )
    async with system.app.router.lifespan_context(system.app):
        transport = httpx.ASGITransport(app=system.app)
        async with httpx.AsyncClient(transport=transport, base_url="http://guanwu") as client:
            yield system, client


def bearer(
    system: EmbeddedSystem,
    tenant: str,
    roles: tuple[str, ...] = ("preparer", "reviewer"),
    user: str = "tester",
) -> dict[str, str]:
    return {"Authorization": f"Bearer {system.issuer.issue(user, tenant, list(roles))}"}


async def eventually(
    probe: Callable[[], Awaitable[T | None]], quiet_seconds: float = QUIET_SECONDS, interval: float = 0.05
) -> T:
    """Poll until the probe returns something truthy, for as long as something moves (this process works, or
    the probe's answer changes); fail with the last answer after `quiet_seconds` without movement."""
    working = OwnActivity()
    last: Any = await probe()
    seen, since = (working(), repr(last)), time.monotonic()
    while not last:
        await asyncio.sleep(interval)
        last = await probe()
        now, sign = time.monotonic(), (working(), repr(last))
        if sign != seen:
            seen, since = sign, now
        elif now - since > quiet_seconds:
            raise AssertionError(f"nothing moved for {quiet_seconds:g} s (last probe: {last!r})")
    return last
