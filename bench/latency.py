"""Latency of the 删单 path: a DeleteReceiptReceived is published → its anomaly record is readable by GET on the
anomaly service's HTTP API. Receipts go ONE AT A TIME: send one, GET its record until it answers 200, record
the time, next. Reports p50 / p95 / p99 / max next to a raw round trip of the same path's parts, same run.

    uv run python bench/latency.py --receipts 1000 --feed-receipts 40

(a) embedded — what `guanwu up` runs: `build_embedded` (every service, SQLite store in a temporary folder,
    in-process bus, local users), served by uvicorn on a loopback port. The in-process bus can only be
    published to from inside its process, so uvicorn runs in the bench's own process and event loop; the GETs
    still go over TCP with httpx, and the bearer token comes from POST /api/auth/token with a local user, as a
    user logs in. Clock: `runtime.bus.publish(...)` called → GET answered 200. Baseline, the raw parts added up
    sample by sample: a `sqlite3` insert + select by id of the same record as JSON text (the store's pragmas:
    WAL, synchronous=NORMAL) + a GET of a bare FastAPI endpoint under uvicorn in this process. For comparison,
    on the same server: a GET of a stored record when nothing else is in flight, and GET /healthz (guanwu's
    middleware, no auth, no store). Target p99 ≤ 10 ms.
(b) distributed — the anomaly service in its own process, composed as `guanwu serve anomaly` composes it
    (`build_service_app` from GUANWU_ANOMALY_* variables: Kafka bus, FerretDB store, local HS256 auth), with one
    difference: a wrapper renames every topic it declares, subscribes to and publishes to with this run's
    prefix (`bench.latency.<run>.`), so the run has topics of its own. The bench publishes with a
    `KafkaEventBus` (idempotent producer, acks=all) and GETs over HTTP with a token minted with the shared
    secret (as tests/e2e/distributed.py does: distributed services have no login route). Clock: `publish`
    called → GET answered 200; while the record is not there the GET is retried every `--get-interval`.
    Baseline, the raw parts added up sample by sample: AIOKafkaProducer send_and_wait (acks=all) →
    AIOKafkaConsumer in this process receives it → pymongo insert_one + find_one by `_id` on the same
    FerretDB, + a GET of a bare FastAPI endpoint under uvicorn in a process of its own. For comparison, on the
    service: a GET of a stored record when idle, and GET /healthz. Target p99 ≤ 200 ms.
(c) from the Single Window's feed — the receipt appears in the Single Window simulator's feed → sync's poller
    reads it (GET /sim/receipts with its cursor), stores it with its events in the outbox → relay → bus →
    anomaly → readable by GET. Embedded: `build_embedded(simulator=True)` (what `make run` / `guanwu up
    --simulator` runs), the receipt added straight to the simulator's state (the clock starts as it is in the
    feed). Distributed: the simulator alone (`python -m guanwu.singlewindow_sim`) and sync in its own process
    (as `guanwu serve sync` composes it, topics renamed as above) in front of (b)'s anomaly service; the
    receipt is POSTed to /sim/receipts (the clock starts as the POST is sent). No target: this is what a user
    waits for, and it is dominated by the poll interval.

    Poll interval: 0.5 s (`--poll-interval`), both sides. It is what `guanwu up` uses (`build_embedded`'s
    default), between `guanwu dev-cluster`'s 1 s (and SyncSettings' default) and the 0.05–0.2 s of the e2e
    tests, and it keeps (c) under half a minute per side. Sync sleeps one interval after an empty poll, so a
    receipt waits for the next poll: from 0 to one interval. Because the bench sends the next receipt right
    after seeing the previous record, and the poller polls once more right after a busy round and then sleeps,
    sending at once would always land at the same phase of the poller's sleep; each receipt is therefore sent
    after a random pause of 0–1 interval, so the figures sample every phase: expect p50 ≈ interval / 2 + the
    path, p99 ≈ interval + the path. Fewer receipts by default than (a)/(b): each costs about one interval.

Fresh SQLite folders, a fresh FerretDB database per service (`bench_latency_<run>_<service>`), fresh topics
(`bench.latency.<run>.*`) and consumer groups (deployment `bench-latency-<run>`) per run; the databases, topics
and folders are removed at the end (the empty consumer groups expire with the broker's offsets retention, as
the other benches' do: aiokafka's admin client cannot delete groups). Timings are printed, never asserted.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import dataclasses
import json
import multiprocessing
import os
import random
import socket
import sqlite3
import subprocess
import tempfile
import time
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
from _common import machine, quiet_logging, ratio, run_id, section
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from pymongo import AsyncMongoClient

from guanwu.contracts import topics
from guanwu.contracts.envelope import Envelope
from guanwu.contracts.events import DeleteReceiptReceived
from guanwu.platform.events import envelope_for
from guanwu.platform.idempotency import deterministic_id

SECRET = "bench-latency-secret-" + "l" * 32
TENANT = "91310000MA1FL0BENCH"
TARGET_EMBEDDED_P99 = 0.010
TARGET_DISTRIBUTED_P99 = 0.200
ANOMALY_URL = "/api/anomaly/anomalies/{}"


# ------------------------------------------------------------------------------------------------ figures


def percentile(values: Sequence[float], pct: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * pct / 100))]


def figures(values: Sequence[float]) -> dict[str, float]:
    return {
        "p50": percentile(values, 50),
        "p95": percentile(values, 95),
        "p99": percentile(values, 99),
        "max": max(values),
        "n": len(values),
    }


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.1f}"


def line(name: str, values: Sequence[float]) -> str:
    f = figures(values)
    return (
        f"  {name:<48} p50 {ms(f['p50']):>7} ms  p95 {ms(f['p95']):>7} ms  p99 {ms(f['p99']):>7} ms  "
        f"max {ms(f['max']):>7} ms  (n={f['n']:.0f})"
    )


def trend(values: Sequence[float]) -> str:
    """p50 of the first and the last tenth: does latency grow with the number of stored records?"""
    tenth = max(1, len(values) // 10)
    return (
        f"  p50 of the first {tenth}: {ms(percentile(values[:tenth], 50))} ms, "
        f"of the last {tenth}: {ms(percentile(values[-tenth:], 50))} ms"
    )


def result(name: str, values: Sequence[float], target: float, baseline: Sequence[float]) -> str:
    f, b = figures(values), figures(baseline)
    verdict = "ok" if f["p99"] <= target else "ABOVE TARGET"
    return (
        f"RESULT latency.{name}: p99={ms(f['p99'])}ms target<={target * 1000:g}ms ({verdict}) "
        f"p50={ms(f['p50'])}ms p95={ms(f['p95'])}ms max={ms(f['max'])}ms "
        f"baseline_p99={ms(b['p99'])}ms ratio={ratio(f['p99'], b['p99']):.1f} (p99 / raw parts p99, information)"
    )


def info(name: str, values: Sequence[float], note: str) -> str:
    f = figures(values)
    return (
        f"INFO latency.{name}: p50={ms(f['p50'])}ms p95={ms(f['p95'])}ms p99={ms(f['p99'])}ms "
        f"max={ms(f['max'])}ms n={f['n']:.0f} ({note})"
    )


# ------------------------------------------------------------------------------------------------ helpers


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def delete_receipt(run: str, i: int) -> tuple[str, Envelope, str]:
    """(topic, envelope, anomaly id) of one 删单 receipt as sync publishes it."""
    receipt = DeleteReceiptReceived(
        receipt_id=f"R-{run}-{i:07d}",
        entry_id=f"6101{i:014d}",
        notice_date=datetime.now(UTC),
        note="企业申请删单 (bench)",
        trade_name="上海关务示范贸易有限公司",
        ie_flag="E",
    )
    topic, envelope = envelope_for(receipt, source="/guanwu/sync", tenant=TENANT)
    return topic, envelope, deterministic_id("delete-receipt", TENANT, receipt.receipt_id)


async def readable(
    client: httpx.AsyncClient, anomaly_id: str, interval: float, deadline: float
) -> tuple[int, float]:
    """GET the record until it answers 200; (number of GETs, duration of the last one)."""
    gets = 0
    while True:
        started = time.perf_counter()
        response = await client.get(ANOMALY_URL.format(anomaly_id))
        gets += 1
        if response.status_code == 200:
            return gets, time.perf_counter() - started
        if response.status_code != 404:
            raise RuntimeError(f"GET {anomaly_id}: {response.status_code} {response.text[:300]}")
        if time.perf_counter() > deadline:
            raise TimeoutError(f"anomaly {anomaly_id} not readable after {gets} GETs")
        if interval:
            await asyncio.sleep(interval)


@dataclasses.dataclass
class Measured:
    total: list[float] = dataclasses.field(default_factory=list)
    publish: list[float] = dataclasses.field(default_factory=list)
    last_get: list[float] = dataclasses.field(default_factory=list)
    gets: int = 0
    ids: list[str] = dataclasses.field(default_factory=list)


async def one_at_a_time(
    publish: Any, client: httpx.AsyncClient, run: str, count: int, interval: float, timeout: float
) -> Measured:
    measured = Measured()
    for i in range(count):
        topic, envelope, anomaly_id = delete_receipt(run, i)
        t0 = time.perf_counter()
        await publish(topic, envelope)
        t1 = time.perf_counter()
        gets, last = await readable(client, anomaly_id, interval, t0 + timeout)
        measured.total.append(time.perf_counter() - t0)
        measured.publish.append(t1 - t0)
        measured.last_get.append(last)
        measured.gets += gets
        measured.ids.append(anomaly_id)
    return measured


async def stored_gets(client: httpx.AsyncClient, ids: Sequence[str]) -> list[float]:
    """GET of records that are there already, after a pause: the read alone, nothing else in flight."""
    await asyncio.sleep(1.0)
    out = []
    for anomaly_id in ids:
        t0 = time.perf_counter()
        response = await client.get(ANOMALY_URL.format(anomaly_id))
        response.raise_for_status()
        out.append(time.perf_counter() - t0)
    return out


async def http_round_trips(client: httpx.AsyncClient, count: int) -> list[float]:
    """GET /healthz: the HTTP part alone, on the same server."""
    out = []
    for _ in range(count):
        t0 = time.perf_counter()
        response = await client.get("/healthz")
        response.raise_for_status()
        out.append(time.perf_counter() - t0)
    return out


def anomaly_doc(envelope: Envelope, anomaly_id: str) -> dict[str, Any]:
    """About the record the anomaly service stores, for the raw baselines."""
    data = envelope.data
    return {
        "_id": anomaly_id,
        "anomaly_id": anomaly_id,
        "tenant": envelope.tenant,
        "category": "declaration",
        "document_no": data["entry_id"],
        "trade_name": data["trade_name"],
        "ie_flag": data["ie_flag"],
        "anomaly_type": "删单",
        "occurred_on": data["notice_date"][:10],
        "handling_status": "未处理",
        "reason": data["note"],
        "registered_at": data["notice_date"],
        "registered_by": "system",
        "source_receipt_id": data["receipt_id"],
        "_version": 1,
    }


# ------------------------------------------------------------------------------------------------ (a) embedded


class EmbeddedServer:
    """`build_embedded` under uvicorn on a loopback port, in this process and event loop; `client` carries a
    token from POST /api/auth/token with a local user."""

    def __init__(self, folder: Path, *, simulator: bool, tenants: list[str], poll_interval: float) -> None:
        import uvicorn

        from guanwu.cli.embedded import build_embedded
        from guanwu.platform.store.sqlite import SqliteDocumentStore

        self.system = build_embedded(
            SqliteDocumentStore(folder),
            SECRET,
            tenants=tenants,
            poll_interval_seconds=poll_interval,
            simulator=simulator,
        )
        self.port = free_port()
        self.server = uvicorn.Server(
            uvicorn.Config(self.system.app, host="127.0.0.1", port=self.port, log_level="warning")
        )
        self._task: asyncio.Task[None] | None = None
        self.client = httpx.AsyncClient()

    async def __aenter__(self) -> EmbeddedServer:
        from guanwu.platform.local_users import LocalUser

        self._task = asyncio.create_task(self.server.serve())
        while not self.server.started:
            if self._task.done():
                self._task.result()
                raise RuntimeError("uvicorn ended before it started")
            await asyncio.sleep(0.02)
        password = "bench-" + os.urandom(6).hex()
        await self.system.users.add(LocalUser(username="bench", tenant=TENANT, roles=["preparer"]), password)
        base = f"http://127.0.0.1:{self.port}"
        async with httpx.AsyncClient(base_url=base) as login:
            response = await login.post("/api/auth/token", json={"username": "bench", "password": password})
            response.raise_for_status()
        token = response.json()["access_token"]
        self.client = httpx.AsyncClient(
            base_url=base, headers={"Authorization": f"Bearer {token}"}, timeout=30
        )
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.client.aclose()
        self.server.should_exit = True
        if self._task is not None:
            await self._task


def raw_sqlite(path: Path, run: str, count: int) -> list[float]:
    """Insert + select by id of the record as JSON text, one at a time, with the store's pragmas."""
    conn = sqlite3.connect(path, isolation_level=None)
    try:
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=NORMAL")
        conn.execute("CREATE TABLE raw_anomalies (id TEXT PRIMARY KEY NOT NULL, doc TEXT NOT NULL)")
        out = []
        for i in range(count):
            _, envelope, anomaly_id = delete_receipt(f"{run}-raw", i)
            doc = anomaly_doc(envelope, anomaly_id)
            t0 = time.perf_counter()
            conn.execute(
                "INSERT INTO raw_anomalies (id, doc) VALUES (?, ?)",
                (anomaly_id, json.dumps(doc, ensure_ascii=False)),
            )
            row = conn.execute("SELECT doc FROM raw_anomalies WHERE id = ?", (anomaly_id,)).fetchone()
            json.loads(row[0])
            out.append(time.perf_counter() - t0)
        return out
    finally:
        conn.close()


