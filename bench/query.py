"""bench/query.py — 报关数据查询 (#14): a filtered, sorted page over 1,000,000 rows, the export, the import.

(a) p95 of GET /api/query/declarations with three filters (进出口标志, 申报地海关, 监管方式), newest 最近操作时间
    first, 50 rows and the total, over N rows of one tenant (target ≤ 50 ms), embedded (SQLite) and on FerretDB;
    beside it the same query done raw: plain sqlite3 on a table with the same columns and a composite index,
    and raw pymongo on a collection with the same documents and the same index. The filter combination
    changes from sample to sample (400 of them, each matching N/400 rows).
(b) GET /api/query/declarations/export.xlsx of 100,000 rows (one filter, 监管方式: N/10 rows) and, for the
    flatness, of N/20 and N/400 rows: time, bytes, and the process's RSS sampled every 20 ms (growth over
    the RSS before the request; flat = the same growth whatever the rows).
(c) import of 10,000 goods lines through the declaration service's API (POST /api/declaration/imports),
    when that API is present.

The query service runs alone (`guanwu.query.bootstrap` behind the platform's `create_app`) under uvicorn on a
loopback port in this process; requests go over TCP with httpx. Rows are seeded straight into the read model's
collection, made by the projection's own code (`merged_row` of a DeclarationDrafted's change), so the seeding
is not what is measured; the indexes are built by the service's `ensure_indexes` at start (timed: INFO).

    uv run python bench/query.py --rows 1000000 [--only embedded,distributed,import] [--samples 200]
"""

from __future__ import annotations

import argparse
import asyncio
import functools
import json
import os
import socket
import sqlite3
import sys
import tempfile
import threading
import time
from collections.abc import AsyncIterator, Iterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

sys.path.insert(0, str(Path(__file__).parent))
from _common import machine, quiet_logging, run_id

TENANT = "91310000MA1FL0BENCH"
SECRET = "bench-query-secret-" + "q" * 32
TARGET_MS = 50.0
CUSTOMS = ["2200", "2233", "2300", "2900", "3100", "3300", "3500", "3700", "4000", "4200",
           "4600", "4700", "4900", "5100", "0100", "0200", "0400", "0500", "0800", "0900"]  # fmt: skip
TRADE_MODES = ["0110", "0130", "0214", "0245", "0255", "0258", "0265", "0300", "0320", "0615"]
COMBINATIONS = [(ie, cm, tm) for ie in ("I", "E") for cm in CUSTOMS for tm in TRADE_MODES]
GOODS = [
    "笔记本电脑",
    "液晶显示器",
    "不锈钢螺栓",
    "棉制针织T恤",
    "锂离子蓄电池",
    "塑料餐具",
    "汽车轮胎",
    "太阳能电池板",
]
HS = ["8471300000", "8528521100", "7318158001", "6109100021", "8507600090", "3924100000", "4011100000",
      "8541430000"]  # fmt: skip
BATCH = 2_000
PAGE = 50


