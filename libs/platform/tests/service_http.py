"""One service (or a bare router) behind the platform's `create_app`, in memory, for HTTP-level tests.

Importable from every test tree (libs/platform/tests is on the pytest pythonpath).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

import httpx
from fastapi import FastAPI
from pydantic import SecretStr

from guanwu.platform.auth import LocalTokenIssuer
from guanwu.platform.bus.inprocess import InProcessEventBus
from guanwu.platform.outbox import OutboxNotifier
from guanwu.platform.runtime import Runtime, ServiceParts, create_app
from guanwu.platform.settings import AuthSettings
from guanwu.platform.store.memory import MemoryDocumentStore
from guanwu.platform.store.port import DocumentStore

ISSUER = LocalTokenIssuer("unit-test-secret-" + "h" * 32)
EVERY_ROLE = ("preparer", "reviewer", "manager", "integration", "admin")

PartsBuilder = Callable[[DocumentStore, OutboxNotifier], ServiceParts]
TEST_AUTH = AuthSettings(secret=SecretStr("unit-test-secret-" + "h" * 32))
"""What a service's settings need in tests: `DeclarationSettings(auth=TEST_AUTH)`."""


def built_with(
    build: Callable[[Any, DocumentStore, OutboxNotifier], ServiceParts], settings: Any
) -> PartsBuilder:
    """A service's `bootstrap.build` with its settings bound, as `service_app` and `serving` take it."""
    return lambda store, outbox_written: build(settings, store, outbox_written)


def bearer(tenant: str = "acme", roles: tuple[str, ...] = EVERY_ROLE, user: str = "u1") -> dict[str, str]:
    return {"Authorization": f"Bearer {ISSUER.issue(user, tenant, list(roles))}"}


def service_app(build: PartsBuilder, name: str) -> tuple[FastAPI, Runtime]:
    store = MemoryDocumentStore()
    runtime = Runtime(store, InProcessEventBus(), relay_sweep_seconds=0.05)
    runtime.register(build(store, runtime.outbox_written))
    return create_app(runtime, ISSUER, title=name, service_label=name), runtime


@asynccontextmanager
async def serving(build: PartsBuilder, name: str) -> AsyncIterator[tuple[httpx.AsyncClient, Runtime]]:
    app, runtime = service_app(build, name)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://svc") as client,
    ):
        yield client, runtime