async def run_embedded(args: argparse.Namespace, run: str, folder: Path) -> dict[str, Any]:
    async with EmbeddedServer(folder / "a", simulator=False, tenants=[], poll_interval=0.5) as server:
        publish = server.system.runtime.bus.publish
        await one_at_a_time(publish, server.client, f"{run}-warm", args.warm_up, 0.0, args.timeout)
        measured = await one_at_a_time(publish, server.client, run, args.receipts, 0.0, args.timeout)
        stored = await stored_gets(server.client, measured.ids[:200])
        health = await http_round_trips(server.client, min(args.receipts, 500))
    bare = await bare_fastapi(args.receipts)
    raw = raw_sqlite(folder / "raw.sqlite3", run, args.receipts)
    return {"measured": measured, "stored": stored, "health": health, "bare": bare, "raw": raw}


def bare_app() -> Any:
    """The HTTP floor: a bare FastAPI GET (no guanwu middleware, auth or store)."""
    from fastapi import FastAPI

    app = FastAPI()

    @app.get("/healthz")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/readyz")
    async def readyz() -> dict[str, str]:
        return {"status": "ok"}

    return app


async def bare_fastapi(count: int) -> list[float]:
    """GETs of the bare app under uvicorn in this process (as (a)'s server runs)."""
    import uvicorn

    port = free_port()
    server = uvicorn.Server(uvicorn.Config(bare_app(), host="127.0.0.1", port=port, log_level="warning"))
    task = asyncio.create_task(server.serve())
    try:
        while not server.started:
            await asyncio.sleep(0.02)
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as client:
            await http_round_trips(client, 20)
            return await http_round_trips(client, count)
    finally:
        server.should_exit = True
        await task


