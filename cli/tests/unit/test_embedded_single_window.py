"""Embedded guanwu serves the Single Window simulator only when asked; otherwise sync uses the Single Window it
is given, or none."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import httpx
from embedded_system import SECRET, bearer, running_embedded
from fastapi import FastAPI

from guanwu.cli.embedded import build_embedded
from guanwu.platform.store.sqlite import SqliteDocumentStore
from guanwu.singlewindow_sim.app import ReceiptIn, SingleWindowState
from guanwu.singlewindow_sim.app import build_router as simulator_router

RECEIPT = {"enterprise": "acme", "entry_id": "610120260000012345", "channel": "D", "note": "企业申请删单"}


async def test_without_the_simulator_nobody_posts_receipts(tmp_path: Path) -> None:
    async with running_embedded(tmp_path, ["acme"], simulator=False) as (system, client):
        assert (await client.post("/sim/receipts", json=RECEIPT)).status_code == 404
        paths = (await client.get("/openapi.json")).json()["paths"]
        assert not [p for p in paths if p.startswith("/sim")]
        assert system.simulator is None


class CountingLine(httpx.AsyncBaseTransport):
    def __init__(self, inner: httpx.AsyncBaseTransport) -> None:
        self.inner, self.requests = inner, 0

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.requests += 1
        return await self.inner.handle_async_request(request)


async def test_sync_polls_the_single_window_it_is_given(tmp_path: Path) -> None:
    upstream = SingleWindowState()  # e.g. a simulator run alone, or the real one
    upstream_app = FastAPI()
    upstream_app.include_router(simulator_router(upstream))
    line = CountingLine(httpx.ASGITransport(app=upstream_app))
    system = build_embedded(
        SqliteDocumentStore(tmp_path),
        SECRET,
        tenants=["acme"],
        poll_interval_seconds=0.01,
        single_window_url="http://single-window",
        single_window_transport=line,
    )
    transport = httpx.ASGITransport(app=system.app)
    async with (
        system.app.router.lifespan_context(system.app),
        httpx.AsyncClient(transport=transport, base_url="http://guanwu") as client,
    ):
        await upstream.add(ReceiptIn.model_validate(RECEIPT))
        seen, since = line.requests, time.monotonic()
        while line.requests < seen + 3:  # the receipt was read at the latest in the second poll after it
            await asyncio.sleep(0.01)
            assert time.monotonic() - since < 20, "sync stopped polling"
        assert system.runtime.relay is not None
        await system.runtime.relay.drain()
        anomalies = (await client.get("/api/anomaly/anomalies", headers=bearer(system, "acme"))).json()
        assert [a["anomaly_type"] for a in anomalies["items"]] == ["删单"]
        assert (await client.post("/sim/receipts", json=RECEIPT)).status_code == 404
