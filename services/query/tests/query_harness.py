"""Helpers of the query service's tests: an in-memory service fed through the in-process bus, read through
its HTTP API."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from service_http import TEST_AUTH, bearer, built_with, serving

from guanwu.contracts import topics
from guanwu.contracts.envelope import Envelope
from guanwu.contracts.events import DeclarationSummary
from guanwu.contracts.events.base import Event
from guanwu.platform.bus.inprocess import InProcessEventBus
from guanwu.platform.events import envelope_for
from guanwu.platform.runtime import Runtime
from guanwu.query import bootstrap
from guanwu.query.config import QuerySettings

URL = "/api/query/declarations"
BONDED_URL = "/api/query/bonded-lists"
T0 = datetime(2026, 3, 1, 9, tzinfo=UTC)


def at(minutes: int) -> datetime:
    """A moment `minutes` after T0: when a test's event happened."""
    return T0 + timedelta(minutes=minutes)


class Service:
    def __init__(self, client: httpx.AsyncClient, runtime: Runtime) -> None:
        assert isinstance(runtime.bus, InProcessEventBus)
        self.client, self.runtime, self.bus = client, runtime, runtime.bus

    @staticmethod
    def envelope(event: DeclarationSummary, *, tenant: str = "acme", time: datetime = T0) -> Envelope:
        """The event as the declaration service's relay would publish it, stamped `time`."""
        envelope = envelope_for(event, source="/guanwu/declaration", tenant=tenant)[1]
        return envelope.model_copy(update={"time": time})

    async def deliver(self, *envelopes: Envelope) -> None:
        """Hand the envelopes to the projection as one batch (one poll's worth)."""
        await self.bus.publish_many([(topics.DECLARATION_EVENTS, envelope) for envelope in envelopes])
        assert self.bus.dead_letters == []

    async def stored(self) -> list[dict[str, Any]]:
        return await self.runtime.store.collection("query_declarations").find({})

    @staticmethod
    def sync_envelope(event: Event, *, tenant: str = "acme") -> Envelope:
        """A sync event as sync's relay would publish it."""
        return envelope_for(event, source="/guanwu/sync", tenant=tenant)[1]

    async def deliver_sync(self, *events: Event | Envelope, tenant: str = "acme") -> None:
        """Hand sync's events (or their envelopes) to the 核注清单 projection as one batch."""
        envelopes = [e if isinstance(e, Envelope) else self.sync_envelope(e, tenant=tenant) for e in events]
        await self.bus.publish_many([(topics.SYNC_EVENTS, envelope) for envelope in envelopes])
        assert self.bus.dead_letters == []

    async def bonded_stored(self) -> list[dict[str, Any]]:
        return await self.runtime.store.collection("query_bonded_lists").find({}, sort=[("_id", 1)])

    async def bonded_list(self, number: str, tenant: str = "acme") -> dict[str, Any]:
        response = await self.client.get(f"{BONDED_URL}/{number}", headers=bearer(tenant=tenant))
        assert response.status_code == 200, response.text
        return dict(response.json())

    async def bonded_found(self, **params: Any) -> list[str | None]:
        """The 统一编号 the 核注清单 list shows for `params`, in its order (all on one page)."""
        response = await self.client.get(BONDED_URL, params=params, headers=bearer())
        assert response.status_code == 200, response.text
        page = response.json()
        assert page["total"] == len(page["items"])
        return [row["seq_no"] for row in page["items"]]

    async def row(self, declaration_id: str, tenant: str = "acme") -> dict[str, Any]:
        response = await self.client.get(f"{URL}/{declaration_id}", headers=bearer(tenant=tenant))
        assert response.status_code == 200, response.text
        return dict(response.json())

    async def found(self, **params: Any) -> list[str]:
        """The declaration ids the list shows for `params`, in its order."""
        response = await self.client.get(URL, params=params, headers=bearer())
        assert response.status_code == 200, response.text
        page = response.json()
        assert page["total"] == len(page["items"])
        return [row["declaration_id"] for row in page["items"]]


@asynccontextmanager
async def running_service() -> AsyncIterator[Service]:
    async with serving(built_with(bootstrap.build, QuerySettings(auth=TEST_AUTH)), "query") as (
        client,
        runtime,
    ):
        yield Service(client, runtime)