def serve_bare(port: int) -> None:
    """Child process: the bare app under uvicorn (as (b)'s service runs, in a process of its own)."""
    import uvicorn

    uvicorn.run(bare_app(), host="127.0.0.1", port=port, log_level="warning")


def together(raw: Sequence[float], http: Sequence[float]) -> list[float]:
    """The raw parts of one round trip added up: the i-th raw store/broker sample + the i-th bare GET."""
    return [r + http[i % len(http)] for i, r in enumerate(raw)]


# ------------------------------------------------------------------------------------------------ (b) distributed


class RenamedTopics:
    """A service's bus with every topic name (declared, subscribed to, published to) under a prefix."""

    def __init__(self, bus: Any, prefix: str) -> None:
        self._bus = bus
        self._prefix = prefix

    def __getattr__(self, name: str) -> Any:  # start, stop, ping, stalled_consumers, health
        return getattr(self._bus, name)

    def subscribe(self, subscription: Any) -> None:
        self._bus.subscribe(dataclasses.replace(subscription, topic=self._prefix + subscription.topic))

    def declare_topics(self, names: Sequence[str]) -> None:
        self._bus.declare_topics([self._prefix + t for t in names])

    async def publish(self, topic: str, envelope: Envelope) -> None:
        await self._bus.publish(self._prefix + topic, envelope)

    async def publish_many(self, items: Sequence[tuple[str, Envelope]]) -> None:
        await self._bus.publish_many([(self._prefix + t, e) for t, e in items])


