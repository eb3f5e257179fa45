"""数据同步 throughput: declarations/s that a by-day sync job brings from the Single Window simulator until they
are visible in query, embedded and distributed, with the memory peak, next to a raw baseline of the same run.

    uv run python bench/sync.py --declarations 10000 --distributed-declarations 1000

The data set: the simulator seeds the tenant with `--seed` (POST /sim/datasets over HTTP, outside the clock),
about twice `--declarations` records so that about that many name the tenant as 境内收发货人 (企业类别 1, half
of a data set); N is what the simulator's count oracle (GET /sim/datasets/{enterprise}/count) says the job's
filters match. The clock starts as POST /api/sync/jobs (报关数据同步 · 按天, 企业类别 1, the whole period) is
sent and stops at the first GET /api/query/declarations that says total == N. Samples are taken every
`--sample-interval` while anything still moves (no fixed deadline: a run gives up only when nothing moved for
`--stall-seconds`), so the stages' rates show where the time goes: sync pages through the simulator and
writes each record with its DeclarationSynced (the job's counts, GET /api/sync/jobs/{id}) → relay → bus → the
declaration service takes it as a declaration made outside guanwu (its consumer group `declaration.sync`'s
handled events, from /metrics) → DeclarationSyncedIn → relay → bus → the query projection (`query.declarations`'
handled events) → the total of GET /api/query/declarations. The totals are asked for only once query's
consumer has handled N (and every `--total-every` s in case it never says so): a total counts the tenant's
rows, which on FerretDB is a scan of them, and asking for it (or the declaration service's total) every sample
loaded FerretDB as much as the job itself. After the clock, both APIs' totals are checked against N.

Embedded — what `guanwu up --simulator` runs: `build_embedded(SqliteDocumentStore, simulator=True)` (every
service, one SQLite file in a temporary folder, in-process bus, the simulator under /sim that sync reaches
through an in-process ASGI transport) under uvicorn on a loopback port in this process and event loop (the
in-process bus takes events only from inside its process); tokens from POST /api/auth/token with local users.
Memory: the process's VmHWM, reset (/proc/self/clear_refs) as the clock starts. Baseline, the raw parts of the
same path, added up: (1) an httpx page-through of /sim/query/declarations of a fresh simulator state seeded the
same way, through the same kind of ASGI transport, with the kernel's `parse_dec_message` of each item (the
simulator's rendering and the XML parse, which guanwu pays too), then (2) N plain `sqlite3` autocommitted
INSERTs of the parsed records as JSON text (`json.dumps` inside the clock; the store's pragmas: WAL,
synchronous=NORMAL) into a file of its own. guanwu writes each record three times (sync's record, the
declaration, the query row), each with events through an outbox; the baseline writes once.

Distributed — the simulator (`python -m guanwu.singlewindow_sim`) and sync, declaration and query each in its
own process, composed as `guanwu serve <service>` composes them (Kafka bus, FerretDB store, local HS256
auth), every topic renamed under the round's prefix (`bench.sync.<run>.r<round>.`) and a database per service
and round (`bench_sync_<run>_r<round>_<service>`); tokens minted with the shared secret. Memory: VmHWM of each
child, reset as the clock starts and read before it stops. Baseline: (1) the same page-through of the same
simulator process over HTTP, then (2) N `insert_one` of the parsed records with `--raw-writers` concurrent
pymongo writers into a database of its own on the same FerretDB.

Each round starts with a warm-up job of another tenant (`--warm-up` records seeded) through the whole path,
not counted. Sides alternate over `--rounds` (embedded) and `--distributed-rounds` rounds (raw first), fresh
stores each, and the best round of each side counts (per-round ratios printed). Also printed per round: CPU of
each process over the clock (and of Kafka, FerretDB and PostgreSQL, and the whole machine, since the machine is
shared), the consumers' and relays' counters that moved, and how long the slowest sample's GETs took;
`--profile FILE` adds a cProfile of the embedded event-loop thread during the job. The RESULT line's ratio is guanwu / the raw parts added up; the
targets (≥ 5,000/s embedded, ≥ 1,000/s distributed, on a 2-core machine) are absolute and printed, never
asserted. Databases, topics and folders are removed at the end (empty consumer groups expire with the broker's
offsets retention, as the other benches' do).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import dataclasses
import json
import multiprocessing
import os
import resource
import sqlite3
import statistics
import subprocess
import tempfile
import time
from collections.abc import Awaitable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar

import httpx
from _common import machine, quiet_logging, rate, ratio, run_id, section
from latency import free_port, serve_service, wait_ready
from pymongo import AsyncMongoClient

T = TypeVar("T")
SECRET = "bench-sync-secret-" + "s" * 32
TENANT = "91310000MA1FL0SYNC"
WARM_TENANT = "91310000MA1FL0WARM"
CATEGORY = "1"  # 企业类别 境内收发货人: about half of a seeded data set names its enterprise so
CATEGORY_SHARE = 0.5
TARGETS = {"embedded": 5000.0, "distributed": 1000.0}
TERMINAL = {"completed", "failed", "cancelled"}
SAMPLE_DOCS = 200  # parsed records kept by the page-through to build the raw store's documents
INFRA = {"java": "Kafka", "ferretdb": "FerretDB", "postgres": "PostgreSQL"}


# ------------------------------------------------------------------------------------------------ the data set


@dataclass(frozen=True)
class DataSetSpec:
    """One tenant's seeded declarations and the by-day question a job asks of them."""

    seed: int
    declarations: int
    start: datetime
    days: int

    @classmethod
    def about(cls, wanted: int, seed: int, days: int) -> DataSetSpec:
        """Enough records that about `wanted` of them are the tenant's 企业类别 1 (at most 100,000)."""
        today = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
        seeded = min(100_000, round(wanted / CATEGORY_SHARE * 1.02) + 20)
        return cls(seed=seed, declarations=seeded, start=today - timedelta(days=days + 2), days=days)

    def filters(self) -> dict[str, str]:
        """最近操作时间 over the whole period (and the day after it: receipts come later), 企业类别 1."""
        return {
            "enterprise_category": CATEGORY,
            "updated_from": self.start.isoformat(),
            "updated_to": (self.start + timedelta(days=self.days + 1)).isoformat(),
        }

    def criteria(self) -> dict[str, str]:
        return {"kind": "declarations", "mode": "by_day", **self.filters()}


