"""The request-duration histogram: one observation per request, labelled by the route's template (never the
raw path), the method and the status class; a failing route counts as 5xx, an unknown path as unmatched."""

from __future__ import annotations

import uuid

import httpx
from fastapi import FastAPI
from fastapi.responses import StreamingResponse
from prometheus_client import REGISTRY

from guanwu.platform.http.request_metrics import RequestMetrics


def count(service: str, method: str, route: str, status: str) -> float:
    labels = {"service": service, "method": method, "route": route, "status": status}
    return REGISTRY.get_sample_value("guanwu_http_request_duration_seconds_count", labels) or 0.0


def app_for(service: str) -> FastAPI:
    app = FastAPI()

    @app.post("/items/{item_id}", status_code=201)
    async def create(item_id: str) -> dict[str, str]:
        return {"id": item_id}

    @app.get("/boom")
    async def boom() -> None:
        raise RuntimeError("broken")

    @app.get("/stream")
    async def stream() -> StreamingResponse:
        async def chunks():  # type: ignore[no-untyped-def]
            for _ in range(3):
                yield b"x" * 10

        return StreamingResponse(chunks())

    app.add_middleware(RequestMetrics, service_label=service)
    return app


async def test_each_request_is_observed_once_by_route_template_method_and_status_class() -> None:
    service = f"svc-{uuid.uuid4().hex[:8]}"  # the registry is the process's: series of this test only
    transport = httpx.ASGITransport(app=app_for(service), raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        assert (await client.post("/items/a1")).status_code == 201
        assert (await client.post("/items/b2")).status_code == 201
        assert (await client.get("/boom")).status_code == 500
        assert (await client.get("/nowhere")).status_code == 404
        assert (await client.get("/stream")).content == b"x" * 30
    assert count(service, "POST", "/items/{item_id}", "2xx") == 2
    assert count(service, "GET", "/boom", "5xx") == 1
    assert count(service, "GET", "unmatched", "4xx") == 1
    assert count(service, "GET", "/stream", "2xx") == 1
