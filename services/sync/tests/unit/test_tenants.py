"""Sync follows the receipts of every tenant that declares through guanwu, not only the configured ones: a
new enterprise needs no restart, and stays followed after one."""

from __future__ import annotations

import asyncio
import time

from guanwu.contracts import topics
from guanwu.contracts.events import ReceiptReceived
from guanwu.singlewindow_sim.app import ReceiptIn

from .conftest import Store, SyncService, running_sync

QUIET_SECONDS = 20.0


async def rounds(sync: SyncService, more: int, first: str = "acme") -> None:
    """Wait for `more` more poll rounds (the first configured tenant is asked once a round); fail once the
    poller stopped polling."""
    wanted = sync.line.polled.count(first) + more
    seen, since = len(sync.line.polled), time.monotonic()
    while sync.line.polled.count(first) < wanted:
        await asyncio.sleep(0.01)
        if len(sync.line.polled) != seen:
            seen, since = len(sync.line.polled), time.monotonic()
        assert time.monotonic() - since < QUIET_SECONDS, f"the poller stopped: {sync.line.polled[-5:]}"


async def received_by(sync: SyncService, tenant: str) -> list[str]:
    assert sync.runtime.relay is not None
    await sync.runtime.relay.drain()
    return [
        ReceiptReceived.model_validate(env.data).channel
        for topic, env in sync.bus.published
        if topic == topics.SYNC_EVENTS and env.type == ReceiptReceived.event_type and env.tenant == tenant
    ]


async def test_a_tenant_that_declares_is_polled_from_then_on_and_after_a_restart() -> None:
    store = Store()
    async with running_sync(tenants=["acme"], poll_interval_seconds=0.01, store=store) as sync:
        await sync.simulator.add(ReceiptIn(enterprise="newco", entry_id="610120260000012345", channel="P"))
        await rounds(sync, 2)
        assert "newco" not in sync.line.polled  # neither configured nor known yet

        await sync.declare_requested(tenant="newco")
        await rounds(sync, 2)  # a whole round after the event was kept
        assert "newco" in sync.line.polled
        assert await received_by(sync, "newco") == ["P"]

    async with running_sync(tenants=["acme"], poll_interval_seconds=0.01, store=store) as restarted:
        await rounds(restarted, 2)
        assert "newco" in restarted.line.polled  # remembered in the store, not only in memory


async def test_configured_tenants_come_first_and_each_tenant_is_polled_once_a_round() -> None:
    async with running_sync(tenants=["acme", "beta"], poll_interval_seconds=0.01) as sync:
        await sync.declare_requested(tenant="acme")  # known twice: configured and declared
        await sync.declare_requested("req-2", tenant="gamma")
        await rounds(sync, 3)
        text = " ".join(sync.line.polled)
        [*_, last_whole_round, _] = text.split("acme")  # rounds start with the first configured tenant
        assert "acme" + last_whole_round == "acme beta gamma "