def combination(i: int) -> tuple[str, str, str]:
    """Row i's (ie_flag, custom_master, trade_mode): every combination equally often."""
    return ("I" if i % 2 else "E", CUSTOMS[(i // 2) % 20], TRADE_MODES[(i // 40) % 10])


def updated_at(i: int, rows: int) -> str:
    """最近操作时间 spread over the rows out of insertion order."""
    second = (i * 7919) % rows
    day, rest = divmod(second, 86_400)
    return f"2026-{1 + day // 28 % 12:02d}-{1 + day % 28:02d}T{rest // 3600:02d}:{rest // 60 % 60:02d}:{rest % 60:02d}.000000+00:00"


@functools.cache
def seed_document(ie_flag: str, custom_master: str, trade_mode: str, g: int) -> Any:
    from guanwu.contracts.declaration import DeclarationDocument

    head = {
        "ie_flag": ie_flag,
        "custom_master": custom_master,
        "ie_port": custom_master,
        "trade_mode": trade_mode,
        "trade_code": "3122440001",
        "trade_name": "上海关务示范贸易有限公司",
        "agent_code": "3122440001",
        "agent_name": "上海关务示范贸易有限公司",
    }
    goods = [
        {"g_no": 1, "code_ts": HS[g], "g_name": GOODS[g]},
        {"g_no": 2, "code_ts": HS[(g + 3) % len(HS)], "g_name": GOODS[(g + 3) % len(GOODS)]},
    ]
    return DeclarationDocument.model_validate({"head": head, "goods": goods})


def seed_row(run: str, i: int, rows: int) -> dict[str, Any]:
    """Row i as the projection makes it (`declaration_change` + `merged_row`) from a DeclarationDrafted
    carrying its document (two goods lines)."""
    from datetime import datetime

    from guanwu.contracts.events import DeclarationDrafted
    from guanwu.platform.events import envelope_for
    from guanwu.query.domain.declarations import declaration_change, merged_row, row_id

    ie_flag, custom_master, trade_mode = combination(i)
    event = DeclarationDrafted(
        declaration_id=f"dec-{run}-{i:07d}",
        version=1,
        ie_flag=ie_flag,
        status="草稿",
        client_seq_no=f"{i:018d}",
        custom_master=custom_master,
        trade_name="上海关务示范贸易有限公司",
        bill_no=f"MSKU{i:010d}",
        prepared_by="user-bench",
        document=seed_document(ie_flag, custom_master, trade_mode, i % len(GOODS)),
    )
    envelope = envelope_for(event, source="/guanwu/declaration", tenant=TENANT)[1]
    envelope = envelope.model_copy(update={"time": datetime.fromisoformat(updated_at(i, rows))})
    row = merged_row(row_id(TENANT, event.declaration_id), None, [declaration_change(envelope, event)])
    assert row is not None and row["trade_mode"] == trade_mode
    return row


_ID, _SEQ, _BILL, _TIME = (
    "dec-@@@@@@@@@@",
    "@@@@@@@@@@@@@@@@@@",
    "MSKU@@@@@@@@@@",
    "2000-01-01T00:00:00.000000+00:00",
)


@functools.cache
def template(ie_flag: str, custom_master: str, trade_mode: str, g: int) -> str:
    """The row of one combination as the projection makes it, with placeholders for what differs per row."""
    from datetime import datetime

    from guanwu.contracts.events import DeclarationDrafted
    from guanwu.platform.events import envelope_for
    from guanwu.query.domain.declarations import declaration_change, merged_row, row_id

    event = DeclarationDrafted(
        declaration_id=_ID,
        version=1,
        ie_flag=ie_flag,
        status="草稿",
        client_seq_no=_SEQ,
        custom_master=custom_master,
        trade_name="上海关务示范贸易有限公司",
        bill_no=_BILL,
        prepared_by="user-bench",
        document=seed_document(ie_flag, custom_master, trade_mode, g),
    )
    envelope = envelope_for(event, source="/guanwu/declaration", tenant=TENANT)[1]
    envelope = envelope.model_copy(update={"time": datetime.fromisoformat(_TIME)})
    row = merged_row(row_id(TENANT, _ID), None, [declaration_change(envelope, event)])
    return json.dumps(row, ensure_ascii=False)


def fast_row(run: str, i: int, rows: int) -> dict[str, Any]:
    """`seed_row` without running the projection for every row: its combination's template with this row's
    id, numbers and time put in (checked against `seed_row` while seeding)."""
    ie_flag, custom_master, trade_mode = combination(i)
    text = template(ie_flag, custom_master, trade_mode, i % len(GOODS))
    for placeholder, value in (
        (_ID, f"dec-{run}-{i:07d}"),
        (_SEQ, f"{i:018d}"),
        (_BILL, f"MSKU{i:010d}"),
        (_TIME, updated_at(i, rows)),
    ):
        text = text.replace(placeholder, value)
    row: dict[str, Any] = json.loads(text)
    return row


def seed_batches(run: str, rows: int) -> Iterator[list[dict[str, Any]]]:
    for start in range(0, rows, BATCH):
        batch = [fast_row(run, i, rows) for i in range(start, min(rows, start + BATCH))]
        checked = batch[0], batch[-1]
        for row in checked:  # the fast rows are the projection's rows
            i = int(row["declaration_id"].rsplit("-", 1)[1])
            assert row == seed_row(run, i, rows), (row, seed_row(run, i, rows))
        yield batch


def percentile(values: Sequence[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def latency_line(name: str, values: Sequence[float]) -> str:
    ms = [v * 1000 for v in values]
    return (
        f"  {name:<58} p50 {percentile(ms, 50):7.1f} ms  p95 {percentile(ms, 95):7.1f} ms  "
        f"p99 {percentile(ms, 99):7.1f} ms  max {max(ms):7.1f} ms  (n={len(ms)})"
    )


# ------------------------------------------------------------------------------------------- memory probe


def rss_bytes() -> int:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


class RssProbe:
    """The process's RSS, sampled every 20 ms from a thread (sampled even while the event loop is busy)."""

    def __init__(self) -> None:
        self.before = rss_bytes()
        self.peak = self.before
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.wait(0.02):
            self.peak = max(self.peak, rss_bytes())

    def __enter__(self) -> RssProbe:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, rss_bytes())

    @property
    def growth_mb(self) -> float:
        return (self.peak - self.before) / 2**20


# ------------------------------------------------------------------------------------------------ server


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@asynccontextmanager
async def query_service(store: Any) -> AsyncIterator[tuple[httpx.AsyncClient, float]]:
    """The query service alone under uvicorn on a loopback port, in this process; the client carries a token.
    Also returns how long the start (the indexes' build) took."""
    import uvicorn
    from pydantic import SecretStr

    from guanwu.platform.auth import LocalTokenIssuer
    from guanwu.platform.bus.inprocess import InProcessEventBus
    from guanwu.platform.runtime import Runtime, create_app
    from guanwu.platform.settings import AuthSettings
    from guanwu.query import bootstrap
    from guanwu.query.config import QuerySettings

    issuer = LocalTokenIssuer(SECRET)
    runtime = Runtime(store, InProcessEventBus())
    settings = QuerySettings(auth=AuthSettings(secret=SecretStr(SECRET)))
    runtime.register(bootstrap.build(settings, store, runtime.outbox_written))
    app = create_app(runtime, issuer, title="query", service_label="query")
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    started = time.perf_counter()
    task = asyncio.create_task(server.serve())
    while not server.started:
        if task.done():
            task.result()
            raise RuntimeError("uvicorn ended before it started")
        await asyncio.sleep(0.05)
    start_seconds = time.perf_counter() - started
    token = issuer.issue("bench", TENANT, ["preparer", "reviewer", "manager"])
    client = httpx.AsyncClient(
        base_url=f"http://127.0.0.1:{port}", headers={"Authorization": f"Bearer {token}"}, timeout=600
    )
    try:
        yield client, start_seconds
    finally:
        await client.aclose()
        server.should_exit = True
        await task


def page_params(k: int) -> dict[str, Any]:
    ie_flag, custom_master, trade_mode = COMBINATIONS[(k * 37) % len(COMBINATIONS)]
    return {
        "ie_flag": ie_flag,
        "custom_master": custom_master,
        "trade_mode": trade_mode,
        "sort": "updated_at",
        "order": "desc",
        "limit": PAGE,
    }


async def api_pages(client: httpx.AsyncClient, samples: int, rows: int) -> list[float]:
    """Timed GETs of filtered pages; each page checked (50 rows, newest first, the expected total)."""
    for k in range(5):  # warm-up
        (await client.get("/api/query/declarations", params=page_params(k))).raise_for_status()
    out = []
    for k in range(samples):
        params = page_params(k)
        t0 = time.perf_counter()
        response = await client.get("/api/query/declarations", params=params)
        out.append(time.perf_counter() - t0)
        response.raise_for_status()
        page = response.json()
        assert page["total"] == rows // len(COMBINATIONS), page["total"]
        assert len(page["items"]) == min(PAGE, rows // len(COMBINATIONS))
        stamps = [r["updated_at"] for r in page["items"]]
        assert stamps == sorted(stamps, reverse=True)
    return out


def last_week(rows: int) -> dict[str, str]:
    """最近操作时间 within the last 7 days of the seeded ones (all of them below 7 × 86,400 rows)."""
    end = (rows - 1) // 86_400 + 1
    return {"updated_from": f"2026-01-{1 + max(0, end - 7):02d}T00:00:00+00:00",
            "updated_to": f"2026-01-{1 + end:02d}T00:00:00+00:00"}  # fmt: skip


def shapes(rows: int) -> list[tuple[str, dict[str, Any]]]:
    """Other pages people ask for (not the RESULT): their p95 beside the three filters'."""
    return [
        ("最近操作时间, last 7 days (the console's default)", last_week(rows)),
        ("进出口标志 alone", {"ie_flag": "I"}),
        ("申报地海关 + 监管方式", {"custom_master": "2200", "trade_mode": "0110"}),
        (
            "进出口标志 + 申报地海关, last 7 days",
            {"ie_flag": "E", "custom_master": "3100", **last_week(rows)},
        ),
        ("no filter", {}),
    ]


def shape_total(params: dict[str, Any], rows: int) -> int:
    """How many seeded rows a shape matches (what its page's total must say, up to the cap)."""
    start, end = params.get("updated_from", "")[:19], params.get("updated_to", "9999")[:19]
    wanted = [(k, params[k]) for k in ("ie_flag", "custom_master", "trade_mode") if k in params]
    count = 0
    for i in range(rows):
        ie_flag, custom_master, trade_mode = combination(i)
        row = {"ie_flag": ie_flag, "custom_master": custom_master, "trade_mode": trade_mode}
        if all(row[k] == v for k, v in wanted) and start <= updated_at(i, rows)[:19] < end:
            count += 1
    return count


async def api_shapes(
    client: httpx.AsyncClient, samples: int, rows: int
) -> list[tuple[str, list[float], str]]:
    """Timed GETs of each of `shapes`, newest first, 50 rows; each page's total checked (exact up to 10,000, else
    10,000 and total_capped; or exact, from a service that counts them all)."""
    out = []
    for name, filters in shapes(rows):
        params = {**filters, "sort": "updated_at", "order": "desc", "limit": PAGE}
        matched = shape_total(filters, rows)
        want = (min(matched, 10_000), matched > 10_000)
        (await client.get("/api/query/declarations", params=params)).raise_for_status()
        times = []
        for _ in range(samples):
            t0 = time.perf_counter()
            response = await client.get("/api/query/declarations", params=params)
            times.append(time.perf_counter() - t0)
            response.raise_for_status()
            page = response.json()
            capped = page.get("total_capped", False)  # an older service counts them all
            assert (page["total"], capped) in (want, (matched, False)), (name, page["total"], want)
            assert len(page["items"]) == min(PAGE, matched)
        total = f"{page['total']:,}{'+' if capped else ''} of {matched:,}"
        out.append((name, times, total))
    return out


# --------------------------------------------------------------------------------------------------- raw


RAW_COLUMNS = ("tenant", "ie_flag", "custom_master", "trade_mode", "updated_at")


def raw_sqlite(path: Path, run: str, rows: int, samples: int) -> tuple[list[float], float]:
    """Plain sqlite3: a table with the filtered and sorted columns as columns, one composite index, the row
    as JSON text; a page = COUNT(*) + SELECT … ORDER BY updated_at DESC LIMIT 50, rows parsed."""
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=NORMAL")
    conn.execute(
        "CREATE TABLE raw_rows (id TEXT PRIMARY KEY, tenant TEXT, ie_flag TEXT, custom_master TEXT, "
        "trade_mode TEXT, updated_at TEXT, doc TEXT)"
    )
    for batch in seed_batches(run + "-raw", rows):
        conn.execute("BEGIN")
        conn.executemany(
            "INSERT INTO raw_rows VALUES (?, ?, ?, ?, ?, ?, ?)",
            [(r["_id"], *(r[c] for c in RAW_COLUMNS), json.dumps(r, ensure_ascii=False)) for r in batch],
        )
        conn.execute("COMMIT")
    t0 = time.perf_counter()
    conn.execute(
        "CREATE INDEX raw_rows_filter ON raw_rows (tenant, ie_flag, custom_master, trade_mode, updated_at DESC)"
    )
    index_seconds = time.perf_counter() - t0
    where = "tenant = ? AND ie_flag = ? AND custom_master = ? AND trade_mode = ?"
    out = []
    for k in range(-5, samples):
        p = page_params(max(k, 0))
        values = (TENANT, p["ie_flag"], p["custom_master"], p["trade_mode"])
        t0 = time.perf_counter()
        total = conn.execute(f"SELECT COUNT(*) FROM raw_rows WHERE {where}", values).fetchone()[0]
        docs = [
            json.loads(d)
            for (d,) in conn.execute(
                f"SELECT doc FROM raw_rows WHERE {where} ORDER BY updated_at DESC LIMIT {PAGE}", values
            )
        ]
        if k >= 0:
            out.append(time.perf_counter() - t0)
        assert total == rows // len(COMBINATIONS) and len(docs) == min(PAGE, total)
    conn.close()
    return out, index_seconds


async def raw_mongo(url: str, database: str, run: str, rows: int, samples: int) -> tuple[list[float], float]:
    """Raw pymongo: the same documents in a collection of their own, one compound index on the filtered and
    sorted fields; a page = count_documents + find().sort().limit(50)."""
    from pymongo import AsyncMongoClient

    client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(url)
    try:
        collection = client[database]["raw_rows"]
        for batch in seed_batches(run + "-raw", rows):
            await collection.insert_many(batch, ordered=False)
        t0 = time.perf_counter()
        await collection.create_index(
            [("tenant", 1), ("ie_flag", 1), ("custom_master", 1), ("trade_mode", 1), ("updated_at", -1)]
        )
        index_seconds = time.perf_counter() - t0
        out = []
        for k in range(-5, samples):
            p = page_params(max(k, 0))
            query = {"tenant": TENANT, "ie_flag": p["ie_flag"], "custom_master": p["custom_master"],
                     "trade_mode": p["trade_mode"]}  # fmt: skip
            t0 = time.perf_counter()
            total = await collection.count_documents(query)
            docs = await collection.find(query).sort("updated_at", -1).limit(PAGE).to_list()
            if k >= 0:
                out.append(time.perf_counter() - t0)
            assert total == rows // len(COMBINATIONS) and len(docs) == min(PAGE, total)
        return out, index_seconds
    finally:
        await client.close()


# ------------------------------------------------------------------------------------------------ export


@dataclass
class Exported:
    rows: int
    seconds: float
    size: int
    growth_mb: float
    first_byte: float


async def export(client: httpx.AsyncClient, params: dict[str, Any], expected: int) -> Exported:
    """One export, streamed and discarded; the sheet's rows counted by reading it back (after the clock)."""
    import io

    import openpyxl

    body = bytearray()
    with RssProbe() as probe:
        t0 = time.perf_counter()
        first = 0.0
        async with client.stream("GET", "/api/query/declarations/export.xlsx", params=params) as response:
            response.raise_for_status()
            async for chunk in response.aiter_bytes():
                first = first or time.perf_counter() - t0
                body += chunk
        seconds = time.perf_counter() - t0
    book = openpyxl.load_workbook(io.BytesIO(bytes(body)), read_only=True)
    counted = sum(1 for sheet in book.worksheets for _ in sheet.iter_rows(min_row=2, max_col=1))
    assert counted == expected, (counted, expected)
    return Exported(expected, seconds, len(body), probe.growth_mb, first)


async def exports(client: httpx.AsyncClient, rows: int) -> list[Exported]:
    ie, cm, tm = COMBINATIONS[0]
    out = [
        await export(client, {"ie_flag": ie, "custom_master": cm, "trade_mode": tm}, rows // 400),
        await export(client, {"ie_flag": ie, "trade_mode": tm}, rows // 20),
        await export(client, {"trade_mode": tm}, rows // 10),
    ]
    return out


# ------------------------------------------------------------------------------------------------- sides


@dataclass
class Side:
    name: str
    api: list[float] = field(default_factory=list)
    raw: list[float] = field(default_factory=list)
    raw_name: str = ""
    seed_seconds: float = 0.0
    start_seconds: float = 0.0
    raw_index_seconds: float = 0.0
    exported: list[Exported] = field(default_factory=list)
    shapes: list[tuple[str, list[float], str]] = field(default_factory=list)


async def seed(store: Any, run: str, rows: int) -> float:
    collection = store.collection("query_declarations")
    t0 = time.perf_counter()
    done = 0
    for batch in seed_batches(run, rows):
        inserted = await collection.insert_many(batch)
        assert all(inserted)
        done += len(batch)
        if done % 100_000 == 0:
            print(f"  seeded {done:,} rows ({done / (time.perf_counter() - t0):,.0f}/s)", flush=True)
    return time.perf_counter() - t0


async def measure(side: Side, store: Any, run: str, args: argparse.Namespace) -> None:
    side.seed_seconds = await seed(store, run, args.rows)
    async with query_service(store) as (client, start_seconds):
        side.start_seconds = start_seconds
        print(f"  {side.name}: seeded in {side.seed_seconds:.0f} s, service started in {start_seconds:.0f} s")
        side.api = await api_pages(client, args.samples, args.rows)
        print(
            latency_line("GET /api/query/declarations (3 filters, sorted, 50 + total)", side.api), flush=True
        )
        if args.shapes:
            side.shapes = await api_shapes(client, max(20, args.samples // 4), args.rows)
        if not args.no_export:
            side.exported = await exports(client, args.rows)


async def run_embedded(args: argparse.Namespace, run: str, folder: Path) -> Side:
    from guanwu.platform.store.sqlite import SqliteDocumentStore

    side = Side("embedded (SQLite)", raw_name="raw sqlite3 (columns + composite index)")
    store = SqliteDocumentStore(folder / "guanwu")
    try:
        await measure(side, store, run, args)
    finally:
        await store.close()
    side.raw, side.raw_index_seconds = await asyncio.to_thread(
        raw_sqlite, folder / "raw.sqlite", run, args.rows, args.samples
    )
    return side


async def run_distributed(args: argparse.Namespace, run: str) -> Side:
    from pymongo import AsyncMongoClient

    from guanwu.platform.store.mongo import MongoDocumentStore

    database = f"bench_query_{run.replace('-', '_')}"
    side = Side("FerretDB", raw_name="raw pymongo (same documents, compound index)")
    store = MongoDocumentStore(args.mongo_url, database)
    try:
        await measure(side, store, run, args)
        side.raw, side.raw_index_seconds = await raw_mongo(
            args.mongo_url, database + "_raw", run, args.rows, args.samples
        )
    finally:
        await store.close()
        client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(args.mongo_url)
        for name in (database, database + "_raw"):
            await client.drop_database(name)
        await client.close()
    return side


def report(side: Side, args: argparse.Namespace) -> list[str]:
    print(f"\n== {side.name}: {args.rows:,} rows", flush=True)
    print(f"  seeded in {side.seed_seconds:.0f} s; service start (indexes built) {side.start_seconds:.1f} s; "
          f"raw index {side.raw_index_seconds:.1f} s")  # fmt: skip
    print(latency_line("GET /api/query/declarations (3 filters, sorted, 50 + total)", side.api))
    print(latency_line(side.raw_name, side.raw))
    api95, raw95 = percentile(side.api, 95) * 1000, percentile(side.raw, 95) * 1000
    verdict = "ok" if api95 <= TARGET_MS else "ABOVE TARGET"
    lines = [
        f"RESULT query.page_p95[{side.name}]: {api95:.1f} ms target<={TARGET_MS:.0f} ms ({verdict}) "
        f"raw={raw95:.1f} ms ratio raw/guanwu={raw95 / api95:.2f}"
    ]
    for name, times, total in side.shapes:
        print(latency_line(f"{name} (total {total})", times))
        lines.append(f"INFO query.page_p95[{side.name}, {name}]: {percentile(times, 95) * 1000:.1f} ms")
    for e in side.exported:
        print(
            f"  export {e.rows:>9,} rows: {e.seconds:6.1f} s ({e.rows / e.seconds:,.0f} rows/s), "
            f"{e.size / 2**20:6.1f} MB, first byte after {e.first_byte * 1000:.0f} ms, RSS +{e.growth_mb:.0f} MB"
        )
    if side.exported:
        big = side.exported[-1]
        lines.append(
            f"INFO query.export[{side.name}]: {big.rows:,} rows in {big.seconds:.1f} s, RSS growth "
            + " / ".join(f"{e.rows:,}: +{e.growth_mb:.0f} MB" for e in side.exported)
        )
    for line in lines:
        print(line, flush=True)
    return lines


async def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--samples", type=int, default=200)
    parser.add_argument(
        "--mongo-url", default=os.environ.get("GUANWU_MONGO_URL", "mongodb://127.0.0.1:27017/")
    )
    parser.add_argument("--only", default="embedded,distributed,import")
    parser.add_argument("--no-export", action="store_true")
    parser.add_argument("--shapes", action="store_true", help="also time other pages people ask for")
    parser.add_argument("--import-lines", type=int, default=10_000)
    args = parser.parse_args()
    if args.rows % 400:
        parser.error("--rows: a multiple of 400 (every filter combination equally often)")
    quiet_logging()
    only = set(args.only.split(","))
    run = run_id()
    print(f"bench/query.py {run} on {machine()}", flush=True)
    summary: list[str] = []
    if "embedded" in only:
        with tempfile.TemporaryDirectory(prefix="guanwu-bench-query-") as folder:
            summary += report(await run_embedded(args, run, Path(folder)), args)
    if "distributed" in only:
        summary += report(await run_distributed(args, run), args)
    if "import" in only:
        summary += await import_bench(args)
    print("\n== summary")
    for line in summary:
        print(line)
    return 0


def import_file(lines: int) -> tuple[bytes, int]:
    """A filled import template: declarations of 50 goods lines (the kernel's fifty-line fixture), `lines` in
    all; returns the bytes and the declarations' count."""
    import io

    from guanwu.contracts.declaration import DeclarationDocument
    from guanwu.customs import fixtures
    from guanwu.declaration.adapters.xlsx_template import write_template

    model = fixtures.fifty_line_export()
    count = max(1, lines // len(model.goods))
    document = DeclarationDocument(kind=model.kind, head=model.head, goods=model.goods)
    buffer = io.BytesIO()
    write_template(buffer, [document] * count)
    return buffer.getvalue(), count


def raw_parse(content: bytes) -> tuple[float, int]:
    """The floor: openpyxl (read-only) reading every cell of the file, nothing checked or written."""
    import io

    import openpyxl

    t0 = time.perf_counter()
    book = openpyxl.load_workbook(io.BytesIO(content), read_only=True)
    cells = sum(1 for sheet in book.worksheets for row in sheet.iter_rows(values_only=True) for _ in row)
    return time.perf_counter() - t0, cells


@asynccontextmanager
async def declaration_service(store: Any) -> AsyncIterator[httpx.AsyncClient]:
    """The declaration service alone under uvicorn on a loopback port, in this process."""
    import uvicorn
    from pydantic import SecretStr

    from guanwu.declaration import bootstrap
    from guanwu.declaration.config import DeclarationSettings
    from guanwu.platform.auth import LocalTokenIssuer
    from guanwu.platform.bus.inprocess import InProcessEventBus
    from guanwu.platform.runtime import Runtime, create_app
    from guanwu.platform.settings import AuthSettings

    issuer = LocalTokenIssuer(SECRET)
    runtime = Runtime(store, InProcessEventBus())
    settings = DeclarationSettings(auth=AuthSettings(secret=SecretStr(SECRET)))
    runtime.register(bootstrap.build(settings, store, runtime.outbox_written))
    app = create_app(runtime, issuer, title="declaration", service_label="declaration")
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    task = asyncio.create_task(server.serve())
    while not server.started:
        if task.done():
            task.result()
            raise RuntimeError("uvicorn ended before it started")
        await asyncio.sleep(0.05)
    token = issuer.issue("bench", TENANT, ["preparer"])
    client = httpx.AsyncClient(
        base_url=f"http://127.0.0.1:{port}", headers={"Authorization": f"Bearer {token}"}, timeout=1800
    )
    try:
        yield client
    finally:
        await client.aclose()
        server.should_exit = True
        await task


async def import_bench(args: argparse.Namespace) -> list[str]:
    """POST /api/declaration/imports of a filled template with `--import-lines` goods lines, embedded
    (SQLite): the time from the first byte sent to the 201 (every check run, every draft written)."""
    print(
        f"\n== import: {args.import_lines:,} goods lines through POST /api/declaration/imports (SQLite)",
        flush=True,
    )
    try:
        content, declarations = import_file(args.import_lines)
    except ImportError as missing:
        print(f"  not measured: the declaration service's import is not there ({missing})")
        return []
    from guanwu.platform.store.sqlite import SqliteDocumentStore

    parse_seconds, cells = raw_parse(content)
    with tempfile.TemporaryDirectory(prefix="guanwu-bench-import-") as folder:
        store = SqliteDocumentStore(Path(folder))
        try:
            async with declaration_service(store) as client:
                files = {
                    "file": (
                        "报关单导入.xlsx",
                        content,
                        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                    )
                }
                t0 = time.perf_counter()
                response = await client.post("/api/declaration/imports", files=files)
                seconds = time.perf_counter() - t0
                assert response.status_code == 201, response.text[:2000]
                record = response.json()
                assert len(record["declaration_ids"]) == declarations, record
                t0 = time.perf_counter()
                again = await client.post("/api/declaration/imports", files=files)
                again_seconds = time.perf_counter() - t0
                assert (
                    again.status_code == 200 and again.json()["declaration_ids"] == record["declaration_ids"]
                )
        finally:
            await store.close()
    lines = declarations * (args.import_lines // declarations)
    print(f"  file {len(content) / 2**20:.2f} MB, {declarations} declarations, {lines:,} goods lines")
    print(
        f"  import (checked, {declarations} drafts written): {seconds:.1f} s ({lines / seconds:,.0f} lines/s)"
    )
    print(f"  the same file again (nothing new): {again_seconds:.1f} s")
    print(f"  raw: openpyxl read-only reading its {cells:,} cells: {parse_seconds:.1f} s")
    return [
        f"INFO query.import: {lines:,} goods lines in {seconds:.1f} s ({lines / seconds:,.0f}/s); "
        f"raw openpyxl read {parse_seconds:.1f} s; again {again_seconds:.1f} s"
    ]


if __name__ == "__main__":
    raise SystemExit(asyncio.run(main()))
