"""An in-memory sync service (in-process bus, memory store) talking HTTP to the Single Window simulator."""

from __future__ import annotations

import asyncio
import base64
import contextlib
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from service_http import TEST_AUTH

from guanwu.contracts import topics
from guanwu.contracts.envelope import Envelope
from guanwu.contracts.events import (
    DeclarationDeclareRequested,
    DeclarationSigned,
    DeclarationSubmitFailed,
    DeclarationSubmitted,
)
from guanwu.customs import fixtures
from guanwu.customs.messages import canonical_sign_bytes
from guanwu.platform.auth import LocalTokenIssuer
from guanwu.platform.bus.dispatch import RetryPolicy
from guanwu.platform.bus.inprocess import InProcessEventBus
from guanwu.platform.events import envelope_for
from guanwu.platform.runtime import Runtime, create_app
from guanwu.platform.store.memory import MemoryCollection, MemoryDocumentStore
from guanwu.platform.store.port import Document, Filter
from guanwu.singlewindow_sim.app import SingleWindowState
from guanwu.singlewindow_sim.app import build_router as simulator_router
from guanwu.sync import bootstrap
from guanwu.sync.adapters.repositories import DeclareRecordRepository
from guanwu.sync.config import SyncSettings
from guanwu.sync.entrypoints.background import resend_once
from guanwu.sync.service_layer.context import SyncContext
from guanwu.sync.service_layer.handlers.receipts import read_receipts

DECLARATIONS = DeclareRecordRepository.collection_name
ISSUER = LocalTokenIssuer("unit-test-secret-" + "s" * 32)
MESSAGE = canonical_sign_bytes(fixtures.export_sea_general_trade())
CONTENT_SM3 = "ab" * 32


def der_signature(fill: int = 0x11) -> str:
    """A DER SM2Signature with r and s made of `fill` bytes (the simulator checks the shape only)."""
    return base64.b64encode(
        b"\x30\x44\x02\x20" + bytes([fill]) * 32 + b"\x02\x20" + bytes([fill + 1]) * 32
    ).decode()


SIGNATURE_B64 = der_signature()


def auth(tenant: str = "acme", roles: tuple[str, ...] = ("preparer",)) -> dict[str, str]:
    return {"Authorization": f"Bearer {ISSUER.issue('u1', tenant, list(roles))}"}


class ScriptedFeed:
    """A receipt feed a test writes itself, in the Single Window's wire shape: XML from the kernel's fixtures,
    broken XML, an unknown message type, one receipt served twice, pages served in reverse order."""

    def __init__(self) -> None:
        self.receipts: dict[str, list[dict[str, Any]]] = {}
        self.reversed_pages = False

    def add(self, enterprise: str, message_type: str, xml: bytes | str, receipt_id: str | None = None) -> str:
        """Append one receipt to the enterprise's feed; returns its receipt id."""
        feed = self.receipts.setdefault(enterprise, [])
        position = len(feed) + 1
        receipt_id = receipt_id or f"R{enterprise}-{position:09d}"
        text = xml.decode() if isinstance(xml, bytes) else xml
        feed.append(
            {"receipt_id": receipt_id, "position": position, "message_type": message_type, "xml": text}
        )
        return receipt_id

    def page(self, enterprise: str, after: int, limit: int) -> dict[str, Any]:
        page = self.receipts.get(enterprise, [])[after : after + limit]
        served = page[::-1] if self.reversed_pages else page
        return {"receipts": served, "next_position": after + len(page)}


class SingleWindowLine(httpx.AsyncBaseTransport):
    """The wire to the Single Window: counts 申报 POSTs, keeps their bodies, and can fail on demand; with a
    `feed`, the receipt feed is that scripted one instead of the simulator's."""

    def __init__(self, inner: httpx.AsyncBaseTransport) -> None:
        self.inner = inner
        self.feed: ScriptedFeed | None = None
        self.declared: list[bytes] = []
        self.polled: list[str] = []  # the enterprise of each receipt-feed request, in order
        self.refuse_connection = False
        self.answer_status: int | None = None
        self.answer_body = "网关错误 / gateway says no"

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if request.method == "GET" and request.url.path == "/sim/receipts":
            params = request.url.params
            self.polled.append(params["enterprise"])
            if self.feed is not None:
                page = self.feed.page(params["enterprise"], int(params["after"]), int(params["limit"]))
                return httpx.Response(200, json=page)
        if request.method == "POST" and request.url.path == "/sim/declarations":
            self.declared.append(await request.aread())
            if self.refuse_connection:
                raise httpx.ConnectError("connection refused", request=request)
            if self.answer_status is not None:
                return httpx.Response(self.answer_status, text=self.answer_body)
        return await self.inner.handle_async_request(request)


class CrashingCollection(MemoryCollection):
    """Fails the write that would mark a record sent, once, as a process dying after the POST would; and
    can make reads slow, so that two handlers race."""

    crash_before_sent = False
    slow_reads = False  # a read lets other tasks run first, as a read over the network would

    async def find_one(self, filter: Filter) -> Document | None:
        found = await super().find_one(filter)
        if self.slow_reads:
            await asyncio.sleep(0.01)
        return found

    async def replace_keeping_outbox(self, doc: Document, *, expected_version: int) -> Document:
        if self.crash_before_sent and doc.get("state") == "sent":
            self.crash_before_sent = False
            raise RuntimeError("process died before the write")
        return await super().replace_keeping_outbox(doc, expected_version=expected_version)


class Store(MemoryDocumentStore):
    def __init__(self) -> None:
        super().__init__()
        self._collections[DECLARATIONS] = CrashingCollection(DECLARATIONS)