def serve_service(service: str, env: dict[str, str], prefix: str) -> None:
    """Child process: `guanwu serve <service>`'s composition (`build_service_app`), topics renamed."""
    os.environ.update(env)
    import uvicorn

    from guanwu.cli.distributed import build_service_app

    app, settings = build_service_app(service)
    runtime = app.state.runtime
    runtime.bus = RenamedTopics(runtime.bus, prefix)
    uvicorn.run(app, host=settings.http.host, port=settings.http.port, log_level="warning")


class Cluster:
    """Service processes of this run (spawned) and the Single Window simulator (its own command)."""

    def __init__(self, args: argparse.Namespace, run: str, prefix: str, database_prefix: str) -> None:
        from guanwu.cli.cluster import Shared

        self.prefix = prefix
        self.shared = Shared(
            args.bootstrap, args.mongo_url, SECRET, database_prefix, deployment=f"bench-latency-{run}"
        )
        self._ctx = multiprocessing.get_context("spawn")
        self._services: list[multiprocessing.process.BaseProcess] = []
        self._popens: list[subprocess.Popen[bytes]] = []
        self.anomaly_url: str | None = None

    async def service(self, name: str, extra: dict[str, str] | None = None) -> str:
        from guanwu.cli.cluster import service_env

        port = free_port()
        env = service_env(name, self.shared, port, {"LOG_LEVEL": "WARNING", **(extra or {})})
        process = self._ctx.Process(target=serve_service, args=(name, env, self.prefix), daemon=True)
        process.start()
        self._services.append(process)
        url = f"http://127.0.0.1:{port}"
        await wait_ready(url, process.is_alive, name)
        return url

    async def anomaly(self) -> str:
        if self.anomaly_url is None:
            self.anomaly_url = await self.service("anomaly")
        return self.anomaly_url

    async def bare(self) -> str:
        port = free_port()
        process = self._ctx.Process(target=serve_bare, args=(port,), daemon=True)
        process.start()
        self._services.append(process)
        url = f"http://127.0.0.1:{port}"
        await wait_ready(url, process.is_alive, "bare FastAPI")
        return url

    async def simulator(self) -> str:
        from guanwu.cli.cluster import simulator_command

        port = free_port()
        popen = self._start(simulator_command(port))
        url = f"http://127.0.0.1:{port}"
        await wait_ready(url, lambda: popen.poll() is None, "simulator")
        return url

    def _start(self, command: list[str]) -> subprocess.Popen[bytes]:
        popen = subprocess.Popen(command, stdout=subprocess.DEVNULL)
        self._popens.append(popen)
        return popen

    def stop(self) -> None:
        for process in reversed(self._services):
            if process.is_alive():
                process.terminate()
        for process in reversed(self._services):
            process.join(timeout=30)
            if process.is_alive():
                process.kill()
                process.join()
        for popen in self._popens:
            popen.terminate()
            try:
                popen.wait(timeout=10)
            except subprocess.TimeoutExpired:
                popen.kill()
                popen.wait()


