"""Helpers of the declaration service's tests: an in-memory service driven through its HTTP API."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
from service_http import ISSUER, TEST_AUTH, serving

from guanwu.contracts import topics
from guanwu.contracts.declaration import DeclarationDocument
from guanwu.contracts.events import DeclarationDrafted
from guanwu.declaration import bootstrap
from guanwu.declaration.config import DeclarationSettings
from guanwu.platform.bus.inprocess import InProcessEventBus
from guanwu.platform.clock import Clock, utc_now
from guanwu.platform.outbox import OutboxNotifier
from guanwu.platform.runtime import Runtime, ServiceParts
from guanwu.platform.store.port import DocumentStore


def auth(tenant: str = "acme", roles: tuple[str, ...] = ("preparer",)) -> dict[str, str]:
    return {"Authorization": f"Bearer {ISSUER.issue('u1', tenant, list(roles))}"}


class Service:
    def __init__(self, client: httpx.AsyncClient, runtime: Runtime, bus: InProcessEventBus) -> None:
        self.client, self.runtime, self.bus = client, runtime, bus

    async def stored(self) -> int:
        return await self.runtime.store.collection("declaration_declarations").count({})

    def drafted(self) -> list[DeclarationDrafted]:
        return [
            DeclarationDrafted.model_validate(env.data)
            for topic, env in self.bus.published
            if topic == topics.DECLARATION_EVENTS and env.type == DeclarationDrafted.event_type
        ]


@asynccontextmanager
async def running_service(
    clock: Clock = utc_now, settings: DeclarationSettings | None = None
) -> AsyncIterator[Service]:
    """The service in memory; `clock` is every handler's and sweep's (tests move it on)."""
    chosen = settings or DeclarationSettings(auth=TEST_AUTH)

    def build(store: DocumentStore, outbox_written: OutboxNotifier) -> ServiceParts:
        return bootstrap.build(chosen, store, outbox_written, clock=clock)

    async with serving(build, "declaration") as (client, runtime):
        assert isinstance(runtime.bus, InProcessEventBus)
        yield Service(client, runtime, runtime.bus)


def as_json(document: DeclarationDocument) -> dict[str, Any]:
    return document.model_dump(mode="json", exclude_none=True)
