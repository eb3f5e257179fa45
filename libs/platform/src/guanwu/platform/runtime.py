"""Composition of one process: a store, a bus, an outbox relay, and the parts of one or more services.

The embedded default registers every service in one Runtime (in-process bus, SQLite); the distributed
runtime registers one service per process (Kafka, MongoDB). Services do not know which.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import structlog
from fastapi import APIRouter, FastAPI, Response
from fastapi.responses import JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from guanwu.platform import metrics
from guanwu.platform.auth import TokenVerifier
from guanwu.platform.bus.port import EventBus, Subscription
from guanwu.platform.http.errors import install_error_handlers
from guanwu.platform.http.limits import BodySizeLimit, UploadRoute
from guanwu.platform.http.request_checks import install_request_checks
from guanwu.platform.http.request_metrics import RequestMetrics
from guanwu.platform.outbox import OutboxRelay
from guanwu.platform.store.port import Collection, Document, DocumentStore
from guanwu.platform.tasks import cancel_and_wait

log = structlog.get_logger(__name__)

Hook = Callable[[], Awaitable[None]]
BackgroundTask = Callable[[], Awaitable[None]]


@dataclass
class ServiceParts:
    """What a service contributes to a process. Built by the service's bootstrap."""

    name: str
    routers: Sequence[APIRouter] = ()
    subscriptions: Sequence[Subscription] = ()
    outbox_collections: Sequence[Collection] = ()
    publishes_to: Sequence[str] = ()
    on_start: Sequence[Hook] = ()
    background: Sequence[BackgroundTask] = ()
    tags: Sequence[dict[str, Any]] = field(default_factory=list)
    uploads: Sequence[UploadRoute] = ()
    """Routes that take files above the process's default body limit (they enforce their own limits)."""
    context: object = None
    """What the service's module-level routes depend on (its unit-of-work factory, ports, clock), bound by its
    bootstrap; routes reach it through `guanwu.platform.http.context.service_context(name)`."""


class Runtime:
    def __init__(
        self,
        store: DocumentStore,
        bus: EventBus,
        *,
        relay_sweep_seconds: float = 5.0,
        readiness_refresh_seconds: float = 5.0,
        service_label: str | None = None,
    ) -> None:
        self.store = store
        self.bus = bus
        self.services: list[ServiceParts] = []
        self._relay_sweep = relay_sweep_seconds
        self._readiness_refresh = readiness_refresh_seconds
        self.service_label = service_label
        """The `service` label of this process's series (`create_app` sets it); by default the one service's
        name, or `embedded` for several."""
        self.relay: OutboxRelay | None = None
        self._tasks: list[asyncio.Task[None]] = []

    def register(self, parts: ServiceParts) -> None:
        self.services.append(parts)

    def outbox_written(
        self, collection: str | None = None, doc_id: str | None = None, written: Document | None = None
    ) -> None:
        """Services call this after a write that carries events, so the relay publishes at once.
        Naming the document lets the relay read just it instead of sweeping the collection; handing over
        the document as written spares that read (see `OutboxRelay.kick`)."""
        if self.relay is not None:
            self.relay.kick(collection, doc_id, written)

    @property
    def label(self) -> str:
        if self.service_label is not None:
            return self.service_label
        return self.services[0].name if len(self.services) == 1 else "embedded"

    async def start(self) -> None:
        metrics.PROCESS_READY.labels(self.label).set(0)  # the series exists from start: not ready yet
        for parts in self.services:
            for hook in parts.on_start:
                await hook()
            for subscription in parts.subscriptions:
                self.bus.subscribe(subscription)
        published = [t for parts in self.services for t in parts.publishes_to]
        for topic in published:
            metrics.start_publisher_series(topic)
        declare = getattr(self.bus, "declare_topics", None)
        if declare is not None:
            declare(published)
        await self.bus.start()
        collections = [c for parts in self.services for c in parts.outbox_collections]
        self.relay = OutboxRelay(self.bus, collections, sweep_interval_seconds=self._relay_sweep)
        await self.relay.start()
        for parts in self.services:
            for task in parts.background:
                self._tasks.append(asyncio.create_task(_supervised(task), name=f"{parts.name}-background"))
        # Refreshed without any probe asking, so Prometheus sees readiness flapping between its scrapes.
        watch = every(self._readiness_refresh, self._check_readiness, what="readiness")
        self._tasks.append(asyncio.create_task(_supervised(watch), name="readiness"))
        log.info("runtime started", services=[p.name for p in self.services])

    async def stop(self) -> None:
        await cancel_and_wait(self._tasks)
        self._tasks.clear()
        if self.relay is not None:
            await self.relay.stop()
        await self.bus.stop()
        await self.store.close()

    async def readiness(self) -> dict[str, bool]:
        """The checks of /readyz; `guanwu_process_ready` follows every answer."""
        store_ok, bus_ok = await asyncio.gather(self.store.ping(), self.bus.ping())
        checks = {"store": store_ok, "bus": bus_ok, "consumers": not self.bus.stalled_consumers()}
        metrics.PROCESS_READY.labels(self.label).set(1 if all(checks.values()) else 0)
        return checks

    async def _check_readiness(self) -> None:
        """One refresh of `guanwu_process_ready`: a check that raises counts as not ready."""
        try:
            await self.readiness()
        except Exception:
            metrics.PROCESS_READY.labels(self.label).set(0)
            raise