async def seed(sim: httpx.AsyncClient, tenant: str, spec: DataSetSpec) -> int:
    """Seed the tenant's data set; the number of records the job's filters match (the count oracle)."""
    body = {
        "enterprise": tenant,
        "seed": spec.seed,
        "declarations": spec.declarations,
        "bonded_lists": 0,
        "start": spec.start.isoformat(),
        "days": spec.days,
    }
    response = await sim.post("/sim/datasets", json=body, timeout=120)
    response.raise_for_status()
    response = await sim.get(
        f"/sim/datasets/{tenant}/count", params={"kind": "declarations", **spec.filters()}
    )
    response.raise_for_status()
    return int(response.json()["count"])


# ------------------------------------------------------------------------------------------------ /proc


def status_kb(pid: int | str, key: str) -> int:
    """A figure of /proc/<pid>/status in kB (VmHWM, VmRSS); 0 if the process is gone."""
    try:
        with open(f"/proc/{pid}/status") as status:
            for entry in status:
                if entry.startswith(key + ":"):
                    return int(entry.split()[1])
    except OSError:
        pass
    return 0


def reset_peak(pid: int | str = "self") -> bool:
    """Reset the process's VmHWM to its current RSS (Linux ≥ 4.0); False if not allowed."""
    try:
        with open(f"/proc/{pid}/clear_refs", "w") as refs:
            refs.write("5")
    except OSError:
        return False
    return True


