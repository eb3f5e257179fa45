"""For the sync job tests: a fake Single Window that speaks the query wire of issue #12's plan (sessions,
keyset pages, faults on demand), and sync built over it in memory.

The fake is small on purpose (a handful of records rendered with the kernel's own builders); the realistic
Single Window is the simulator (simulators/singlewindow)."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from embedded_system import eventually
from service_http import ISSUER, TEST_AUTH

from guanwu.contracts import topics
from guanwu.contracts.envelope import Envelope
from guanwu.customs import fixtures
from guanwu.customs.messages import build_dec_message
from guanwu.customs.messages.inv101 import EnvelopInfo, Inv101Message, build_inv101
from guanwu.platform.bus.dispatch import RetryPolicy
from guanwu.platform.bus.inprocess import InProcessEventBus
from guanwu.platform.runtime import Runtime, create_app
from guanwu.platform.store.memory import MemoryDocumentStore
from guanwu.platform.store.port import DocumentStore
from guanwu.sync import bootstrap
from guanwu.sync.config import SyncSettings
from guanwu.sync.service_layer.context import SyncContext

DAY = datetime(2026, 11, 2, tzinfo=UTC)
BY_DAY = {
    "kind": "declarations",
    "mode": "by_day",
    "updated_from": "2026-11-01T00:00:00+00:00",
    "updated_to": "2026-11-30T00:00:00+00:00",
    "enterprise_category": "1",
}
BONDED_BY_DAY = {
    "kind": "bonded_lists",
    "mode": "by_day",
    "updated_from": "2026-11-01T00:00:00+00:00",
    "updated_to": "2026-11-30T00:00:00+00:00",
    "enterprise_type": "1",
    "data_source": "1",
}


def seq_no(n: int, ie: str = "E") -> str:
    return f"{ie}2026{n:013d}"


def declaration_xml(number: str) -> str:
    document = fixtures.export_sea_general_trade()
    head = document.head.model_copy(update={"seq_no": number})
    return build_dec_message(document.model_copy(update={"head": head})).decode()


def bonded_list_xml(number: str) -> str:
    bonded = fixtures.bonded_list()
    head = bonded.head.model_copy(update={"seq_no": number})
    envelope = EnvelopInfo(
        message_id="M" + number,
        file_name=f"INV101_{number}.xml",
        sender_id="DXPENT0000012345",
        receiver_id="DXPEDCSU0000000",
        send_time="2026-11-02T08:00:00",
    )
    message = Inv101Message(
        envelope=envelope, declare=True, bonded_list=bonded.model_copy(update={"head": head})
    )
    return build_inv101(message).decode()


@dataclass
class Record:
    seq_no: str
    version: int
    updated_at: datetime
    malformed: bool = False

    def item(self, kind: str) -> dict[str, Any]:
        common = {
            "seq_no": self.seq_no,
            "version": self.version,
            "updated_at": self.updated_at.isoformat(),
            "receipts": [{"channel": "L", "notice_date": self.updated_at.isoformat(), "note": None}],
        }
        if kind == "declarations":
            xml = declaration_xml(self.seq_no)
            extra = {"entry_id": None, "client_seq_no": None, "channel": "L"}
        else:
            xml = bonded_list_xml(self.seq_no)
            extra = {"bond_invt_no": None, "list_stat": "1", "data_source": "1"}
        return {**common, **extra, "xml": "<DecMessage><broken" if self.malformed else xml}


@dataclass
class FakeSingleWindow:
    """Records per (enterprise, kind); faults: `fail_next` 503s, `refuse` one 4xx answer for every query,
    `expire_every` queries per session, records marked malformed."""

    records: dict[tuple[str, str], list[Record]] = field(default_factory=dict)
    fail_next: int = 0
    gate: asyncio.Event | None = None  # when set up, queries wait until it is set
    refuse: tuple[int, str] | None = None
    expire_every: int | None = None
    queries: list[dict[str, str]] = field(default_factory=list)
    logins: int = 0
    _sessions: dict[str, tuple[str, int]] = field(default_factory=dict)
    _tokens: itertools.count[int] = field(default_factory=itertools.count)

    def seed(self, enterprise: str, kind: str, count: int, *, start: int = 1) -> list[Record]:
        made = [
            Record(seq_no(n, "E" if kind == "declarations" else "I"), 1, DAY + timedelta(minutes=n))
            for n in range(start, start + count)
        ]
        self.records.setdefault((enterprise, kind), []).extend(made)
        return made

    def touch(self, enterprise: str, kind: str, count: int) -> None:
        for record in self.records[(enterprise, kind)][:count]:
            record.version += 1
            record.updated_at += timedelta(days=1)

    async def __call__(self, request: httpx.Request) -> httpx.Response:
        if request.url.path == "/sim/session":
            enterprise = json.loads(request.content)["enterprise"]
            token = f"t{next(self._tokens)}"
            self._sessions[token] = (enterprise, 0)
            self.logins += 1
            return httpx.Response(200, json={"token": token, "expires_at": "2099-01-01T00:00:00Z"})
        if request.url.path == "/sim/receipts":  # the receipt poller's feed: nothing here
            return httpx.Response(
                200, json={"receipts": [], "next_position": int(request.url.params["after"])}
            )
        kind = {"/sim/query/declarations": "declarations", "/sim/query/bonded-lists": "bonded_lists"}
        if request.url.path not in kind:
            return httpx.Response(404, json={"code": "not_found", "message": "no such path"})
        if self.gate is not None:
            await self.gate.wait()
        return self._query(request, kind[request.url.path])

    def _query(self, request: httpx.Request, kind: str) -> httpx.Response:
        params = dict(request.url.params)
        self.queries.append(params)
        token = request.headers.get("Authorization", "").removeprefix("Bearer ")
        if token not in self._sessions:
            return httpx.Response(401, json={"code": "session_expired", "message": "log in"})
        enterprise, used = self._sessions[token]
        if self.expire_every is not None and used >= self.expire_every:
            del self._sessions[token]
            return httpx.Response(401, json={"code": "session_expired", "message": "expired"})
        self._sessions[token] = (enterprise, used + 1)
        if self.fail_next:
            self.fail_next -= 1
            return httpx.Response(503, json={"code": "unavailable", "message": "busy"})
        if self.refuse is not None:
            return httpx.Response(self.refuse[0], json={"code": "bad", "message": self.refuse[1]})
        return self._page(params, kind)

    def _page(self, params: dict[str, str], kind: str) -> httpx.Response:
        rows = sorted(
            self.records.get((params["enterprise"], kind), []), key=lambda r: (r.updated_at, r.seq_no)
        )
        if "seq_no" in params or "number" in params:
            rows = [r for r in rows if r.seq_no in (params.get("seq_no"), params.get("number"))]
        else:
            start = datetime.fromisoformat(params["updated_from"])
            end = datetime.fromisoformat(params["updated_to"])
            rows = [r for r in rows if start <= r.updated_at < end]
        total = len(rows)
        if "cursor" in params:
            after = tuple(params["cursor"].split("|", 1))
            rows = [r for r in rows if (r.updated_at.isoformat(), r.seq_no) > after]
        limit = int(params.get("limit", 100))
        page, more = rows[:limit], len(rows) > limit
        cursor = f"{page[-1].updated_at.isoformat()}|{page[-1].seq_no}" if more and page else None
        body = {"items": [r.item(kind) for r in page], "next_cursor": cursor, "total": total}
        return httpx.Response(200, json=body)


def upstream(fake: FakeSingleWindow) -> httpx.AsyncBaseTransport:
    return httpx.MockTransport(fake)


def settings(**overrides: Any) -> SyncSettings:
    values: dict[str, Any] = {
        "auth": TEST_AUTH,
        "single_window_url": "http://single-window",
        "tenants": [],
        "poll_interval_seconds": 3600,
        "resend_interval_seconds": 3600,
        "job_poll_interval_seconds": 0.05,
        "single_window_backoff_seconds": 0.001,
        "single_window_backoff_max_seconds": 0.002,
        "single_window_requests_per_second": 1000,
        "job_page_size": 5,
    }
    return SyncSettings(**{**values, **overrides})


@dataclass
class JobsService:
    client: httpx.AsyncClient
    runtime: Runtime
    bus: InProcessEventBus
    context: SyncContext
    fake: FakeSingleWindow

    async def job_when_ended(self, url: str, headers: dict[str, str]) -> dict[str, Any]:
        """The job once it ended, waiting while it moves."""

        async def ended() -> dict[str, Any] | None:
            job: dict[str, Any] = (await self.client.get(url, headers=headers)).json()
            return job if job["state"] in ("completed", "failed", "cancelled") else None

        found: dict[str, Any] = await eventually(ended)
        return found

    async def published(self, event_type: str, topic: str = topics.SYNC_EVENTS) -> list[Envelope]:
        assert self.runtime.relay is not None
        await self.runtime.relay.drain()
        return [env for t, env in self.bus.published if t == topic and env.type == event_type]


@contextlib.asynccontextmanager
async def running_jobs(
    fake: FakeSingleWindow | None = None,
    *,
    store: DocumentStore | None = None,
    transport: httpx.AsyncBaseTransport | None = None,
    **overrides: Any,
) -> AsyncIterator[JobsService]:
    """Sync in memory (its loops running) over the fake Single Window, or another `transport`."""
    fake = fake or FakeSingleWindow()
    store = store or MemoryDocumentStore()
    bus = InProcessEventBus(retry=RetryPolicy(attempts=3, first_delay_seconds=0.001))
    runtime = Runtime(store, bus, relay_sweep_seconds=0.05)
    parts = bootstrap.build(
        settings(**overrides), store, runtime.outbox_written, transport=transport or upstream(fake)
    )
    runtime.register(parts)
    app = create_app(runtime, ISSUER, title="sync", service_label="sync")
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://svc") as client,
    ):
        assert isinstance(parts.context, SyncContext)
        yield JobsService(client, runtime, bus, parts.context, fake)