def every(seconds: float, action: Hook, *, what: str) -> BackgroundTask:
    """A background loop that runs `action` at once and then every `seconds` (e.g. a gauge refreshed from a
    count in the store). A failed run is logged and the loop goes on: the next run may succeed."""

    async def loop() -> None:
        while True:
            try:
                await action()
            except Exception as exc:
                log.warning("periodic task failed", task=what, error=f"{type(exc).__name__}: {exc}")
            await asyncio.sleep(seconds)

    return loop


async def _supervised(task: BackgroundTask) -> None:
    """Background loops (pollers) restart after an unexpected error instead of dying silently."""
    while True:
        try:
            await task()
            return
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("background task failed; restarting in 1 s")
            await asyncio.sleep(1.0)


def create_app(
    runtime: Runtime,
    verifier: TokenVerifier,
    *,
    title: str,
    service_label: str,
    extra_routers: Sequence[APIRouter] = (),
    manage_runtime: bool = True,
) -> FastAPI:
    """The HTTP face of a process: the services' routers, health, readiness and metrics."""

    @contextlib.asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        if manage_runtime:
            await runtime.start()
        try:
            yield
        finally:
            if manage_runtime:
                await runtime.stop()

    app = FastAPI(title=title, lifespan=lifespan, openapi_tags=[t for p in runtime.services for t in p.tags])
    app.state.token_verifier = verifier
    app.state.runtime = runtime
    runtime.service_label = service_label
    app.state.service_contexts = {parts.name: parts.context for parts in runtime.services}
    install_error_handlers(app)
    install_request_checks(app)  # before the routers: JSON bodies, text the customs XML can carry
    app.add_middleware(BodySizeLimit, uploads=[u for parts in runtime.services for u in parts.uploads])
    app.add_middleware(RequestMetrics, service_label=service_label)
    app.include_router(_operations_router(runtime))
    for parts in runtime.services:
        for router in parts.routers:
            app.include_router(router)
    for router in extra_routers:
        app.include_router(router)
    return app


def _operations_router(runtime: Runtime) -> APIRouter:
    router = APIRouter(tags=["operations"])

    @router.get("/healthz", summary="Liveness: the process answers")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @router.get("/readyz", summary="Readiness: the broker and the store answer, no consumer is stuck")
    async def readyz() -> JSONResponse:
        checks = await runtime.readiness()
        ready = all(checks.values())
        body: dict[str, Any] = {"ready": ready, "checks": checks}
        if stalled := runtime.bus.stalled_consumers():
            body["stalled_consumers"] = stalled
        return JSONResponse(body, status_code=200 if ready else 503)

    @router.get("/metrics", summary="Prometheus metrics", include_in_schema=False)
    async def prometheus_metrics() -> Response:
        return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)

    return router
