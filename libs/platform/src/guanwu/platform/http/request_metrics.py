"""The request-duration histogram of every service's HTTP API, as a plain ASGI middleware.

Why not `@app.middleware("http")`: Starlette's BaseHTTPMiddleware runs the route in a task of its own and
hands the response through a memory stream, a cost on every request; this one only watches `send`. The time
observed runs until the response's last byte was handed on, so a streamed export counts whole.
"""

from __future__ import annotations

import time

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from guanwu.platform import metrics


class RequestMetrics:
    def __init__(self, app: ASGIApp, service_label: str) -> None:
        self.app = app
        self.service_label = service_label

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500  # what the client gets when the app fails before answering

        async def observed(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        try:
            await self.app(scope, receive, observed)
        finally:
            # The router wrote the matched route into this very scope (its template, never the raw path).
            template = getattr(scope.get("route"), "path", "unmatched")
            metrics.HTTP_REQUEST_DURATION.labels(
                self.service_label, scope["method"], template, f"{status // 100}xx"
            ).observe(time.perf_counter() - started)
