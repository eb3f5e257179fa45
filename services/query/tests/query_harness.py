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
from guanwu.platform.bus.inprocess import InProcessEventBus
from guanwu.platform.events import envelope_for
from guanwu.platform.runtime import Runtime
from guanwu.query import bootstrap
from guanwu.query.config import QuerySettings

URL = "/api/query/declarations"
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