async def wait_ready(url: str, alive: Any, name: str, timeout: float = 180.0) -> None:
    deadline = time.monotonic() + timeout
    async with httpx.AsyncClient(base_url=url) as client:
        while time.monotonic() < deadline:
            if not alive():
                raise RuntimeError(f"{name} ended before it was ready")
            with contextlib.suppress(httpx.HTTPError):
                if (await client.get("/readyz", timeout=5)).status_code == 200:
                    return
            await asyncio.sleep(0.2)
    raise TimeoutError(f"{name} at {url} not ready after {timeout:g} s")


async def raw_kafka_mongo(
    args: argparse.Namespace, run: str, topic: str, database: str, count: int
) -> list[float]:
    """The same parts raw: send_and_wait (idempotent, acks=all) → this process's consumer has it →
    insert_one + find_one by `_id` on FerretDB. No commits, no HTTP."""
    admin = AIOKafkaAdminClient(bootstrap_servers=args.bootstrap)
    await admin.start()
    try:
        await admin.create_topics([NewTopic(topic, num_partitions=3, replication_factor=1)])
    finally:
        await admin.close()
    producer = AIOKafkaProducer(
        bootstrap_servers=args.bootstrap, enable_idempotence=True, acks="all", linger_ms=2
    )
    consumer = AIOKafkaConsumer(
        topic,
        bootstrap_servers=args.bootstrap,
        group_id=f"bench-latency-{run}-raw",
        auto_offset_reset="earliest",
        enable_auto_commit=False,
    )
    mongo: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(args.mongo_url)
    col = mongo[database]["raw_anomalies"]
    await producer.start()
    await consumer.start()
    try:

        async def once(run_tag: str, i: int) -> float:
            _, envelope, anomaly_id = delete_receipt(run_tag, i)
            value, key = envelope.to_json_bytes(), envelope.subject.encode()
            doc = anomaly_doc(envelope, anomaly_id)
            t0 = time.perf_counter()
            await producer.send_and_wait(topic, value, key=key)
            async with asyncio.timeout(args.timeout):
                while (await consumer.getone()).value != value:
                    pass
            await col.insert_one(doc)
            await col.find_one({"_id": anomaly_id})
            return time.perf_counter() - t0

        for i in range(args.warm_up):  # the first one waits for the group's assignment
            await once(f"{run}-raw-warm", i)
        return [await once(f"{run}-raw", i) for i in range(count)]
    finally:
        await consumer.stop()
        await producer.stop()
        await mongo.close()


