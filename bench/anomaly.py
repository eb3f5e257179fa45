"""异常状态登记 throughput: auto-registrations per second from DeleteReceiptReceived, embedded and distributed, next to
a raw baseline of the same run, and the statistics lag (event published → counted by GET /api/anomaly/statistics).

    uv run python bench/anomaly.py --receipts 2000 --distributed-receipts 1000

Registrations (the burst): N DeleteReceiptReceived envelopes as sync publishes them (one 删单 receipt each,
one declaration each) are published onto sync.events.v1 with the bus's `publish_many` in batches of `--batch`
(how sync's outbox relay hands them over), as fast as the bus takes them. Clock: the first publish → GET
/api/anomaly/anomalies?limit=1 says total == N more than before. Distributed, the total is asked only once
the service's /metrics says its group `anomaly.registration` handled N (and every `--total-every` s in case
it never says so): on FerretDB a total is a scan of the tenant's rows.

Statistics lag: a sample of the receipts (one every `--lag-every` of the burst, and every receipt of the paced
phase) carries a 回执时间 (NOTICE_DATE, the record's 发生日期) in a month of its own, years back (2001-01,
2001-02, …; the others are dated now), so one GET /api/anomaly/statistics (every `--stats-interval` s while
any is outstanding) tells which of them are counted: lag = the GET that first shows its month counted
answered − its batch's publish was called. Two figures: (1) during the burst, where the lag is mostly the
queue of the burst ahead of it (the last sample waits for almost all of N), and (2) paced: `--paced` receipts
at `--paced-rate`/s after the burst, each a sample, the lag of one event when the path is not backed up. The
poll interval adds 0–1 interval (the printed GET durations are part of each figure too).

Embedded — what `guanwu up` runs: `build_embedded` (every service, SQLite in a temporary folder, in-process
bus) under uvicorn on a loopback port in this process and event loop (the in-process bus takes events only
from inside its process; it runs the registration handler inside `publish_many`); the anomaly service counts
the statistics itself (group `anomaly.statistics` on anomaly.events.v1 → `anomaly_statistics`) from the
AnomalyRegistered events its outbox relay publishes. Token from POST /api/auth/token with a local user.
Baseline: the same record documents as JSON text (`json.dumps` inside the clock) inserted with plain `sqlite3`
in one transaction per batch of `--batch` (the handler writes a batch with one `insert_many`), the store's
pragmas (WAL, synchronous=NORMAL), into a file of its own.

Distributed — the anomaly service (`guanwu serve anomaly`'s composition, GUANWU_ANOMALY_STATISTICS=stream: its
API reads the stream's snapshots) and the statistics stream (`guanwu serve anomaly-statistics`: a faust
table with a changelog topic, snapshots every `--snapshot-seconds` into the anomaly database) each in a
process of its own, on Kafka and FerretDB, every topic renamed under the run's prefix (`bench.anomaly.<run>.`;
the stream's source topic by renaming the contract's constant in its process), consumer groups under the
deployment `bench-anomaly-<run>`; the bench publishes with a `KafkaEventBus` and GETs with a token minted with
the shared secret. Baseline: the same payload bytes (serialised before the clock) sent with an
`AIOKafkaProducer` (idempotent, acks=all, linger 2 ms) in the same batches (send + gather), consumed by an
`AIOKafkaConsumer` in this process that `insert_many`s the same record documents into FerretDB, one call per
poll; clock: first send → N inserted.

Each side is warmed up first (receipts of the run not counted, through statistics, so that groups are assigned
and the stream has its partitions). Printed beside the figures: the publish side alone, CPU of each process
over the burst (and of Kafka, FerretDB and PostgreSQL, and of the whole machine: it is shared, 2 cores), and a
check that the statistics total equals the records' total at the end. Targets (this bench's own: the issue
names none): registrations ≥ 0.5× the raw baseline, paced lag p99 ≤ 100 ms embedded and ≤ 2 s distributed
(one snapshot interval of 1 s plus the path); printed, never asserted. Fresh SQLite folders, databases
(`bench_anomaly_<run>_*`), topics (`bench.anomaly.<run>.*`, the stream's `bench-anomaly-<run>.*`) per run,
removed at the end (empty consumer groups expire with the broker's offsets retention, as the other benches').
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import multiprocessing
import os
import sqlite3
import tempfile
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import httpx
from _common import machine, quiet_logging, rate, ratio, run_id, section
from latency import (
    TENANT,
    EmbeddedServer,
    anomaly_doc,
    figures,
    free_port,
    ms,
    serve_service,
    wait_ready,
)
from pymongo import AsyncMongoClient
from sync import CpuWindow, infra_pids, profiled

from guanwu.contracts import topics
from guanwu.contracts.envelope import Envelope
from guanwu.contracts.events import DeleteReceiptReceived
from guanwu.platform.events import envelope_for
from guanwu.platform.idempotency import deterministic_id

SECRET = "bench-anomaly-secret-" + "a" * 32
TARGET_RATIO = 0.5
TARGET_LAG_P99 = {"embedded": 0.100, "distributed": 2.0}
REGISTRATION_GROUP = "anomaly.registration"
CONSUMED = "guanwu_bus_messages_consumed_total"
Publish = Callable[[Sequence[tuple[str, Envelope]]], Awaitable[None]]

# ------------------------------------------------------------------------------------------------ receipts


def marker_month(k: int) -> date:
    """The k-th sample's month of its own: 2001-01, 2001-02, … (no receipt of the run is dated there)."""
    return date(2001 + k // 12, k % 12 + 1, 15)


@dataclass(frozen=True)
class Receipt:
    topic: str
    envelope: Envelope
    doc: dict[str, Any]  # about the record the service stores, for the raw baselines
    month: str | None  # YYYY-MM when the receipt is a lag sample


def receipt(run: str, i: int, marker: int | None = None) -> Receipt:
    """A 删单 receipt as sync publishes it; a sample (marker k) is dated in a month of its own."""
    if marker is None:
        notice, month = datetime.now(UTC), None
    else:
        day = marker_month(marker)
        notice, month = datetime(day.year, day.month, day.day, 9, tzinfo=UTC), f"{day:%Y-%m}"
    event = DeleteReceiptReceived(
        receipt_id=f"R-{run}-{i:07d}",
        entry_id=f"6103{i:014d}",
        notice_date=notice,
        note="企业申请删单 (bench)",
        trade_name="上海关务示范贸易有限公司",
        ie_flag="E",
    )
    topic, envelope = envelope_for(event, source="/guanwu/sync", tenant=TENANT)
    doc = anomaly_doc(envelope, deterministic_id("delete-receipt", TENANT, event.receipt_id))
    return Receipt(topic, envelope, doc, month)


class Markers:
    """Hands out the sample months of a side (one sequence per side, so no two samples share a month)."""

    def __init__(self) -> None:
        self.next = 0

    def take(self) -> int:
        self.next += 1
        return self.next - 1


def markers_of(receipts: Sequence[Receipt]) -> list[str]:
    return [r.month for r in receipts if r.month]


def burst_receipts(run: str, n: int, every: int, markers: Markers) -> list[Receipt]:
    return [receipt(run, i, markers.take() if i % every == every - 1 else None) for i in range(n)]


# ------------------------------------------------------------------------------------------------ the lag probe


class LagProbe:
    """Polls GET /api/anomaly/statistics while samples are outstanding; a sample's lag ends with the first
    answer that counts its month."""

    def __init__(self, client: httpx.AsyncClient, interval: float) -> None:
        self._client = client
        self._interval = interval
        self.pending: dict[str, float] = {}
        self.lags: dict[str, float] = {}
        self.gets: list[float] = []
        self.last: dict[str, Any] = {}
        self.totals: list[tuple[float, int]] = []  # (when answered, the statistics' total)
        self._task: asyncio.Task[None] | None = None
        self._stop = False

    def published(self, months: Sequence[str], at: float) -> None:
        for month in months:
            self.pending[month] = at

    async def statistics(self) -> dict[str, Any]:
        t0 = time.perf_counter()
        response = await self._client.get("/api/anomaly/statistics")
        if response.status_code != 200:
            raise RuntimeError(f"GET statistics: {response.status_code} {response.text[:300]}")
        self.gets.append(time.perf_counter() - t0)
        self.last = dict(response.json())
        self.totals.append((time.perf_counter(), int(self.last["total"])))
        return self.last

    async def _poll(self) -> None:
        while not self._stop:
            if self.pending:
                stats = await self.statistics()
                now = time.perf_counter()
                counted = {c["value"] for c in stats["by_month"] if c["count"] > 0}
                for month in [m for m in self.pending if m in counted]:
                    self.lags[month] = now - self.pending.pop(month)
            await asyncio.sleep(self._interval)

    def __enter__(self) -> LagProbe:
        self._task = asyncio.create_task(self._poll())
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop = True
        if self._task is not None:
            self._task.cancel()

    async def counted(self, months: Sequence[str], stall: float) -> list[float]:
        """Wait until every month is counted (gives up after `stall` s without one more); their lags."""
        moved, left = time.perf_counter(), len(self.pending)
        while any(m in self.pending for m in months):
            if self._task is not None and self._task.done():
                self._task.result()
            if len(self.pending) != left:
                moved, left = time.perf_counter(), len(self.pending)
            elif time.perf_counter() - moved > stall:
                raise TimeoutError(f"{left} samples not counted after {stall:g} s without progress")
            await asyncio.sleep(0.01)
        return [self.lags[m] for m in months]


# ------------------------------------------------------------------------------------------------ /metrics

STATISTICS_GROUP = "anomaly.statistics"  # embedded only: the service counts the statistics itself
RELAYED = "guanwu_outbox_relayed_total"
PENDING = "guanwu_outbox_pending_documents"  # a gauge: documents the relay's last pass saw pending


def _add(out: dict[str, float], name: str, labels: dict[str, str], value: float) -> None:
    if name == CONSUMED and labels.get("outcome") == "handled":
        group = labels.get("group", "")
        if group.endswith(REGISTRATION_GROUP):
            out["registered"] += value
        elif group.endswith(STATISTICS_GROUP):
            out["counted"] += value
    elif name == RELAYED and labels.get("collection") == "anomaly_records":
        out["relayed"] += value
    elif name == PENDING and labels.get("collection") == "anomaly_records":
        out["pending"] = value


async def service_counters(client: httpx.AsyncClient) -> dict[str, int]:
    """From the anomaly service's /metrics: events its registration group (and, embedded, its statistics
    group) handled, and AnomalyRegistered relayed from `anomaly_records` (any deployment prefix)."""
    from prometheus_client.parser import text_string_to_metric_families

    response = await client.get("/metrics")
    response.raise_for_status()
    out = {"registered": 0.0, "relayed": 0.0, "counted": 0.0, "pending": 0.0}
    for family in text_string_to_metric_families(response.text):
        for sample in family.samples:
            _add(out, sample.name, sample.labels, sample.value)
    return {k: int(v) for k, v in out.items()}


async def local_counters() -> dict[str, int]:
    """The same counters read in this process (embedded): rendering and parsing /metrics of every service
    on each sample cost the process as much as a tenth of the burst."""
    from guanwu.platform import metrics

    out = {"registered": 0.0, "relayed": 0.0, "counted": 0.0, "pending": 0.0}
    for counter in (metrics.CONSUMED, metrics.OUTBOX_RELAYED, metrics.OUTBOX_PENDING_DOCUMENTS):
        for family in counter.collect():
            for sample in family.samples:
                _add(out, sample.name, sample.labels, sample.value)
    return {k: int(v) for k, v in out.items()}


class Progress:
    """Samples the service's counters every `interval` s while the burst goes through (stage rates)."""

    def __init__(self, counters: Callable[[], Awaitable[dict[str, int]]], interval: float) -> None:
        self._counters = counters
        self._interval = interval
        self.samples: list[tuple[float, dict[str, int]]] = []
        self._task: asyncio.Task[None] | None = None

    async def _run(self) -> None:
        while True:
            self.samples.append((time.perf_counter(), await self._counters()))
            await asyncio.sleep(self._interval)

    def start(self) -> None:
        self._task = asyncio.create_task(self._run())

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task


def reached(points: Sequence[tuple[float, int]], count: float) -> float | None:
    return next((t for t, v in points if v >= count), None)


def stage_lines(
    t0: float,
    n: int,
    before: Before,
    progress: Progress,
    statistics: Sequence[tuple[float, int]],
    embedded: bool,
) -> list[str]:
    """When each stage had the burst's n (seconds from the first publish) and its rate from 10 % to 90 %."""
    first = before.counters
    stages: list[tuple[str, list[tuple[float, int]]]] = [
        (
            f"{name} ({label})",
            [(t - t0, counters[name] - first.get(name, 0)) for t, counters in progress.samples],
        )
        for name, label in (
            ("registered", "handled by anomaly.registration"),
            ("relayed", "AnomalyRegistered relayed by the outbox"),
            ("counted", "handled by anomaly.statistics"),
        )
        if embedded or name != "counted"
    ]
    base = before.statistics
    stages.append(
        (
            "statistics total (GET /api/anomaly/statistics)",
            [(t - t0, v - base) for t, v in statistics if t >= t0],
        )
    )
    lines = [f"  {'stage':<60} {'reached N at':>12} {'10→90 % rate':>13}"]
    for label, points in stages:
        at = reached(points, n)
        low, high = reached(points, 0.1 * n), reached(points, 0.9 * n)
        middle = (
            f"{0.8 * n / (high - low):,.0f}/s" if low is not None and high is not None and high > low else "-"
        )
        lines.append(f"  {label:<60} {'-' if at is None else f'{at:.2f} s':>12} {middle:>13}")
    return lines


def timeline(
    t0: float, before: Before, progress: Progress, statistics: Sequence[tuple[float, int]], rows: int = 12
) -> list[str]:
    """The counters over time since the first publish (a stall shows as a row that stops moving)."""
    samples = progress.samples
    step = max(1, len(samples) // rows)
    chosen = [*samples[::step][: rows - 1], samples[-1]] if len(samples) > rows else list(samples)
    out = [
        f"  {'t':>8} {'registered':>10} {'relayed':>8} {'pending':>8} {'counted':>8} {'statistics':>10}"
        "   (since the first publish; pending: documents the relay's last pass saw with events)"
    ]
    for t, c in chosen:
        total = next((v for when, v in reversed(statistics) if when <= t), before.statistics)
        out.append(
            f"  {t - t0:>7.2f}s {c['registered'] - before.counters['registered']:>10} "
            f"{c['relayed'] - before.counters['relayed']:>8} {c['pending']:>8} "
            f"{c['counted'] - before.counters['counted']:>8} {total - before.statistics:>10}"
        )
    return out


# ------------------------------------------------------------------------------------------------ a side


@dataclass
class Side:
    """What a side (embedded or distributed) needs: a publisher, the anomaly API, a registrations counter."""

    publish_many: Publish
    client: httpx.AsyncClient
    embedded: bool

    async def counters(self) -> dict[str, int]:
        return await (local_counters() if self.embedded else service_counters(self.client))

    async def handled(self) -> int:
        """Events the registration group handled so far (/metrics)."""
        return (await self.counters())["registered"]

    async def total(self) -> int:
        response = await self.client.get("/api/anomaly/anomalies", params={"limit": 1})
        response.raise_for_status()
        return int(response.json()["total"])


@dataclass
class Measured:
    n: int
    seconds: float
    published_seconds: float
    burst_lags: list[float]
    paced_lags: list[float]
    stats_gets: list[float]
    idle_gets: list[float]
    cpu: CpuWindow
    check: str
    stages: list[str]
    registered: Registered

    @property
    def rate(self) -> float:
        return float(rate(self.n, self.seconds))


async def publish_in_batches(
    side: Side, receipts: Sequence[Receipt], batch: int, probe: LagProbe | None
) -> None:
    for start in range(0, len(receipts), batch):
        chunk = receipts[start : start + batch]
        months = [r.month for r in chunk if r.month]
        if probe is not None and months:
            probe.published(months, time.perf_counter())
        await side.publish_many([(r.topic, r.envelope) for r in chunk])
        await asyncio.sleep(0)  # let the relay, the consumers and the probe run between batches


@dataclass(frozen=True)
class Before:
    """Where the service stood before a burst: the API's total, its counters, the statistics' total."""

    total: int
    counters: dict[str, int]
    statistics: int


async def before_burst(side: Side, probe: LagProbe) -> Before:
    counters = await side.counters()
    return Before(await side.total(), counters, int((await probe.statistics())["total"]))


@dataclass(frozen=True)
class Registered:
    at: float  # perf_counter when the registration group's counter said n more
    total_get: float  # how long the confirming GET of the total took, s
    asked: int  # totals asked


async def wait_registered(side: Side, before: Before, n: int, args: argparse.Namespace) -> Registered:
    """Samples /metrics until the registration group handled n more (its counter moves after the write):
    the clock stops as that answer comes. Then the API's total must say n more (asked then, and every
    `--total-every` s before in case the counter never says so: on FerretDB a total is a scan)."""
    asked, asked_at = 0, time.perf_counter()
    moved_at, last, done_at = asked_at, -1, None
    while True:
        now = time.perf_counter()
        handled = (await side.handled()) - before.counters["registered"]
        if handled >= n and done_at is None:
            done_at = time.perf_counter()
        if done_at is not None or now - asked_at >= args.total_every:
            t = time.perf_counter()
            total, asked, asked_at = await side.total(), asked + 1, now
            total_get = time.perf_counter() - t
            if total - before.total >= n:
                return Registered(done_at or time.perf_counter(), total_get, asked)
            if done_at is not None:
                print(f"  WARNING: the counter says {handled} handled, the total {total - before.total}")
            handled = max(handled, total - before.total)
        if handled != last:
            moved_at, last = now, handled
        elif now - moved_at > args.stall_seconds:
            raise TimeoutError(f"registrations stalled at {handled}/{n} for {args.stall_seconds:g} s")
        await asyncio.sleep(args.sample_interval)


async def warm_up(side: Side, run: str, args: argparse.Namespace, markers: Markers, probe: LagProbe) -> None:
    """Receipts through registration and statistics, not counted (groups assigned, first calls made)."""
    t0 = time.perf_counter()
    receipts = burst_receipts(f"{run}-warm", args.warm_up, max(1, args.warm_up), markers)
    before = await before_burst(side, probe)
    await publish_in_batches(side, receipts, args.batch, probe)
    await wait_registered(side, before, len(receipts), args)
    await probe.counted([r.month for r in receipts if r.month], stall=240.0)
    print(
        f"  warm-up: {len(receipts)} receipts registered and counted in {time.perf_counter() - t0:.2f} s "
        "(not counted)"
    )


async def measure(side: Side, run: str, n: int, args: argparse.Namespace, cpu: CpuWindow) -> Measured:
    markers = Markers()
    with LagProbe(side.client, args.stats_interval) as probe:
        await warm_up(side, run, args, markers, probe)
        receipts = burst_receipts(run, n, args.lag_every, markers)
        before = await before_burst(side, probe)
        probe.gets.clear()
        progress = Progress(side.counters, args.progress_interval)
        progress.start()
        with cpu, profiled(args.profile if side.embedded else None):
            t0 = time.perf_counter()
            await publish_in_batches(side, receipts, args.batch, probe)
            published = time.perf_counter() - t0
            registered = await wait_registered(side, before, n, args)
        try:
            burst = await probe.counted(markers_of(receipts), args.stall_seconds)
            await asyncio.sleep(2 * args.progress_interval)
        finally:
            await progress.stop()
            stages = stage_lines(t0, n, before, progress, probe.totals, side.embedded)
            stages += timeline(t0, before, progress, probe.totals)
            if len(probe.lags) < len(markers_of(receipts)) + 1:  # gave up: show where it stood
                print("\n".join(stages))
        paced = await paced_lags(side, run, args, markers, probe)
        check = await statistics_check(side, probe)
        gets = list(probe.gets)
        probe.gets.clear()
        for _ in range(50):  # the same GET when nothing else is in flight
            await probe.statistics()
        idle = list(probe.gets)
    return Measured(
        n, registered.at - t0, published, burst, paced, gets, idle, cpu, check, stages, registered
    )


async def paced_lags(
    side: Side, run: str, args: argparse.Namespace, markers: Markers, probe: LagProbe
) -> list[float]:
    """`--paced` receipts, each a sample, one every 1/`--paced-rate` s (the path not backed up)."""
    await asyncio.sleep(args.settle)
    receipts = [receipt(f"{run}-paced", i, markers.take()) for i in range(args.paced)]
    gap = 1.0 / args.paced_rate
    start = time.perf_counter()
    for i, r in enumerate(receipts):
        await asyncio.sleep(max(0.0, start + i * gap - time.perf_counter()))
        await publish_in_batches(side, [r], 1, probe)
    return await probe.counted([r.month for r in receipts if r.month], args.stall_seconds)


async def statistics_check(side: Side, probe: LagProbe) -> str:
    """The statistics' total against the records' (every record of the tenant should be counted once)."""
    records = await side.total()
    for _ in range(100):  # the last snapshot may be one interval behind
        counted = (await probe.statistics())["total"]
        if counted == records:
            return f"statistics total {counted} == records {records} ✓"
        await asyncio.sleep(0.1)
    return f"WARNING: statistics total {counted} != records {records}"


def lag_line(name: str, values: Sequence[float]) -> str:
    if not values:
        return f"  {name:<52} (no samples)"
    f = figures(values)
    return (
        f"  {name:<52} p50 {ms(f['p50']):>8} ms  p99 {ms(f['p99']):>8} ms  max {ms(f['max']):>8} ms  "
        f"(n={f['n']:.0f})"
    )


def print_measured(m: Measured, raw: Raw, args: argparse.Namespace) -> None:
    print(
        f"  guanwu: {m.n} receipts registered after {m.seconds:.2f} s = {m.rate:,.0f}/s "
        f"(publish_many alone took {m.published_seconds:.2f} s = {rate(m.n, m.published_seconds):,.0f}/s; "
        f"the confirming GET of the total took {m.registered.total_get * 1000:.0f} ms, totals asked "
        f"{m.registered.asked}×)"
    )
    raw.print()
    print(f"  ratio guanwu / raw: {ratio(m.rate, raw.rate):.2f}")
    print(f"  {m.cpu.line()}")
    for entry in m.stages:
        print(entry)
    print(lag_line(f"statistics lag during the burst (1 in {args.lag_every})", m.burst_lags))
    print(lag_line(f"statistics lag paced ({args.paced} at {args.paced_rate:g}/s)", m.paced_lags))
    print(lag_line(f"  GET /api/anomaly/statistics (polled every {args.stats_interval:g} s)", m.stats_gets))
    print(lag_line("  the same GET, idle", m.idle_gets))
    print(f"  {m.check}")


# ------------------------------------------------------------------------------------------------ raw baselines


@dataclass
class Raw:
    name: str
    n: int
    seconds: float
    doc_bytes: float

    @property
    def rate(self) -> float:
        return float(rate(self.n, self.seconds))

    def print(self) -> None:
        print(
            f"  raw {self.name}: {self.n} in {self.seconds:.2f} s = {self.rate:,.0f}/s "
            f"(record documents of {self.doc_bytes:,.0f} B as JSON)"
        )


def doc_bytes(receipts: Sequence[Receipt]) -> float:
    sample = receipts[:200]
    return sum(len(json.dumps(r.doc, ensure_ascii=False).encode()) for r in sample) / len(sample)


def raw_sqlite(path: Path, receipts: Sequence[Receipt], batch: int) -> Raw:
    """Plain sqlite3, the store's pragmas, one transaction per batch of INSERTs of the records as JSON text."""
    conn = sqlite3.connect(path, isolation_level=None)
    try:
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=NORMAL")
        conn.execute("CREATE TABLE raw_anomalies (id TEXT PRIMARY KEY NOT NULL, doc TEXT NOT NULL)")
        sql = "INSERT INTO raw_anomalies (id, doc) VALUES (?, ?)"
        conn.execute(sql, ("warm-up", "{}"))
        t0 = time.perf_counter()
        for start in range(0, len(receipts), batch):
            conn.execute("BEGIN")
            conn.executemany(
                sql,
                [
                    (r.doc["_id"], json.dumps(r.doc, ensure_ascii=False, separators=(",", ":")))
                    for r in receipts[start : start + batch]
                ],
            )
            conn.execute("COMMIT")
        seconds = time.perf_counter() - t0
        stored = conn.execute("SELECT count(*) FROM raw_anomalies").fetchone()[0]
    finally:
        conn.close()
    if stored != len(receipts) + 1:
        print(f"  WARNING: {stored} raw rows, expected {len(receipts) + 1}")
    name = f"sqlite3 INSERT, a transaction per {batch}"
    return Raw(name, len(receipts), seconds, doc_bytes(receipts))


async def raw_kafka_mongo(
    args: argparse.Namespace, run: str, topic: str, database: str, receipts: Sequence[Receipt]
) -> Raw:
    """Same payload bytes produced in the same batches; consumed and insert_many'd into FerretDB per poll."""
    from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
    from aiokafka.admin import AIOKafkaAdminClient, NewTopic

    admin = AIOKafkaAdminClient(bootstrap_servers=args.bootstrap)
    await admin.start()
    try:
        await admin.create_topics([NewTopic(topic, num_partitions=3, replication_factor=1)])
    finally:
        await admin.close()
    messages = [(r.envelope.to_json_bytes(), r.envelope.subject.encode()) for r in receipts]
    docs = {value: r.doc for (value, _), r in zip(messages, receipts, strict=True)}
    producer = AIOKafkaProducer(
        bootstrap_servers=args.bootstrap, enable_idempotence=True, acks="all", linger_ms=2
    )
    consumer = AIOKafkaConsumer(
        topic,
        bootstrap_servers=args.bootstrap,
        group_id=f"bench-anomaly-{run}-raw",
        auto_offset_reset="earliest",
        enable_auto_commit=False,
    )
    mongo: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(args.mongo_url)
    collection = mongo[database]["raw_anomalies"]
    await producer.start()
    await consumer.start()
    try:
        await producer.send_and_wait(topic, b"warm-up", key=b"warm-up")
        async with asyncio.timeout(60):  # the group's assignment
            while (await consumer.getone()).value != b"warm-up":
                pass
        await collection.insert_one({"_id": "warm-up"})

        async def consume() -> None:
            inserted = 0
            while inserted < len(messages):
                polled = await consumer.getmany(timeout_ms=100, max_records=args.batch)
                batch = [docs[m.value] for records in polled.values() for m in records if m.value in docs]
                if batch:
                    await collection.insert_many(batch, ordered=False)
                    inserted += len(batch)

        t0 = time.perf_counter()
        consuming = asyncio.create_task(consume())
        for start in range(0, len(messages), args.batch):
            sent = [
                await producer.send(topic, value, key=key)
                for value, key in messages[start : start + args.batch]
            ]
            await asyncio.gather(*sent)
        async with asyncio.timeout(args.stall_seconds * 4):
            await consuming
        seconds = time.perf_counter() - t0
        stored = await collection.count_documents({})
    finally:
        await consumer.stop()
        await producer.stop()
        await mongo.close()
    if stored != len(receipts) + 1:
        print(f"  WARNING: {stored} raw documents, expected {len(receipts) + 1}")
    name = f"aiokafka produce → consume → pymongo insert_many per poll (≤ {args.batch})"
    return Raw(name, len(receipts), seconds, doc_bytes(receipts))


# ------------------------------------------------------------------------------------------------ embedded


async def run_embedded(args: argparse.Namespace, run: str, folder: Path) -> tuple[Raw, Measured]:
    raw = raw_sqlite(
        folder / "raw.sqlite3", burst_receipts(f"{run}-raw", args.receipts, 1, Markers()), args.batch
    )
    async with EmbeddedServer(
        folder / "guanwu", simulator=False, tenants=[TENANT], poll_interval=0.5
    ) as server:
        bus = server.system.runtime.bus

        side = Side(bus.publish_many, server.client, embedded=True)
        cpu = CpuWindow({"this process": [os.getpid()]})
        measured = await measure(side, f"{run}-e", args.receipts, args, cpu)
    return raw, measured


# ------------------------------------------------------------------------------------------------ distributed


def serve_stream(env: dict[str, str], prefix: str) -> None:
    """Child process: `guanwu serve anomaly-statistics`, its source topic (the contract's constant, which the
    faust app reads) renamed under the run's prefix as the services' bus topics are."""
    setattr(topics, "ANOMALY_EVENTS", prefix + topics.ANOMALY_EVENTS)  # noqa: B010  (a Final constant)
    serve_service("anomaly-statistics", env, prefix)


class Services:
    """The anomaly service (statistics read from the stream's snapshots) and the statistics stream."""

    def __init__(self, args: argparse.Namespace, run: str) -> None:
        from guanwu.cli.cluster import Shared

        self.prefix = f"bench.anomaly.{run}."
        self.deployment = f"bench-anomaly-{run}"
        self.database_prefix = database_root(run)
        self.shared = Shared(args.bootstrap, args.mongo_url, SECRET, self.database_prefix, self.deployment)
        self.args = args
        self._ctx = multiprocessing.get_context("spawn")
        self.processes: dict[str, multiprocessing.process.BaseProcess] = {}
        self.urls: dict[str, str] = {}

    async def start(self) -> None:
        from guanwu.cli.cluster import STATISTICS, STATISTICS_BY_STREAM, service_env, statistics_stream

        quiet = {"LOG_LEVEL": "WARNING"}
        snapshot = {"SNAPSHOT_SECONDS": f"{self.args.snapshot_seconds:g}"}
        members: list[tuple[str, Callable[..., None], tuple[Any, ...]]] = []
        port = free_port()
        env = service_env("anomaly", self.shared, port, {**quiet, **STATISTICS_BY_STREAM})
        members.append(("anomaly", serve_service, ("anomaly", env, self.prefix)))
        self.urls["anomaly"] = f"http://127.0.0.1:{port}"
        port = free_port()
        env = service_env(
            STATISTICS, self.shared, port, {**quiet, **statistics_stream(self.shared), **snapshot}
        )
        members.append((STATISTICS, serve_stream, (env, self.prefix)))
        self.urls[STATISTICS] = f"http://127.0.0.1:{port}"
        for name, target, target_args in members:
            process = self._ctx.Process(target=target, args=target_args, daemon=True)
            process.start()
            self.processes[name] = process
        for name, started in self.processes.items():
            await wait_ready(self.urls[name], started.is_alive, name)

    def pids(self) -> dict[str, list[int]]:
        return {name: [int(p.pid or 0)] for name, p in self.processes.items()}

    def stop(self) -> None:
        for process in self.processes.values():
            if process.is_alive():
                process.terminate()
        for process in self.processes.values():
            process.join(timeout=30)
            if process.is_alive():
                process.kill()
                process.join()


def database_root(run: str) -> str:
    return f"bench_anomaly_{run.replace('-', '_')}"


async def run_distributed(args: argparse.Namespace, run: str) -> tuple[Raw, Measured]:
    from guanwu.platform.auth import LocalTokenIssuer
    from guanwu.platform.bus.kafka import KafkaEventBus

    services = Services(args, run)
    raw_receipts = burst_receipts(f"{run}-raw", args.distributed_receipts, 1, Markers())
    raw = await raw_kafka_mongo(
        args, run, f"{services.prefix}raw", f"{services.database_prefix}_raw", raw_receipts
    )
    bus = KafkaEventBus(args.bootstrap, client_id=f"bench-anomaly-{run}")
    bus.declare_topics([services.prefix + topics.SYNC_EVENTS])
    token = LocalTokenIssuer(SECRET).issue("bench", TENANT, ["preparer"])
    try:
        await services.start()
        await bus.start()
        async with httpx.AsyncClient(
            base_url=services.urls["anomaly"], headers={"Authorization": f"Bearer {token}"}, timeout=60
        ) as client:

            async def publish_many(items: Sequence[tuple[str, Envelope]]) -> None:
                await bus.publish_many([(services.prefix + t, e) for t, e in items])

            side = Side(publish_many, client, embedded=False)
            cpu = CpuWindow({"bench process": [os.getpid()], **services.pids(), **infra_pids()})
            measured = await measure(side, f"{run}-d", args.distributed_receipts, args, cpu)
    finally:
        await bus.stop()
        services.stop()
    return raw, measured


async def cleanup(args: argparse.Namespace, run: str) -> None:
    from aiokafka.admin import AIOKafkaAdminClient

    mongo: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(args.mongo_url)
    try:
        for name in await mongo.list_database_names():
            if name.startswith(database_root(run)):
                await mongo.drop_database(name)
    finally:
        await mongo.close()
    admin = AIOKafkaAdminClient(bootstrap_servers=args.bootstrap)
    await admin.start()
    try:
        prefixes = (f"bench.anomaly.{run}.", f"bench-anomaly-{run}.")
        mine = [t for t in await admin.list_topics() if t.startswith(prefixes)]
        if mine:
            await admin.delete_topics(mine)
    finally:
        await admin.close()


# ------------------------------------------------------------------------------------------------ summary


def summary_lines(side: str, raw: Raw, m: Measured, args: argparse.Namespace) -> list[str]:
    value = ratio(m.rate, raw.rate)
    verdict = "ok" if value >= TARGET_RATIO else "BELOW TARGET"
    lines = [
        f"RESULT anomaly.{side}.registrations: ratio={value:.2f} target>={TARGET_RATIO:.1f} ({verdict}) "
        f"adapter={m.rate:,.0f}/s baseline={raw.rate:,.0f}/s (N={m.n}; baseline {raw.name})"
    ]
    target = TARGET_LAG_P99[side]
    if m.paced_lags:
        f = figures(m.paced_lags)
        verdict = "ok" if f["p99"] <= target else "ABOVE TARGET"
        lines.append(
            f"RESULT anomaly.{side}.statistics_lag: p99={ms(f['p99'])}ms target<={target * 1000:g}ms ({verdict}) "
            f"p50={ms(f['p50'])}ms max={ms(f['max'])}ms (paced, {args.paced} at {args.paced_rate:g}/s, "
            f"stats polled every {args.stats_interval * 1000:g} ms)"
        )
    if m.burst_lags:
        f = figures(m.burst_lags)
        lines.append(
            f"INFO anomaly.{side}.statistics_lag_burst: p50={ms(f['p50'])}ms p99={ms(f['p99'])}ms "
            f"n={f['n']:.0f} (1 in {args.lag_every} of the burst of {m.n}: mostly the queue ahead of it)"
        )
    lines.append(f"INFO anomaly.{side}.cpu: {m.cpu.line()}")
    return lines


async def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--receipts", type=int, default=2000, help="N of the embedded burst")
    parser.add_argument("--distributed-receipts", type=int, default=1000, help="N of the distributed burst")
    parser.add_argument("--batch", type=int, default=200, help="receipts per publish_many (and raw batch)")
    parser.add_argument("--lag-every", type=int, default=50, help="one lag sample every so many of the burst")
    parser.add_argument("--paced", type=int, default=100, help="receipts of the paced phase, each a sample")
    parser.add_argument("--paced-rate", type=float, default=20.0, help="receipts/s of the paced phase")
    parser.add_argument(
        "--settle", type=float, default=2.0, help="pause between the burst and the paced phase, s"
    )
    parser.add_argument("--stats-interval", type=float, default=0.02, help="poll of the statistics, s")
    parser.add_argument(
        "--snapshot-seconds", type=float, default=1.0, help="the stream's snapshot interval (its default: 1)"
    )
    parser.add_argument("--warm-up", type=int, default=20, help="receipts through the whole path first")
    parser.add_argument(
        "--progress-interval", type=float, default=0.1, help="pause between /metrics samples of the stages, s"
    )
    parser.add_argument("--sample-interval", type=float, default=0.05, help="pause between counts, s")
    parser.add_argument(
        "--total-every", type=float, default=10.0, help="ask the API's total at least so often"
    )
    parser.add_argument(
        "--stall-seconds", type=float, default=60.0, help="give up when nothing moved so long"
    )
    parser.add_argument("--profile", help="embedded: write a cProfile of the burst to this file")
    parser.add_argument("--only", default="embedded,distributed", help="comma-separated sides to run")
    parser.add_argument("--bootstrap", default="127.0.0.1:9092")
    parser.add_argument("--mongo-url", default="mongodb://127.0.0.1:27017/")
    args = parser.parse_args()
    quiet_logging()
    sides = {s.strip() for s in args.only.split(",") if s.strip()}

    run = run_id()
    print(
        f"bench/anomaly.py  run={run}  {machine()}  SQLite {sqlite3.sqlite_version}  broker={args.bootstrap}  "
        f"store={args.mongo_url}"
    )
    print(
        f"bursts of {args.receipts} (embedded) / {args.distributed_receipts} (distributed) DeleteReceiptReceived "
        f"in publish_many batches of {args.batch}; lag samples 1 in {args.lag_every}, then {args.paced} paced at "
        f"{args.paced_rate:g}/s. Machine shared (2 cores, Kafka and FerretDB on it, other suites may run): "
        "read the ratios, not the absolute rates."
    )
    results: dict[str, tuple[Raw, Measured]] = {}
    started = time.perf_counter()
    try:
        with tempfile.TemporaryDirectory(prefix="guanwu-bench-anomaly-") as tmp:
            if "embedded" in sides:
                with section(
                    "embedded: build_embedded (SQLite + in-process bus) under uvicorn in this process"
                ):
                    results["embedded"] = await run_embedded(args, run, Path(tmp))
                    print_measured(results["embedded"][1], results["embedded"][0], args)
            if "distributed" in sides:
                with section(
                    "distributed: anomaly service + statistics stream (faust) in processes of their own, Kafka "
                    "+ FerretDB, topics renamed"
                ):
                    results["distributed"] = await run_distributed(args, run)
                    print_measured(results["distributed"][1], results["distributed"][0], args)
    finally:
        if "distributed" in sides:
            try:
                async with asyncio.timeout(120):
                    await cleanup(args, run)
            except Exception as exc:  # TimeoutError included: report, do not hang the bench
                print(
                    f"  WARNING: cleanup incomplete ({type(exc).__name__}: {exc}); left: databases "
                    f"{database_root(run)}*, topics bench.anomaly.{run}.*, bench-anomaly-{run}.*"
                )
    with section(f"summary ({time.perf_counter() - started:.0f} s)"):
        for side, (raw, measured) in results.items():
            for entry in summary_lines(side, raw, measured, args):
                print(entry)


if __name__ == "__main__":
    asyncio.run(main())