def cpu_seconds(pid: int | str) -> float:
    """utime + stime of a process (all its threads), seconds; 0 if it is gone."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def machine_busy() -> tuple[float, float]:
    """(busy, total) jiffies of all cores since boot (/proc/stat)."""
    with open("/proc/stat") as stat:
        values = [int(v) for v in stat.readline().split()[1:]]
    idle = values[3] + values[4]
    return sum(values) - idle, sum(values)


def infra_pids() -> dict[str, list[int]]:
    """Kafka, FerretDB and PostgreSQL processes on this machine (shared with whoever else uses them)."""
    found: dict[str, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with contextlib.suppress(OSError):
                name = (entry / "comm").read_text().strip()
                if name in INFRA:
                    found.setdefault(INFRA[name], []).append(int(entry.name))
    return found


@dataclass
class CpuWindow:
    """CPU seconds of named processes (and the machine's busy share) over the clock."""

    pids: dict[str, list[int]]
    started: float = 0.0
    before: dict[str, float] = field(default_factory=dict)
    busy: tuple[float, float] = (0.0, 0.0)

    def __enter__(self) -> CpuWindow:
        self.before = {name: sum(cpu_seconds(p) for p in pids) for name, pids in self.pids.items()}
        self.busy, self.started = machine_busy(), time.perf_counter()
        return self

    def __exit__(self, *exc: object) -> None:
        self.seconds = time.perf_counter() - self.started
        self.shares = {
            name: (sum(cpu_seconds(p) for p in pids) - self.before[name]) / self.seconds
            for name, pids in self.pids.items()
        }
        busy, total = machine_busy()
        self.machine = (busy - self.busy[0]) / max(1.0, total - self.busy[1]) * (os.cpu_count() or 1)

    def line(self) -> str:
        shares = ", ".join(f"{name} {share:.0%}" for name, share in self.shares.items())
        load = os.getloadavg()[0]
        return (
            f"process CPU (share of one core): {shares}; whole machine {self.machine:.2f} of {os.cpu_count()} "
            f"cores busy, load average {load:.1f}"
        )


# ------------------------------------------------------------------------------------------------ stages


@dataclass(frozen=True)
class Sample:
    t: float
    state: str
    fetched: int
    written: int
    quarantined: int
    declared: int
    queried: int
    total: int | None = None
    reason: str | None = None
    job_get: float = 0.0  # how long the sample's GET of the job took, s
    metrics_get: float = 0.0  # … and the GETs of /metrics


STAGES = (
    ("written", "sync job written (its page commits)"),
    ("declared", "declaration service handled"),
    ("queried", "query projection handled"),
    ("total", "query total (GET /api/query/declarations)"),
)
CONSUMED = "guanwu_bus_messages_consumed_total"
DECLARATION_GROUP = "declaration.sync"  # the declaration service's consumer of DeclarationSynced
QUERY_GROUP = "query.declarations"  # the query projection of the declaration list
WATCHED_METRICS = {
    CONSUMED: ("group", "outcome"),
    "guanwu_bus_handler_failures_total": ("group",),
    "guanwu_outbox_relayed_total": ("collection",),
}


def handled(counters: dict[tuple[str, ...], float], group: str) -> int:
    """Events a consumer group handled (any deployment prefix of the group's name)."""
    return int(
        sum(
            v
            for key, v in counters.items()
            if key[1] == CONSUMED and key[2].endswith(group) and key[3] == "handled"
        )
    )


async def get(client: httpx.AsyncClient, url: str, params: dict[str, Any] | None = None) -> httpx.Response:
    """A GET answered 2xx; tried again when the connection broke (a kept-alive connection that the server
    closed as the request went out: uvicorn's keep-alive timeout racing the client's reuse)."""
    for attempt in range(3):
        try:
            response = await client.get(url, params=params)
            break
        except httpx.TransportError:
            if attempt == 2:
                raise
    response.raise_for_status()
    return response


@dataclass
class Endpoints:
    """Where the three stages answer, each with the tenant's token (one client when embedded)."""

    sync: httpx.AsyncClient
    declaration: httpx.AsyncClient
    query: httpx.AsyncClient

    async def start_job(self, spec: DataSetSpec) -> dict[str, Any]:
        response = await self.sync.post("/api/sync/jobs", json=spec.criteria())
        if response.status_code != 202:
            raise RuntimeError(f"POST /api/sync/jobs: {response.status_code} {response.text[:500]}")
        return dict(response.json())

    async def job(self, job_id: str) -> dict[str, Any]:
        return dict((await get(self.sync, f"/api/sync/jobs/{job_id}")).json())

    async def query_total(self) -> int:
        response = await get(self.query, "/api/query/declarations", {"limit": 1})
        return int(response.json()["total"])

    async def declaration_total(self) -> int:
        response = await get(self.declaration, "/api/declaration/declarations", {"mine": "false", "limit": 1})
        return int(response.json()["total"])

    async def sample(self, job_id: str, t0: float, before: dict[tuple[str, ...], float]) -> Sample:
        """The job (a read by id) and the consumers' handled counts since `before` (/metrics): cheap, unlike
        a total, which counts the tenant's rows (on FerretDB a scan of them)."""
        (job, job_get), (counters, metrics_get) = await asyncio.gather(
            timed(self.job(job_id)), timed(self.counters())
        )
        counts = job["counts"]
        return Sample(
            t=time.perf_counter() - t0,
            state=job["state"],
            fetched=counts["fetched"],
            written=counts["written"],
            quarantined=counts["quarantined"],
            declared=handled(counters, DECLARATION_GROUP) - handled(before, DECLARATION_GROUP),
            queried=handled(counters, QUERY_GROUP) - handled(before, QUERY_GROUP),
            reason=job.get("reason"),
            job_get=job_get,
            metrics_get=metrics_get,
        )

    async def counters(self) -> dict[tuple[str, ...], float]:
        """The bus and outbox counters of each service's /metrics: (service, metric, labels…) → value."""
        from prometheus_client.parser import text_string_to_metric_families

        clients = {"sync": self.sync, "declaration": self.declaration, "query": self.query}
        one = len({id(c) for c in clients.values()}) == 1
        out: dict[tuple[str, ...], float] = {}
        for service, client in clients.items():
            response = await get(client, "/metrics")
            for family in text_string_to_metric_families(response.text):
                for sample in family.samples:
                    labels = WATCHED_METRICS.get(sample.name)
                    if labels is not None:
                        key = (
                            "embedded" if one else service,
                            sample.name,
                            *(sample.labels[k] for k in labels),
                        )
                        out[key] = sample.value
            if one:
                break
        return out


async def timed(awaitable: Awaitable[T]) -> tuple[T, float]:
    t0 = time.perf_counter()
    return await awaitable, time.perf_counter() - t0


def counter_lines(before: dict[tuple[str, ...], float], after: dict[tuple[str, ...], float]) -> list[str]:
    """What moved over the clock, one line per service: consumer outcomes, handler failures, relayed."""
    by_service: dict[str, list[str]] = {}
    for key, value in sorted(after.items()):
        delta = value - before.get(key, 0.0)
        if delta:
            service, name, *labels = key
            short = name.removeprefix("guanwu_").removesuffix("_total")
            by_service.setdefault(service, []).append(f"{short}{{{','.join(labels)}}} {delta:,.0f}")
    return [f"  {service}: {'; '.join(entries)}" for service, entries in by_service.items()]


class Stalled(RuntimeError):
    pass


@dataclass
class Watched:
    job: dict[str, Any]
    samples: list[Sample]
    before: dict[tuple[str, ...], float]
    after: dict[tuple[str, ...], float]


async def watch(endpoints: Endpoints, spec: DataSetSpec, n: int, args: argparse.Namespace) -> Watched:
    """Start the job and sample until GET /api/query/declarations says total == n. The total is asked for
    once query's consumer has handled n events (and every `--total-every` seconds in case it never says so).
    Gives up only when nothing moved for `--stall-seconds`, or when the job failed."""
    before = await endpoints.counters()
    t0 = time.perf_counter()
    job = await endpoints.start_job(spec)
    samples: list[Sample] = []
    moved_at, asked_at, last = 0.0, 0.0, None
    while True:
        sample = await endpoints.sample(job["job_id"], t0, before)
        if sample.queried >= n or sample.t - asked_at >= args.total_every:
            total = await endpoints.query_total()
            asked_at = time.perf_counter() - t0
            sample = dataclasses.replace(sample, t=asked_at, total=total)
        samples.append(sample)
        if sample.total is not None and sample.total >= n:
            # The consumers' counters move after their writes: the stages were at n by this moment.
            after = await endpoints.counters()
            samples[-1] = dataclasses.replace(
                sample,
                declared=handled(after, DECLARATION_GROUP) - handled(before, DECLARATION_GROUP),
                queried=handled(after, QUERY_GROUP) - handled(before, QUERY_GROUP),
            )
            return Watched(job, samples, before, after)
        if sample.state in ("failed", "cancelled"):
            raise Stalled(f"job {job['job_id']} {sample.state}: {sample.reason}; last {sample}")
        now = (sample.state, sample.written, sample.declared, sample.queried, sample.total)
        if now != last:
            moved_at, last = sample.t, now
        elif sample.t - moved_at > args.stall_seconds:
            raise Stalled(f"nothing moved for {args.stall_seconds:g} s; last {sample}")
        await asyncio.sleep(args.sample_interval)


async def settled(endpoints: Endpoints, job_id: str, stall: float) -> dict[str, Any]:
    """The job once it ended (it usually has by the time query shows everything)."""
    started = time.perf_counter()
    job = await endpoints.job(job_id)
    while job["state"] not in TERMINAL and time.perf_counter() - started < stall:
        await asyncio.sleep(0.1)
        job = await endpoints.job(job_id)
    return job


def reached(samples: Sequence[Sample], stage: str, count: float) -> float | None:
    return next((s.t for s in samples if (getattr(s, stage) or 0) >= count), None)


def steady(samples: Sequence[Sample], stage: str, n: int) -> float | None:
    """The stage's rate between 10 % and 90 % of n (leaves out the start and the tail)."""
    low, high = reached(samples, stage, 0.1 * n), reached(samples, stage, 0.9 * n)
    if low is None or high is None or high <= low:
        return None
    return 0.8 * n / (high - low)


def stage_report(samples: Sequence[Sample], n: int) -> tuple[list[str], str]:
    """Lines of the stage table, and a short 'what limits it': the stage with the lowest rate between 10 % and
    90 % of N (a stage cannot run ahead of the one before it, so the first slow one holds the rest back)."""
    lines = [f"  {'stage':<44} {'reached N at':>12} {'rate to N':>11} {'10→90 % rate':>13}"]
    slowest: tuple[float, str] | None = None
    previous: float | None = None
    lags = []
    for stage, label in STAGES:
        at = reached(samples, stage, n)
        middle = (
            steady(samples, stage, n) if stage != "total" else None
        )  # the total is asked only now and then
        lines.append(
            f"  {label:<44} {'-' if at is None else f'{at:.2f} s':>12} "
            f"{'-' if not at else f'{rate(n, at):,.0f}/s':>11} {'-' if middle is None else f'{middle:,.0f}/s':>13}"
        )
        if middle is not None and (slowest is None or middle < slowest[0]):
            slowest = (middle, label)
        if at is not None and previous is not None:
            lags.append(f"{label} +{at - previous:.2f} s")
        previous = at
    verdict = (
        f"slowest stage: {slowest[1]} ({slowest[0]:,.0f}/s in 10→90 %)" if slowest else "too few samples"
    )
    return lines, f"{verdict}; lag behind the stage before: {', '.join(lags) or '-'}"


def timeline(samples: Sequence[Sample], rows: int = 12) -> list[str]:
    step = max(1, len(samples) // rows)
    chosen = [*samples[::step][: rows - 1], samples[-1]] if len(samples) > rows else list(samples)
    out = [
        f"  {'t':>7}  {'job':<9} {'fetched':>8} {'written':>8} {'declaration':>11} {'query':>8} {'total':>8}"
        "   (job counts; events handled by declaration.sync / query.declarations; query's total when asked)"
    ]
    out += [
        f"  {s.t:>6.2f}s  {s.state:<9} {s.fetched:>8} {s.written:>8} {s.declared:>11} {s.queried:>8} "
        f"{'' if s.total is None else s.total:>8}"
        for s in chosen
    ]
    return out


def job_seconds(job: dict[str, Any]) -> str:
    def at(name: str) -> datetime | None:
        value = job.get(name)
        return datetime.fromisoformat(value) if value else None

    created, started, finished = at("created_at"), at("started_at"), at("finished_at")
    if created is None or started is None or finished is None:
        return f"job {job['state']}"
    return (
        f"job {job['state']}: queued {(started - created).total_seconds():.2f} s, ran "
        f"{(finished - started).total_seconds():.2f} s by its own clock, {job['counts']['pages']} pages, "
        f"counts {job['counts']}"
    )


# ------------------------------------------------------------------------------------------------ raw baseline


@dataclass
class PageThrough:
    count: int
    seconds: float
    cpu: float
    samples: list[dict[str, Any]]

    @property
    def rate(self) -> float:
        return float(rate(self.count, self.seconds))


def stored_doc(tenant: str, item: dict[str, Any], document: Any) -> dict[str, Any]:
    """A synced declaration as a store keeps it: identity, Single Window version and status, the document."""
    return {
        "_id": item["seq_no"],
        "tenant": tenant,
        "seq_no": item["seq_no"],
        "entry_id": item["entry_id"],
        "client_seq_no": item["client_seq_no"],
        "sw_version": item["version"],
        "sw_updated_at": item["updated_at"],
        "channel": item["channel"],
        "receipts": item["receipts"],
        "document": document.model_dump(mode="json", exclude_none=True),
    }


async def page_through(sim: httpx.AsyncClient, tenant: str, spec: DataSetSpec, limit: int) -> PageThrough:
    """Log in, page through the job's question, parse each item's DecMessage with the kernel."""
    from guanwu.customs.messages import parse_dec_message

    c0, t0 = time.process_time(), time.perf_counter()
    login = await sim.post("/sim/session", json={"enterprise": tenant})
    login.raise_for_status()
    headers = {"Authorization": f"Bearer {login.json()['token']}"}
    params: dict[str, Any] = {"enterprise": tenant, "limit": limit, **spec.filters()}
    count, samples = 0, list[dict[str, Any]]()
    while True:
        response = await sim.get("/sim/query/declarations", params=params, headers=headers, timeout=60)
        response.raise_for_status()
        body = response.json()
        for item in body["items"]:
            document = parse_dec_message(item["xml"].encode())
            count += 1
            if len(samples) < SAMPLE_DOCS:
                samples.append(stored_doc(tenant, item, document))
        if body["next_cursor"] is None:
            break
        params["cursor"] = body["next_cursor"]
    seconds, cpu = time.perf_counter() - t0, time.process_time() - c0
    return PageThrough(count, seconds, cpu / seconds, samples)


def raw_docs(samples: Sequence[dict[str, Any]], n: int) -> list[dict[str, Any]]:
    """n distinct documents cut from the parsed samples (the same sizes, ids of their own)."""
    return [
        {**samples[i % len(samples)], "_id": f"{i:08d}-{samples[i % len(samples)]['_id']}"} for i in range(n)
    ]


def raw_sqlite(path: Path, docs: Sequence[dict[str, Any]]) -> float:
    """Plain sqlite3, the store's pragmas, one autocommitted INSERT of JSON text per document."""
    conn = sqlite3.connect(path, isolation_level=None)
    try:
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=NORMAL")
        conn.execute("CREATE TABLE raw_declarations (id TEXT PRIMARY KEY NOT NULL, doc TEXT NOT NULL)")
        sql = "INSERT INTO raw_declarations (id, doc) VALUES (?, ?)"
        conn.execute(sql, ("warm-up", "{}"))
        t0 = time.perf_counter()
        for doc in docs:
            conn.execute(sql, (doc["_id"], json.dumps(doc, ensure_ascii=False, separators=(",", ":"))))
        seconds = time.perf_counter() - t0
        stored = conn.execute("SELECT count(*) FROM raw_declarations").fetchone()[0]
    finally:
        conn.close()
    if stored != len(docs) + 1:
        print(f"  WARNING: {stored} raw rows, expected {len(docs) + 1}")
    return seconds


async def raw_mongo(url: str, database: str, docs: Sequence[dict[str, Any]], writers: int) -> float:
    """insert_one of each document with `writers` concurrent pymongo writers."""
    client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(url)
    try:
        collection = client[database]["raw_declarations"]
        await collection.insert_one({"_id": "warm-up"})
        queue = iter(docs)

        async def writer() -> None:
            for doc in queue:
                await collection.insert_one(doc)

        t0 = time.perf_counter()
        await asyncio.gather(*(writer() for _ in range(writers)))
        seconds = time.perf_counter() - t0
        stored = await collection.count_documents({})
    finally:
        await client.close()
    if stored != len(docs) + 1:
        print(f"  WARNING: {stored} raw documents, expected {len(docs) + 1}")
    return seconds


@dataclass
class Raw:
    through: PageThrough
    store_seconds: float
    store_name: str
    doc_bytes: float
    memory: tuple[int, int]  # this process's RSS before the raw side, its peak during it (kB)

    @property
    def rate(self) -> float:
        """The raw parts added up: page-through + parse, then the inserts."""
        return float(rate(self.through.count, self.through.seconds + self.store_seconds))

    @property
    def store_rate(self) -> float:
        return float(rate(self.through.count, self.store_seconds))

    def print(self) -> None:
        print(
            f"  raw page-through + parse_dec_message: {self.through.rate:>9,.0f}/s ({self.through.count} records "
            f"in {self.through.seconds:.2f} s, this process {self.through.cpu:.0%} of a core)"
        )
        print(
            f"  raw {self.store_name:<32}: {self.store_rate:>9,.0f}/s (documents of {self.doc_bytes:,.0f} B "
            "as JSON on average)"
        )
        print(f"  raw parts added up (the baseline)   : {self.rate:>9,.0f}/s   memory {grew(self.memory)}")


def mean_size(docs: Sequence[dict[str, Any]]) -> float:
    return statistics.mean(len(json.dumps(d, ensure_ascii=False).encode()) for d in docs[:SAMPLE_DOCS])


def mb(kb: int) -> str:
    return f"{kb / 1024:,.0f} MB"


def grew(memory: tuple[int, int]) -> str:
    """RSS before → peak (+ growth): a process reuses what it freed, so the growth is what the part needed."""
    before, peak = memory
    return f"{mb(before)} → {mb(peak)} (+{mb(max(0, peak - before))})"


@contextlib.contextmanager
def memory_of_self(into: list[int]) -> Iterator[None]:
    """This process's RSS before and VmHWM after the block (the peak reset first), appended to `into`."""
    into.append(status_kb("self", "VmRSS"))
    reset_peak()
    yield
    into.append(status_kb("self", "VmHWM"))


# ------------------------------------------------------------------------------------------------ a measured job


@dataclass
class Measured:
    n: int
    seconds: float
    samples: list[Sample]
    job: dict[str, Any]
    cpu: CpuWindow
    memory: dict[str, tuple[int, int]]  # process → (RSS as the clock started, peak during it), kB
    counters: list[str]  # bus and outbox counters that moved over the clock, per service
    totals: dict[str, int]  # what the declaration and query APIs list once the clock stopped

    @property
    def rate(self) -> float:
        return float(rate(self.n, self.seconds))

    def print(self) -> None:
        print(
            f"  guanwu: {self.n} declarations visible in query after {self.seconds:.2f} s = {self.rate:,.0f}/s"
        )
        print(f"  {job_seconds(self.job)}")
        for entry in timeline(self.samples):
            print(entry)
        lines, _ = stage_report(self.samples, self.n)
        for entry in lines:
            print(entry)
        print(f"  {self.cpu.line()}")
        slowest = max(self.samples, key=lambda s: max(s.job_get, s.metrics_get))
        print(
            f"  sampling: {len(self.samples)} samples; slowest at {slowest.t:.2f} s: GET of the job "
            f"{slowest.job_get:.2f} s, of /metrics {slowest.metrics_get:.2f} s"
        )
        print("  bus and outbox counters over the clock (/metrics):")
        for entry in self.counters:
            print(f"  {entry}")
        print(
            "  memory (RSS as the clock started → peak during the job): "
            + ", ".join(f"{name} {grew(rss_peak)}" for name, rss_peak in self.memory.items())
        )
        counts = self.job["counts"]
        print(f"  after the clock: {', '.join(f'{k} lists {v}' for k, v in self.totals.items())}")
        if set(self.totals.values()) != {self.n} or counts["written"] != self.n:
            print(
                f"  WARNING: expected {self.n} everywhere; job wrote {counts['written']} (quarantined "
                f"{counts['quarantined']}), {self.totals}"
            )


async def measure(
    endpoints: Endpoints,
    spec: DataSetSpec,
    n: int,
    args: argparse.Namespace,
    cpu: CpuWindow,
    memory_pids: dict[str, int | str],
) -> Measured:
    rss = {name: status_kb(pid, "VmRSS") for name, pid in memory_pids.items()}
    for pid in memory_pids.values():
        reset_peak(pid)
    with cpu:
        watched = await watch(endpoints, spec, n, args)
    peaks = {name: status_kb(pid, "VmHWM") for name, pid in memory_pids.items()}
    job = await settled(endpoints, watched.job["job_id"], args.stall_seconds)
    totals = {"declaration": await endpoints.declaration_total(), "query": await endpoints.query_total()}
    memory = {name: (rss[name], peaks[name]) for name in memory_pids}
    counters = counter_lines(watched.before, watched.after)
    samples = watched.samples
    return Measured(n, samples[-1].t, samples, job, cpu, memory, counters, totals)


async def warm_up(endpoints: Endpoints, sim: httpx.AsyncClient, args: argparse.Namespace) -> None:
    """A small job of another tenant through the whole path (connections, consumer groups, first calls)."""
    spec = DataSetSpec.about(args.warm_up, args.seed + 1, args.days)
    n = await seed(sim, WARM_TENANT, spec)
    t0 = time.perf_counter()
    await watch(endpoints, spec, n, args)
    print(f"  warm-up: {n} declarations of another tenant in {time.perf_counter() - t0:.2f} s (not counted)")


# ------------------------------------------------------------------------------------------------ embedded


class EmbeddedServer:
    """`build_embedded(simulator=True)` under uvicorn on a loopback port, in this process and event loop."""

    def __init__(self, folder: Path, poll_interval: float) -> None:
        import uvicorn

        from guanwu.cli.embedded import build_embedded
        from guanwu.platform.store.sqlite import SqliteDocumentStore

        folder.mkdir(parents=True)
        self.system = build_embedded(
            SqliteDocumentStore(folder),
            SECRET,
            tenants=[TENANT],
            poll_interval_seconds=poll_interval,
            simulator=True,
        )
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.server = uvicorn.Server(
            uvicorn.Config(self.system.app, host="127.0.0.1", port=self.port, log_level="warning")
        )
        self._task: asyncio.Task[None] | None = None
        self.clients: list[httpx.AsyncClient] = []

    async def __aenter__(self) -> EmbeddedServer:
        self._task = asyncio.create_task(self.server.serve())
        while not self.server.started:
            if self._task.done():
                self._task.result()
                raise RuntimeError("uvicorn ended before it started")
            await asyncio.sleep(0.02)
        return self

    def client(self, headers: dict[str, str] | None = None) -> httpx.AsyncClient:
        client = httpx.AsyncClient(base_url=self.base, headers=headers, timeout=60)
        self.clients.append(client)
        return client

    async def endpoints(self, tenant: str) -> Endpoints:
        """A local user of the tenant logs in (POST /api/auth/token); its token on one client for all."""
        from guanwu.platform.local_users import LocalUser

        password = "bench-" + os.urandom(6).hex()
        user = LocalUser(username=f"bench-{tenant.lower()}", tenant=tenant, roles=["preparer"])
        await self.system.users.add(user, password)
        response = await self.client().post(
            "/api/auth/token", json={"username": user.username, "password": password}
        )
        response.raise_for_status()
        client = self.client({"Authorization": f"Bearer {response.json()['access_token']}"})
        return Endpoints(client, client, client)

    async def __aexit__(self, *exc: object) -> None:
        for client in self.clients:
            await client.aclose()
        self.server.should_exit = True
        if self._task is not None:
            await self._task


async def embedded_guanwu(args: argparse.Namespace, folder: Path, spec: DataSetSpec) -> Measured:
    async with EmbeddedServer(folder, args.poll_interval) as server:
        sim = server.client()
        await warm_up(await server.endpoints(WARM_TENANT), sim, args)
        n = await seed(sim, TENANT, spec)
        endpoints = await server.endpoints(TENANT)
        cpu = CpuWindow({"this process": [os.getpid()]})
        with profiled(args.profile):
            return await measure(endpoints, spec, n, args, cpu, {"this process": "self"})


@contextlib.contextmanager
def profiled(path: str | None, top: int = 25) -> Iterator[None]:
    """cProfile of this process's event-loop thread (where every embedded service runs) while the job runs;
    the stats go to `path` and the functions with the most own time are printed."""
    if not path:
        yield
        return
    import cProfile
    import pstats

    profile = cProfile.Profile()
    profile.enable()
    try:
        yield
    finally:
        profile.disable()
        profile.dump_stats(path)
        print(f"  profile of the event-loop thread during the job ({path}), by own time:")
        pstats.Stats(profile).sort_stats("tottime").print_stats(top)


async def embedded_raw(args: argparse.Namespace, path: Path, spec: DataSetSpec) -> Raw:
    """A fresh simulator state behind an in-process ASGI transport, as build_embedded connects sync to it."""
    from fastapi import FastAPI

    from guanwu.singlewindow_sim.app import build_router
    from guanwu.singlewindow_sim.state import SingleWindowState

    app = FastAPI()
    app.include_router(build_router(SingleWindowState()))
    transport = httpx.ASGITransport(app=app)
    memory: list[int] = []
    async with httpx.AsyncClient(transport=transport, base_url="http://single-window", timeout=120) as sim:
        await seed(sim, TENANT, spec)
        with memory_of_self(memory):
            through = await page_through(sim, TENANT, spec, args.page_size)
            docs = raw_docs(through.samples, through.count)
            seconds = raw_sqlite(path, docs)
    return Raw(through, seconds, "sqlite3 INSERT (one file)", mean_size(docs), (memory[0], memory[1]))


async def run_embedded(args: argparse.Namespace, folder: Path) -> list[tuple[Raw, Measured]]:
    os.environ.update(sync_settings(args))  # build_embedded's SyncSettings reads GUANWU_SYNC_* as well
    spec = DataSetSpec.about(args.declarations, args.seed, args.days)
    rounds = []
    for r in range(args.rounds):
        with section(f"embedded round {r + 1}/{args.rounds}"):
            raw = await embedded_raw(args, folder / f"raw-{r}.sqlite3", spec)
            raw.print()
            measured = await embedded_guanwu(args, folder / f"guanwu-{r}", spec)
            measured.print()
            rounds.append((raw, measured))
    return rounds


def sync_settings(args: argparse.Namespace, prefix: str = "GUANWU_SYNC_") -> dict[str, str]:
    settings = {"JOB_PAGE_SIZE": str(args.page_size)}
    if args.sw_requests_per_second:
        settings["SINGLE_WINDOW_REQUESTS_PER_SECOND"] = f"{args.sw_requests_per_second:g}"
    return {prefix + k: v for k, v in settings.items()}


# ------------------------------------------------------------------------------------------------ distributed


class Services:
    """sync, declaration and query of one round, each in a spawned process (`guanwu serve`'s composition,
    topics renamed under the round's prefix, a database each)."""

    def __init__(self, args: argparse.Namespace, run: str, round_no: int, simulator_url: str) -> None:
        from guanwu.cli.cluster import Shared

        self.prefix = f"bench.sync.{run}.r{round_no}."
        database_prefix = f"{database_root(run)}_r{round_no}"
        self.shared = Shared(
            args.bootstrap,
            args.mongo_url,
            SECRET,
            database_prefix,
            deployment=f"bench-sync-{run}-r{round_no}",
        )
        self.args, self.simulator_url = args, simulator_url
        self._ctx = multiprocessing.get_context("spawn")
        self.processes: dict[str, multiprocessing.process.BaseProcess] = {}
        self.urls: dict[str, str] = {}

    async def start(self) -> None:
        from guanwu.cli.cluster import service_env, sync_upstream

        extra = {
            "sync": {
                **sync_upstream(self.simulator_url, [TENANT], self.args.poll_interval),
                **sync_settings(self.args, prefix=""),
            }
        }
        for name in ("query", "declaration", "sync"):  # consumers before the producer
            port = free_port()
            env = service_env(name, self.shared, port, {"LOG_LEVEL": "WARNING", **extra.get(name, {})})
            process = self._ctx.Process(target=serve_service, args=(name, env, self.prefix), daemon=True)
            process.start()
            self.processes[name], self.urls[name] = process, f"http://127.0.0.1:{port}"
        for name, started in self.processes.items():
            await wait_ready(self.urls[name], started.is_alive, name)

    def pids(self) -> dict[str, int]:
        return {name: int(process.pid or 0) for name, process in self.processes.items()}

    @contextlib.asynccontextmanager
    async def endpoints(self, tenant: str) -> Any:
        from guanwu.platform.auth import LocalTokenIssuer

        headers = {"Authorization": f"Bearer {LocalTokenIssuer(SECRET).issue('bench', tenant, ['preparer'])}"}
        clients = [httpx.AsyncClient(base_url=self.urls[s], headers=headers, timeout=60) for s in self.urls]
        try:
            by_name = dict(zip(self.urls, clients, strict=True))
            yield Endpoints(by_name["sync"], by_name["declaration"], by_name["query"])
        finally:
            for client in clients:
                await client.aclose()

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
    return f"bench_sync_{run.replace('-', '_')}"


async def distributed_raw(
    args: argparse.Namespace, sim: httpx.AsyncClient, database: str, spec: DataSetSpec
) -> Raw:
    memory: list[int] = []
    with memory_of_self(memory):
        through = await page_through(sim, TENANT, spec, args.page_size)
        docs = raw_docs(through.samples, through.count)
        seconds = await raw_mongo(args.mongo_url, database, docs, args.raw_writers)
    name = f"pymongo insert_one ×{args.raw_writers} writers"
    return Raw(through, seconds, name, mean_size(docs), (memory[0], memory[1]))


async def distributed_guanwu(
    args: argparse.Namespace,
    services: Services,
    sim: httpx.AsyncClient,
    spec: DataSetSpec,
    n: int,
    sim_pid: int,
) -> Measured:
    await services.start()
    async with services.endpoints(WARM_TENANT) as warm:
        await warm_up(warm, sim, args)
    pids: dict[str, int] = {**services.pids(), "simulator": sim_pid}
    cpu = CpuWindow({**{name: [pid] for name, pid in pids.items()}, **infra_pids()})
    async with services.endpoints(TENANT) as endpoints:
        return await measure(endpoints, spec, n, args, cpu, {name: pid for name, pid in pids.items()})


def start_simulator(port: int) -> subprocess.Popen[bytes]:
    """`python -m guanwu.singlewindow_sim` on `port`, as guanwu dev-cluster starts it."""
    from guanwu.cli.cluster import simulator_command

    return subprocess.Popen(simulator_command(port), stdout=subprocess.DEVNULL)


async def run_distributed(args: argparse.Namespace, run: str) -> list[tuple[Raw, Measured]]:
    port = free_port()
    simulator = start_simulator(port)
    url = f"http://127.0.0.1:{port}"
    spec = DataSetSpec.about(args.distributed_declarations, args.seed, args.days)
    rounds = []
    try:
        await wait_ready(url, lambda: simulator.poll() is None, "simulator")
        async with httpx.AsyncClient(base_url=url, timeout=120) as sim:
            for r in range(args.distributed_rounds):
                with section(f"distributed round {r + 1}/{args.distributed_rounds}"):
                    n = await seed(sim, TENANT, spec)
                    raw = await distributed_raw(args, sim, f"{database_root(run)}_raw{r}", spec)
                    raw.print()
                    services = Services(args, run, r, url)
                    try:
                        measured = await distributed_guanwu(args, services, sim, spec, n, simulator.pid)
                    finally:
                        services.stop()
                    measured.print()
                    rounds.append((raw, measured))
    finally:
        simulator.terminate()
        try:
            simulator.wait(timeout=10)
        except subprocess.TimeoutExpired:
            simulator.kill()
            simulator.wait()
    return rounds


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
        mine = [t for t in await admin.list_topics() if t.startswith(f"bench.sync.{run}.")]
        if mine:
            await admin.delete_topics(mine)
    finally:
        await admin.close()


# ------------------------------------------------------------------------------------------------ summary


def summary_lines(side: str, rounds: Sequence[tuple[Raw, Measured]]) -> Iterator[str]:
    """The RESULT line of a side and its INFO lines (parts, memory, what limits it)."""
    per_round = [ratio(m.rate, r.rate) for r, m in rounds]
    best_raw = max(rounds, key=lambda pair: pair[0].rate)[0]
    best = max(rounds, key=lambda pair: pair[1].rate)[1]
    target = TARGETS[side]
    verdict = "ok" if best.rate >= target else "BELOW TARGET"
    rounds_note = ", ".join(f"{x:.2f}" for x in per_round)
    if len(per_round) > 1:
        rounds_note += f"; median {statistics.median(per_round):.2f}"
    yield (
        f"RESULT sync.{side}: ratio={ratio(best.rate, best_raw.rate):.2f} adapter={best.rate:,.0f}/s "
        f"target>={target:,.0f}/s ({verdict}) baseline={best_raw.rate:,.0f}/s (raw page-through+parse then "
        f"{best_raw.store_name}, added up; N={best.n}; per-round ratios {rounds_note})"
    )
    best_through = max(r.through.rate for r, _ in rounds)
    best_store = max(r.store_rate for r, _ in rounds)
    yield (
        f"INFO sync.{side}.parts: ratio to the page-through+parse alone={ratio(best.rate, best_through):.2f} "
        f"({best_through:,.0f}/s), to the {best_raw.store_name} alone={ratio(best.rate, best_store):.2f} "
        f"({best_store:,.0f}/s)"
    )
    memory = ", ".join(f"{name} {grew(rss_peak)}" for name, rss_peak in best.memory.items())
    yield (
        f"INFO sync.{side}.memory: RSS as the job started → peak during it: {memory}; raw side (this process) "
        f"{grew(best_raw.memory)}; bench process ru_maxrss {mb(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)}"
    )
    _, limit = stage_report(best.samples, best.n)
    yield f"INFO sync.{side}.limit: {limit}; {best.cpu.line()}"


async def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--declarations", type=int, default=10000, help="about N, embedded")
    parser.add_argument("--distributed-declarations", type=int, default=1000, help="about N, distributed")
    parser.add_argument("--rounds", type=int, default=2, help="alternating raw/guanwu rounds, embedded")
    parser.add_argument(
        "--distributed-rounds", type=int, default=1, help="alternating raw/guanwu rounds, distributed"
    )
    parser.add_argument("--only", default="embedded,distributed", help="comma-separated sides to run")
    parser.add_argument("--seed", type=int, default=12, help="the simulator's data set seed")
    parser.add_argument("--days", type=int, default=30, help="the data set's period (the job asks for all)")
    parser.add_argument("--warm-up", type=int, default=200, help="about N of the warm-up job")
    parser.add_argument(
        "--page-size", type=int, default=500, help="GUANWU_SYNC_JOB_PAGE_SIZE and the raw side's"
    )
    parser.add_argument(
        "--sw-requests-per-second",
        type=float,
        default=0.0,
        help="GUANWU_SYNC_SINGLE_WINDOW_REQUESTS_PER_SECOND (0: the setting's default)",
    )
    parser.add_argument("--poll-interval", type=float, default=0.5, help="sync's receipts poll interval, s")
    parser.add_argument("--sample-interval", type=float, default=0.1, help="pause between samples, s")
    parser.add_argument(
        "--total-every", type=float, default=10.0, help="ask query's total at least this often, s"
    )
    parser.add_argument(
        "--stall-seconds", type=float, default=60.0, help="give up when nothing moved so long"
    )
    parser.add_argument(
        "--raw-writers", type=int, default=4, help="concurrent pymongo writers of the baseline"
    )
    parser.add_argument("--profile", help="embedded: write a cProfile of each measured job to this file")
    parser.add_argument("--bootstrap", default="127.0.0.1:9092")
    parser.add_argument("--mongo-url", default="mongodb://127.0.0.1:27017/")
    args = parser.parse_args()
    quiet_logging()
    sides = {s.strip() for s in args.only.split(",") if s.strip()}

    from guanwu.sync.config import SyncSettings

    run = run_id()
    settings = SyncSettings.model_fields
    print(
        f"bench/sync.py  run={run}  {machine()}  SQLite {sqlite3.sqlite_version}  broker={args.bootstrap}  "
        f"store={args.mongo_url}"
    )
    rps = args.sw_requests_per_second or settings["single_window_requests_per_second"].default
    print(
        f"by-day 报关数据同步 jobs of about {args.declarations} (embedded) / {args.distributed_declarations} "
        f"(distributed) declarations, seed {args.seed}, {args.days} days; pages of {args.page_size}, at most "
        f"{rps:g} Single Window requests/s (≤ {rps * args.page_size:,.0f} records/s); clock: POST "
        "/api/sync/jobs → query total == N. Machine shared: other test suites may be running."
    )
    results: dict[str, list[tuple[Raw, Measured]]] = {}
    started = time.perf_counter()
    try:
        with tempfile.TemporaryDirectory(prefix="guanwu-bench-sync-") as tmp:
            if "embedded" in sides:
                results["embedded"] = await run_embedded(args, Path(tmp))
            if "distributed" in sides:
                results["distributed"] = await run_distributed(args, run)
    finally:
        if "distributed" in sides:
            try:
                async with asyncio.timeout(120):
                    await cleanup(args, run)
            except Exception as exc:  # TimeoutError included: report, do not hang the bench
                print(
                    f"  WARNING: cleanup incomplete ({type(exc).__name__}: {exc}); left: databases "
                    f"{database_root(run)}*, topics bench.sync.{run}.*"
                )
    with section(f"summary ({time.perf_counter() - started:.0f} s)"):
        for side, rounds in results.items():
            for entry in summary_lines(side, rounds):
                print(entry)


if __name__ == "__main__":
    asyncio.run(main())