async def run_distributed(args: argparse.Namespace, run: str, cluster: Cluster) -> dict[str, Any]:
    from guanwu.platform.auth import LocalTokenIssuer
    from guanwu.platform.bus.kafka import KafkaEventBus

    url = await cluster.anomaly()
    bus = KafkaEventBus(args.bootstrap, client_id=f"bench-latency-{run}")
    bus.declare_topics([cluster.prefix + topics.SYNC_EVENTS])
    await bus.start()
    token = LocalTokenIssuer(SECRET).issue("bench", TENANT, ["preparer"])
    try:
        async with httpx.AsyncClient(
            base_url=url, headers={"Authorization": f"Bearer {token}"}, timeout=30
        ) as client:

            async def publish(topic: str, envelope: Envelope) -> None:
                await bus.publish(cluster.prefix + topic, envelope)

            await one_at_a_time(publish, client, f"{run}-warm", args.warm_up, args.get_interval, 120.0)
            measured = await one_at_a_time(
                publish, client, run, args.receipts, args.get_interval, args.timeout
            )
            stored = await stored_gets(client, measured.ids[:200])
            health = await http_round_trips(client, min(args.receipts, 500))
    finally:
        await bus.stop()
    raw = await raw_kafka_mongo(
        args, run, f"{cluster.prefix}raw", f"{cluster.shared.database_prefix}_raw", args.receipts
    )
    async with httpx.AsyncClient(base_url=await cluster.bare()) as bare_client:
        await http_round_trips(bare_client, 20)
        bare = await http_round_trips(bare_client, args.receipts)
    return {"measured": measured, "stored": stored, "health": health, "bare": bare, "raw": raw}


# ------------------------------------------------------------------------------------------------ (c) feed


async def from_feed(
    inject: Any,
    client: httpx.AsyncClient,
    count: int,
    poll_interval: float,
    get_interval: float,
    timeout: float,
) -> Measured:
    """Each receipt after a random pause of 0–1 poll interval (see the module's docstring)."""
    measured = Measured()
    pauses = random.Random(count)
    for i in range(count):
        await asyncio.sleep(pauses.uniform(0, poll_interval))
        t0 = time.perf_counter()
        receipt_id = await inject(i)
        gets, last = await readable(
            client, deterministic_id("delete-receipt", TENANT, receipt_id), get_interval, t0 + timeout
        )
        measured.total.append(time.perf_counter() - t0)
        measured.last_get.append(last)
        measured.gets += gets
    return measured


