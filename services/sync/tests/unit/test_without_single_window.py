"""Sync with no Single Window configured (guanwu up without --simulator or --single-window-url): requests are
kept and shown as waiting, nothing is sent, retried, dead-lettered or polled."""

from __future__ import annotations

from .conftest import SyncService, auth, running_sync


async def test_a_signed_request_is_kept_unsent_and_says_why() -> None:
    async with running_sync(tenants=["acme"], poll_interval_seconds=0.01, connected=False) as sync:
        await sync.declare_requested()
        await sync.signed()
        record = await sync.record()
        assert record["state"] == "ready" and "seq_no" not in record
        assert "Single Window" in record["last_error"]["message"]
        assert await sync.submitted() == [] and await sync.submit_failures() == []
        assert sync.bus.dead_letters == []
        body = (await sync.client.get("/api/sync/declarations/d1", headers=auth())).json()
        assert body["state"] == "ready"
        assert sync.line.polled == [] and sync.line.declared == []


async def test_with_a_single_window_it_is_sent(sync: SyncService) -> None:
    await sync.declare_requested()
    await sync.signed()
    assert (await sync.record())["state"] == "sent"