class SyncService:
    def __init__(
        self,
        client: httpx.AsyncClient,
        runtime: Runtime,
        bus: InProcessEventBus,
        simulator: SingleWindowState,
        line: SingleWindowLine,
        context: SyncContext,
    ) -> None:
        self.client, self.runtime, self.bus = client, runtime, bus
        self.simulator, self.line, self.context = simulator, line, context

    @property
    def records(self) -> CrashingCollection:
        collection = self.runtime.store.collection(DECLARATIONS)
        assert isinstance(collection, CrashingCollection)
        return collection

    async def resend_ready(self) -> int:
        """One resend sweep over every complete record left unsent, however recent."""
        return await resend_once(self.context, min_age_seconds=0)

    async def declare_requested(
        self, request_id: str = "req-1", declaration_id: str = "d1", tenant: str = "acme", **extra: Any
    ) -> Envelope:
        """What the declaration service's relay publishes on 申报."""
        fields: dict[str, Any] = {
            "declaration_id": declaration_id,
            "version": 5,
            "ie_flag": "E",
            "status": "申报中",
            "request_id": request_id,
            "content_sm3": CONTENT_SM3,
            "requested_by": "zhang",
            "message_b64": base64.b64encode(MESSAGE).decode(),
        }
        event = DeclarationDeclareRequested(**{**fields, **extra})
        _, envelope = envelope_for(event, source="/guanwu/declaration", tenant=tenant)
        await self.bus.publish(topics.DECLARATION_EVENTS, envelope)
        return envelope

    async def signed(
        self, request_id: str = "req-1", declaration_id: str = "d1", tenant: str = "acme", **extra: Any
    ) -> Envelope:
        """What the card signer's relay publishes once the card signed."""
        fields: dict[str, Any] = {
            "request_id": request_id,
            "declaration_id": declaration_id,
            "signature_b64": SIGNATURE_B64,
            "content_sm3": CONTENT_SM3,
            "user_id": "1234567812345678",
            "certificate_serial": "5f3a9c",
            "signer_subject": "CN=张三,O=GUANWU",
            "device": "soft",
            "signed_at": datetime(2026, 11, 27, 1, 30, tzinfo=UTC),
        }
        event = DeclarationSigned(**{**fields, **extra})
        _, envelope = envelope_for(event, source="/guanwu/card-signer", tenant=tenant)
        await self.bus.publish(topics.SIGNER_EVENTS, envelope)
        return envelope

    async def submitted(self) -> list[tuple[Envelope, DeclarationSubmitted]]:
        """Every DeclarationSubmitted published so far (after the relay has drained the outbox)."""
        assert self.runtime.relay is not None
        await self.runtime.relay.drain()
        return [
            (env, DeclarationSubmitted.model_validate(env.data))
            for topic, env in self.bus.published
            if topic == topics.SYNC_EVENTS and env.type == DeclarationSubmitted.event_type
        ]

    async def submit_failures(self) -> list[DeclarationSubmitFailed]:
        """Every DeclarationSubmitFailed published so far (after the relay has drained the outbox)."""
        assert self.runtime.relay is not None
        await self.runtime.relay.drain()
        return [
            DeclarationSubmitFailed.model_validate(env.data)
            for topic, env in self.bus.published
            if topic == topics.SYNC_EVENTS and env.type == DeclarationSubmitFailed.event_type
        ]

    async def read_receipts(self, tenant: str = "acme", limit: int = 200) -> int:
        """One poll of the tenant's receipt feed, as the background poller makes it; how many were read."""
        return await read_receipts(
            tenant,
            uow=self.context.new_uow(),
            single_window=self.context.single_window,
            limit=limit,
            observer=self.context.observer,
        )

    async def published(self, event_type: str) -> list[Envelope]:
        """Every sync event of that type published so far (after the relay has drained the outbox)."""
        assert self.runtime.relay is not None
        await self.runtime.relay.drain()
        return [
            env for topic, env in self.bus.published if topic == topics.SYNC_EVENTS and env.type == event_type
        ]

    async def record(self, request_id: str = "req-1", tenant: str = "acme") -> Document:
        [doc] = await self.records.find({"tenant": tenant, "request_id": request_id})
        return doc


@contextlib.asynccontextmanager
async def running_sync(
    *,
    tenants: list[str] | None = None,
    poll_interval_seconds: float = 1.0,
    store: Store | None = None,
    connected: bool = True,
) -> AsyncIterator[SyncService]:
    """A running sync service; `connected=False` builds it without a Single Window (embedded, no simulator)."""
    simulator = SingleWindowState()
    sim_app = FastAPI()
    sim_app.include_router(simulator_router(simulator))
    line = SingleWindowLine(httpx.ASGITransport(app=sim_app))
    store = store or Store()
    bus = InProcessEventBus(retry=RetryPolicy(attempts=3, first_delay_seconds=0.001))
    runtime = Runtime(store, bus, relay_sweep_seconds=0.05)
    settings = SyncSettings(
        auth=TEST_AUTH,
        single_window_url="http://single-window" if connected else None,
        tenants=tenants or [],
        poll_interval_seconds=poll_interval_seconds,
        resend_interval_seconds=3600,
    )
    parts = bootstrap.build(settings, store, runtime.outbox_written, transport=line)
    runtime.register(parts)
    app = create_app(runtime, ISSUER, title="sync", service_label="sync")
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://svc") as client,
    ):
        assert isinstance(parts.context, SyncContext)
        yield SyncService(client, runtime, bus, simulator, line, parts.context)


@pytest.fixture
async def sync() -> AsyncIterator[SyncService]:
    async with running_sync() as service:
        yield service