def receipt_in(run: str, i: int) -> dict[str, Any]:
    return {
        "enterprise": TENANT,
        "entry_id": f"6102{i:014d}",
        "channel": "D",
        "note": f"海关删单 (bench {run})",
        "trade_name": "上海关务示范贸易有限公司",
        "ie_flag": "I",
    }


async def run_feed_embedded(args: argparse.Namespace, run: str, folder: Path) -> Measured:
    from guanwu.singlewindow_sim.state import ReceiptIn

    interval = args.poll_interval
    async with EmbeddedServer(
        folder / "c", simulator=True, tenants=[TENANT], poll_interval=interval
    ) as server:
        state = server.system.simulator
        assert state is not None

        async def inject(i: int) -> str:
            return (await state.add(ReceiptIn(**receipt_in(run, i)))).receipt_id

        await from_feed(inject, server.client, 3, interval, args.get_interval, 60.0)  # warm-up
        return await from_feed(
            lambda i: inject(1000 + i),
            server.client,
            args.feed_receipts,
            interval,
            args.get_interval,
            args.timeout,
        )


async def run_feed_distributed(args: argparse.Namespace, run: str, cluster: Cluster) -> Measured:
    from guanwu.cli.cluster import sync_upstream
    from guanwu.platform.auth import LocalTokenIssuer

    anomaly_url = await cluster.anomaly()
    simulator_url = await cluster.simulator()
    await cluster.service("sync", sync_upstream(simulator_url, [TENANT], args.poll_interval))
    token = LocalTokenIssuer(SECRET).issue("bench", TENANT, ["preparer"])
    async with (
        httpx.AsyncClient(base_url=simulator_url, timeout=30) as simulator,
        httpx.AsyncClient(
            base_url=anomaly_url, headers={"Authorization": f"Bearer {token}"}, timeout=30
        ) as client,
    ):

        async def inject(i: int) -> str:
            response = await simulator.post("/sim/receipts", json=receipt_in(run, i))
            response.raise_for_status()
            return str(response.json()["receipt_id"])

        await from_feed(inject, client, 3, args.poll_interval, args.get_interval, 120.0)  # warm-up
        return await from_feed(
            lambda i: inject(1000 + i),
            client,
            args.feed_receipts,
            args.poll_interval,
            args.get_interval,
            args.timeout,
        )


# ------------------------------------------------------------------------------------------------ main


async def cleanup(args: argparse.Namespace, database_prefix: str, topic_prefix: str) -> None:
    mongo: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(args.mongo_url)
    try:
        for name in await mongo.list_database_names():
            if name.startswith(database_prefix):
                await mongo.drop_database(name)
    finally:
        await mongo.close()
    admin = AIOKafkaAdminClient(bootstrap_servers=args.bootstrap)
    await admin.start()
    try:
        mine = [t for t in await admin.list_topics() if t.startswith(topic_prefix)]
        if mine:
            await admin.delete_topics(mine)
    finally:
        await admin.close()


def breakdown(measured: Measured, publish_note: str, start: str = "published") -> None:
    print(line(f"{start} → GET 200", measured.total))
    if measured.publish:
        print(line(f"  of which publish ({publish_note})", measured.publish))
    print(line("  of which the GET that answered 200", measured.last_get))
    print(f"  GETs per receipt: {measured.gets / len(measured.total):.2f} on average")
    print(trend(measured.total))


def report_part(name: str, part: dict[str, Any], server: str, raw_parts: str, bare_where: str) -> str:
    """Print the reference figures of part (a) or (b) beside its measurement; returns its RESULT line."""
    print(line(f"{server}: GET of a stored record, idle", part["stored"]))
    print(line(f"{server}: GET /healthz (no auth, no store)", part["health"]))
    print(line(f"raw: {raw_parts}", part["raw"]))
    print(line(f"raw: bare FastAPI GET (uvicorn, {bare_where})", part["bare"]))
    baseline = together(part["raw"], part["bare"])
    print(line("raw parts added up (the baseline)", baseline))
    target = TARGET_EMBEDDED_P99 if name == "embedded" else TARGET_DISTRIBUTED_P99
    return result(name, part["measured"].total, target, baseline)


