"""The simulator run alone answers the same liveness and readiness probes as every guanwu process."""

from __future__ import annotations

import httpx

from guanwu.singlewindow_sim.app import create_app


async def test_healthz_and_readyz() -> None:
    transport = httpx.ASGITransport(app=create_app())
    async with httpx.AsyncClient(transport=transport, base_url="http://sim") as client:
        health, readiness = await client.get("/healthz"), await client.get("/readyz")
    assert (health.status_code, health.json()) == (200, {"status": "ok"})
    assert readiness.status_code == 200 and readiness.json()["ready"] is True
