"""Helpers of the review service's tests: an in-memory service driven through its HTTP API and the bus."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime
from typing import Any

import httpx
from service_http import ISSUER, TEST_AUTH, built_with, serving

from guanwu.contracts import topics
from guanwu.contracts.declaration import DeclarationDocument
from guanwu.contracts.envelope import Envelope
from guanwu.contracts.events import (
    DeclarationSubmittedForReview,
    DeclarationSummary,
    FieldMarked,
    ReceiptReceived,
    ReviewApproved,
    ReviewOutcome,
    ReviewRejected,
)
from guanwu.contracts.events.base import Event
from guanwu.customs.fixtures.declarations import export_sea_general_trade
from guanwu.platform.bus.inprocess import InProcessEventBus
from guanwu.platform.events import envelope_for
from guanwu.platform.runtime import Runtime, create_app
from guanwu.platform.store.port import DocumentStore
from guanwu.review import bootstrap
from guanwu.review.adapters import DOCUMENTS
from guanwu.review.config import ReviewSettings
from guanwu.review.domain import ReviewTask

PREPARER = "p1"
REVIEWER = "r1"


def auth(
    user: str = REVIEWER,
    tenant: str = "acme",
    roles: tuple[str, ...] = ("reviewer",),
    version: int | None = None,
) -> dict[str, str]:
    headers = {"Authorization": f"Bearer {ISSUER.issue(user, tenant, list(roles))}"}
    if version is not None:
        headers["If-Match"] = f'"{version}"'
    return headers


def document(**head: Any) -> DeclarationDocument:
    """A whole export declaration (3 goods lines, 2 containers, documents), its head changed by `head`."""
    base = export_sea_general_trade()
    return base.model_copy(update={"head": base.head.model_copy(update=head)})


def submission(
    declaration_id: str = "d1", version: int = 2, doc: DeclarationDocument | None = None, **head: Any
) -> DeclarationSubmittedForReview:
    """What the declaration service publishes on 提交审核; its document is `doc`, or the fixture's."""
    fields = {
        "ie_flag": "E",
        "seq_no": "S-1",
        "bill_no": "BL-1",
        "custom_master": "5100",
        "trade_name": "西安某贸易",
        "prepared_by": PREPARER,
    }
    return DeclarationSubmittedForReview(
        declaration_id=declaration_id,
        version=version,
        status="待审核",
        document=export_sea_general_trade() if doc is None else doc,
        **{**fields, **head},
    )


class Service:
    def __init__(self, client: httpx.AsyncClient, runtime: Runtime, bus: InProcessEventBus) -> None:
        self.client, self.runtime, self.bus = client, runtime, bus

    async def submit(
        self, event: DeclarationSummary, tenant: str = "acme", at: datetime | None = None
    ) -> Envelope:
        """What the declaration service's relay would publish (any declaration event), at `at` if given."""
        _, envelope = envelope_for(event, source="/guanwu/declaration", tenant=tenant)
        if at is not None:
            envelope = envelope.model_copy(update={"time": at})
        await self.bus.publish(topics.DECLARATION_EVENTS, envelope)
        return envelope

    async def receive(self, receipt: ReceiptReceived, tenant: str = "acme") -> Envelope:
        """A receipt as sync publishes it."""
        _, envelope = envelope_for(receipt, source="/guanwu/sync", tenant=tenant)
        await self.bus.publish(topics.SYNC_EVENTS, envelope)
        return envelope

    async def stored(self) -> list[dict[str, Any]]:
        return await self.runtime.store.collection("review_tasks").find({})

    async def tasks(self) -> list[ReviewTask]:
        """Every stored task with the document it reviews (kept in a collection of its own)."""
        documents = {d["_id"]: d["document"] for d in await self.runtime.store.collection(DOCUMENTS).find({})}
        return [
            ReviewTask.model_validate({**d, "version": d["_version"], "document": documents.get(d["_id"])})
            for d in await self.stored()
        ]

    async def published(self, *types: type[Event]) -> list[Envelope]:
        """Every envelope published on review's topic so far, of the given event types (all without)."""
        assert self.runtime.relay is not None
        await self.runtime.relay.drain()
        names = {t.event_type for t in types}
        return [
            env
            for topic, env in self.bus.published
            if topic == topics.REVIEW_EVENTS and (not names or env.type in names)
        ]

    async def outcomes(self) -> list[tuple[str, ReviewOutcome]]:
        """(event type, payload) of every review decision published so far."""
        return [
            (env.type, ReviewOutcome.model_validate(env.data))
            for env in await self.published(ReviewApproved, ReviewRejected)
        ]

    async def marked(self) -> list[FieldMarked]:
        """Every FieldMarked published so far, in order."""
        return [FieldMarked.model_validate(env.data) for env in await self.published(FieldMarked)]


@asynccontextmanager
async def running_service(store: DocumentStore | None = None) -> AsyncIterator[Service]:
    """The review service in process on the in-process bus; its store is memory unless `store` is given
    (the integration tier passes FerretDB)."""
    build = built_with(bootstrap.build, ReviewSettings(auth=TEST_AUTH))
    if store is None:
        async with serving(build, "review") as (client, runtime):
            assert isinstance(runtime.bus, InProcessEventBus)
            yield Service(client, runtime, runtime.bus)
        return
    runtime = Runtime(store, InProcessEventBus(), relay_sweep_seconds=0.05)
    runtime.register(build(store, runtime.outbox_written))
    app = create_app(runtime, ISSUER, title="review", service_label="review")
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://svc") as client,
    ):
        assert isinstance(runtime.bus, InProcessEventBus)
        yield Service(client, runtime, runtime.bus)