async def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--receipts", type=int, default=1000, help="receipts of (a) and (b), one at a time")
    parser.add_argument("--feed-receipts", type=int, default=40, help="receipts of (c), each side")
    parser.add_argument("--poll-interval", type=float, default=0.5, help="sync's poll interval in (c), s")
    parser.add_argument(
        "--get-interval", type=float, default=0.005, help="pause between GETs while the record is missing, s"
    )
    parser.add_argument("--warm-up", type=int, default=20, help="receipts sent first and not counted")
    parser.add_argument("--only", default="embedded,distributed,feed", help="comma-separated parts to run")
    parser.add_argument("--bootstrap", default="127.0.0.1:9092")
    parser.add_argument("--mongo-url", default="mongodb://127.0.0.1:27017/")
    parser.add_argument("--timeout", type=float, default=30.0, help="per receipt, s")
    args = parser.parse_args()
    quiet_logging()
    parts = {p.strip() for p in args.only.split(",") if p.strip()}

    run = run_id()
    topic_prefix = f"bench.latency.{run}."
    database_prefix = f"bench_latency_{run.replace('-', '_')}"
    print(
        f"bench/latency.py  run={run}  {machine()}  broker={args.bootstrap}  store={args.mongo_url}  "
        f"SQLite {sqlite3.sqlite_version}"
    )
    print(
        f"{args.receipts} DeleteReceiptReceived one at a time (after {args.warm_up} not counted); GET "
        f"{ANOMALY_URL.format('<id>')} every {args.get_interval * 1000:g} ms until 200. Parts: {', '.join(sorted(parts))}"
    )
    summary: list[str] = []
    cluster = Cluster(args, run, topic_prefix, database_prefix)
    started = time.perf_counter()
    try:
        with tempfile.TemporaryDirectory(prefix="guanwu-bench-latency-") as tmp:
            folder = Path(tmp)
            if "embedded" in parts:
                with section(
                    "(a) embedded: build_embedded (SQLite + in-process bus) under uvicorn in this process, "
                    "GET over loopback TCP"
                ):
                    a = await run_embedded(args, run, folder)
                    breakdown(a["measured"], "handler runs inside it")
                    summary.append(
                        report_part(
                            "embedded", a, "same server", "sqlite3 insert + select by id", "this process"
                        )
                    )
            if "distributed" in parts:
                with section(
                    "(b) distributed: anomaly service in its own process (guanwu serve's composition, topics "
                    "renamed), Kafka + FerretDB"
                ):
                    b = await run_distributed(args, run, cluster)
                    breakdown(b["measured"], "KafkaEventBus, acks=all")
                    summary.append(
                        report_part(
                            "distributed",
                            b,
                            "same service",
                            "produce → consume → insert + find by _id",
                            "own process",
                        )
                    )
            if "feed" in parts:
                note = f"sync poll interval {args.poll_interval:g} s, random send phase"
                with section(
                    f"(c) embedded, from the simulator's feed: build_embedded(simulator=True), {note}"
                ):
                    ce = await run_feed_embedded(args, run, folder)
                    breakdown(ce, "", start="in the feed")
                    summary.append(info("feed.embedded", ce.total, note))
                with section(
                    f"(c) distributed, from the simulator's feed: simulator + sync + anomaly processes, {note}"
                ):
                    cd = await run_feed_distributed(args, run, cluster)
                    breakdown(cd, "", start="POST to the feed")
                    summary.append(info("feed.distributed", cd.total, note))
    finally:
        cluster.stop()
        try:
            async with asyncio.timeout(120):
                await cleanup(args, database_prefix, topic_prefix)
        except Exception as exc:  # TimeoutError included: report, do not hang the bench
            print(
                f"  WARNING: cleanup incomplete ({type(exc).__name__}: {exc}); left: databases "
                f"{database_prefix}_*, topics {topic_prefix}*"
            )
    with section(f"summary ({time.perf_counter() - started:.0f} s)"):
        for entry in summary:
            print(entry)


if __name__ == "__main__":
    asyncio.run(main())
