"""Review (审单, #15): field marks per second through the API with FieldMarked published, and the review list's
p95 over 100,000 tasks with three filters and the 最近操作时间 range — each next to a baseline in the same run.

    uv run python bench/review.py --tasks 100000 --marks 2000 --concurrency 8 \
        [--distributed-tasks 100000 --bootstrap 127.0.0.1:9092 --mongo-url mongodb://127.0.0.1:27017/] \
        [--only embedded,distributed]

**Marks/s**: C reviewers at once go through M / 25 pending tasks, 25 clicks each (POST
/api/review/tasks/{id}/mark with `cycle`: unmarked → ok → wrong → unmarked, every click a change, over five
fields), If-Match the version the last answer gave.
Every change writes the task and its FieldMarked into the outbox; the relay publishes it and review's audit
consumer (group review.audit) records it. Clock: first click → every click answered AND the audit counts
them all (GET /api/review/audit?action=mark, polled): published and consumed, not only answered.
Baseline: a bare FastAPI app under uvicorn doing the same work by hand with sqlite3 — read the task's JSON,
change its marks, write it back with an outbox row, one transaction per click (the store's pragmas).

**List p95**: N tasks as the repository writes them (the task in `review_tasks`, its 3-line declaration
document beside it in `review_task_documents`) seeded straight into the store, then R GETs of /api/review/tasks with status, 进出口 and 申报地海关
plus a 7-day 最近操作时间 window (values varied per request; a page of 50 and the total).
Baseline embedded: raw sqlite3 on a plain table of the same rows (the filter fields as columns, one
composite index, the task JSON as text parsed for the page) doing the same count + page.
Baseline distributed: raw pymongo `count_documents` + `find` with the same filter on the service's
collection (its own indexes), i.e. the same query without guanwu.

Embedded: the review service (SQLite, in-process bus) under uvicorn in a process of its own.
Distributed: `guanwu serve review`'s composition (FerretDB, Kafka; topics renamed per run).
Printed, never asserted; targets: marks ratio ≥ 0.3, list p95 ratio ≤ 3.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import json
import multiprocessing
import random
import sqlite3
import tempfile
import time
from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
from _common import machine, quiet_logging, rate, ratio, run_id, section
from fastapi import FastAPI, Request, Response
from latency import Cluster, figures, free_port, ms, wait_ready

from guanwu.platform.auth import LocalTokenIssuer

SECRET = "bench-review-secret-" + "r" * 32
TENANT = "91310000MA1FL0REVW"
CUSTOMS = [f"{5100 + i}" for i in range(10)]
STATUSES = ["待审核", "审核通过", "审核退回"]
CLICKS_PER_TASK = 25
"""Clicks on one task: five fields, each cycled five times (the task and its audit trail grow with them)."""
MARKED = ["head.bill_no", "head.trade_mode", "head.contr_no", "goods[0].g_qty", "goods[1].decl_price"]
DAYS = 90
PAGE = 50
TARGET_MARKS = 0.3
TARGET_P95 = 3.0
BASE_DAY = date(2026, 11, 28)

# ------------------------------------------------------------------------------------------------ seeding


def task_docs(run: str, start: int, count: int) -> list[dict[str, Any]]:
    """Tasks as the review repository stores them (`to_document` of a task `open_task` made: without its
    declaration document, which lives in `review_task_documents`), spread over filters and days: one task
    built by the domain, its varying fields replaced per row (fast seeding)."""
    base = _base_task()
    docs = []
    for i in range(start, start + count):
        rng = random.Random(i)
        moment = datetime(2026, 11, 28, 4, tzinfo=UTC) - timedelta(minutes=rng.randrange(DAYS * 24 * 60))
        stamp = moment.strftime("%Y-%m-%dT%H:%M:%S.%fZ")  # the task's fixed-width UTC text
        review_id = f"rev-{run}-{i:07d}"
        docs.append(
            {
                **base,
                "_id": review_id,
                "review_id": review_id,
                "declaration_id": f"dec-{run}-{i:07d}",
                "ie_flag": "E" if i % 2 else "I",
                "custom_master": CUSTOMS[i % len(CUSTOMS)],
                "seq_no": f"{i:018d}",
                "bill_no": f"BL{i:010d}",
                "status": STATUSES[i % 3 if i % 7 else 0],
                "submitted_at": stamp,
                "updated_at": stamp,
            }
        )
    return docs


def document_docs(tasks: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """The declaration documents of the tasks, as the repository keeps them beside the tasks."""
    document = _DOCUMENT[0]
    return [
        {"_id": t["_id"], "tenant": t["tenant"], "declaration_id": t["declaration_id"], "document": document}
        for t in tasks
    ]


_BASE: dict[str, Any] = {}
_DOCUMENT: list[dict[str, Any]] = []


def _base_task() -> dict[str, Any]:
    if not _BASE:
        from guanwu.contracts.events import DeclarationSubmittedForReview
        from guanwu.customs.fixtures.declarations import export_sea_general_trade
        from guanwu.review.domain import open_task

        event = DeclarationSubmittedForReview(
            declaration_id="dec",
            version=2,
            ie_flag="E",
            status="待审核",
            trade_name="上海关务示范贸易有限公司",
            prepared_by="bench-preparer",
            document=export_sea_general_trade(),
        )
        moment = datetime(2026, 11, 28, 4, tzinfo=UTC)
        task = open_task(event, review_id="rev", tenant=TENANT, submitted_at=moment, correlation_id=None)
        _BASE.update(task.model_dump(mode="json", exclude={"version", "document"}))
        _DOCUMENT.append(export_sea_general_trade().model_dump(mode="json"))
    return _BASE


async def seed(store: Any, run: str, n: int) -> float:
    """`n` tasks and their documents, a thousand per write of each collection."""
    tasks, documents = store.collection("review_tasks"), store.collection("review_task_documents")
    started = time.perf_counter()
    for start in range(0, n, 1000):
        batch = task_docs(run, start, min(1000, n - start))
        await tasks.insert_many(batch)
        await documents.insert_many(document_docs(batch))
    return time.perf_counter() - started


def list_queries(r: int) -> list[dict[str, str]]:
    """R list requests: three filters and a 7-day window, varied (same sequence on both sides)."""
    rng = random.Random(7)
    queries = []
    for _ in range(r):
        end = BASE_DAY - timedelta(days=rng.randrange(DAYS - 7))
        queries.append(
            {
                "status": "待审核",
                "ie_flag": rng.choice("IE"),
                "custom_master": rng.choice(CUSTOMS),
                "updated_from": str(end - timedelta(days=7)),
                "updated_to": str(end),
            }
        )
    return queries


# ------------------------------------------------------------------------------------------------ servers


def serve_embedded_review(port: int, folder: str) -> None:
    """Child process: the review service as embedded runs it (SQLite, in-process bus), under uvicorn."""
    import uvicorn
    from pydantic import SecretStr

    from guanwu.platform.bus.inprocess import InProcessEventBus
    from guanwu.platform.runtime import Runtime, create_app
    from guanwu.platform.settings import AuthSettings
    from guanwu.platform.store.sqlite import SqliteDocumentStore
    from guanwu.review import bootstrap
    from guanwu.review.config import ReviewSettings

    quiet_logging()
    store = SqliteDocumentStore(Path(folder))
    runtime = Runtime(store, InProcessEventBus())
    settings = ReviewSettings(auth=AuthSettings(secret=SecretStr(SECRET)))
    runtime.register(bootstrap.build(settings, store, runtime.outbox_written))
    app = create_app(runtime, LocalTokenIssuer(SECRET), title="review", service_label="review")
    uvicorn.run(app, host="127.0.0.1", port=port, log_level="error")


def serve_bare_marks(port: int, path: str) -> None:
    """The marks baseline: FastAPI + sqlite3 by hand, one transaction per click (task JSON + outbox row)."""
    import uvicorn

    conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=NORMAL")
    app = FastAPI()

    @app.post("/tasks/{review_id}/mark")
    async def mark(review_id: str, request: Request) -> Response:
        body = await request.json()
        conn.execute("BEGIN IMMEDIATE")
        (text,) = conn.execute("SELECT doc FROM tasks WHERE id = ?", (review_id,)).fetchone()
        task = json.loads(text)
        marks = {m["field_path"]: m for m in task["marks"]}
        before = marks.get(body["field_path"], {}).get("verdict", "unmarked")
        after = {"unmarked": "ok", "ok": "wrong", "wrong": "unmarked"}[before]
        if after == "unmarked":
            marks.pop(body["field_path"], None)
        else:
            marks[body["field_path"]] = {"field_path": body["field_path"], "verdict": after}
        task["marks"], task["version"] = list(marks.values()), task.get("version", 1) + 1
        answer = json.dumps(task)
        conn.execute("UPDATE tasks SET doc = ? WHERE id = ?", (answer, review_id))
        event = {"field_path": body["field_path"], "state_before": before, "state_after": after}
        conn.execute("INSERT INTO outbox (review_id, event) VALUES (?, ?)", (review_id, json.dumps(event)))
        conn.execute("COMMIT")
        return Response(answer, media_type="application/json")

    @app.get("/readyz")
    async def ready() -> dict[str, str]:
        return {"status": "ok"}

    uvicorn.run(app, host="127.0.0.1", port=port, log_level="error")


def spawn(target: Callable[..., None], *args: Any) -> multiprocessing.process.BaseProcess:
    process = multiprocessing.get_context("spawn").Process(target=target, args=args, daemon=True)
    process.start()
    return process


# ------------------------------------------------------------------------------------------------ measuring


async def marks_through(
    post: Callable[[str, int, str], Awaitable[int]], review_ids: Sequence[str], concurrency: int
) -> tuple[float, list[float]]:
    """CLICKS_PER_TASK clicks on each task (a reviewer going through a declaration), the tasks shared out
    among `concurrency` workers; wall time and per-click latencies."""
    latencies: list[float] = []

    async def worker(mine: Sequence[str]) -> None:
        for review_id in mine:
            version = 1
            for j in range(CLICKS_PER_TASK):
                started = time.perf_counter()
                version = await post(review_id, version, MARKED[j % len(MARKED)])
                latencies.append(time.perf_counter() - started)

    started = time.perf_counter()
    await asyncio.gather(*(worker(review_ids[w::concurrency]) for w in range(concurrency)))
    return time.perf_counter() - started, latencies


def marked_tasks(args: argparse.Namespace) -> int:
    return max(int(args.concurrency), int(args.marks) // CLICKS_PER_TASK)


async def audited_marks(client: httpx.AsyncClient) -> int:
    answer = await client.get("/api/review/audit", params={"action": "mark", "limit": 1})
    answer.raise_for_status()
    return int(answer.json()["total"])


async def until_audited(client: httpx.AsyncClient, expected: int, stall: float = 60.0) -> float:
    """Poll the audit until it counts `expected` marks; fail after `stall` seconds without progress."""
    last, since = -1, time.perf_counter()
    while True:
        count = await audited_marks(client)
        now = time.perf_counter()
        if count >= expected:
            return now
        if count != last:
            last, since = count, now
        elif now - since > stall:
            raise RuntimeError(f"the audit stopped at {count} of {expected} marks")
        await asyncio.sleep(0.02)


async def guanwu_marks(client: httpx.AsyncClient, run: str, args: argparse.Namespace) -> dict[str, float]:
    review_ids = [f"rev-{run}-{i:07d}" for i in range(0, 7 * marked_tasks(args), 7)]  # 待审核 (i % 7 == 0)

    async def post(review_id: str, version: int, path: str) -> int:
        answer = await client.post(
            f"/api/review/tasks/{review_id}/mark",
            json={"field_path": path, "state": "cycle"},
            headers={"If-Match": f'"{version}"'},
        )
        assert answer.status_code == 200, answer.text
        return int(answer.headers["ETag"].strip('"'))

    before = await audited_marks(client)
    started = time.perf_counter()
    wall, latencies = await marks_through(post, review_ids, args.concurrency)
    clicks = len(latencies)
    done = await until_audited(client, before + clicks)
    return {
        "answered": rate(clicks, wall),
        "published": rate(clicks, done - started),
        "p50": figures(latencies)["p50"],
        "p95": figures(latencies)["p95"],
    }


async def bare_marks(folder: Path, run: str, args: argparse.Namespace) -> dict[str, float]:
    path = folder / "bare-marks.sqlite"
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("CREATE TABLE tasks (id TEXT PRIMARY KEY, doc TEXT NOT NULL)")
    conn.execute("CREATE TABLE outbox (seq INTEGER PRIMARY KEY, review_id TEXT, event TEXT)")
    docs = task_docs(run, 0, marked_tasks(args))
    conn.executemany("INSERT INTO tasks VALUES (?, ?)", [(d["_id"], json.dumps(d)) for d in docs])
    conn.close()
    port = free_port()
    process = spawn(serve_bare_marks, port, str(path))
    base = f"http://127.0.0.1:{port}"
    try:
        await wait_ready(base, process.is_alive, "bare marks")
        async with httpx.AsyncClient(base_url=base, timeout=30) as client:

            async def post(review_id: str, version: int, field: str) -> int:
                answer = await client.post(f"/tasks/{review_id}/mark", json={"field_path": field})
                answer.raise_for_status()
                return version + 1

            wall, latencies = await marks_through(post, [d["_id"] for d in docs], args.concurrency)
    finally:
        process.kill()
    return {
        "answered": rate(len(latencies), wall),
        "p50": figures(latencies)["p50"],
        "p95": figures(latencies)["p95"],
    }


async def list_latencies(
    client: httpx.AsyncClient, queries: Sequence[dict[str, str]]
) -> tuple[list[float], int]:
    latencies, seen = [], 0
    for query in queries:
        started = time.perf_counter()
        answer = await client.get("/api/review/tasks", params={**query, "limit": str(PAGE)})
        latencies.append(time.perf_counter() - started)
        assert answer.status_code == 200, answer.text
        seen += int(answer.json()["total"])
    return latencies, seen


def china_start(day: date) -> str:
    from guanwu.review.domain.listing import china_day_start

    return china_day_start(day)


RAW_WHERE = (
    "tenant = ? AND status = ? AND ie_flag = ? AND custom_master = ? AND updated_at >= ? AND updated_at < ?"
)


def raw_params(q: dict[str, str]) -> tuple[str, ...]:
    return (TENANT, q["status"], q["ie_flag"], q["custom_master"], china_start(date.fromisoformat(q["updated_from"])),
            china_start(date.fromisoformat(q["updated_to"]) + timedelta(days=1)))  # fmt: skip


def raw_page(conn: sqlite3.Connection, params: tuple[str, ...]) -> tuple[int, list[dict[str, Any]]]:
    """The count and a page of parsed task documents, plain sqlite3 on the plain table."""
    (total,) = conn.execute(f"SELECT count(*) FROM tasks WHERE {RAW_WHERE}", params).fetchone()
    page = conn.execute(
        f"SELECT doc FROM tasks WHERE {RAW_WHERE} ORDER BY updated_at DESC LIMIT {PAGE}", params
    )
    return int(total), [json.loads(text) for (text,) in page]


def raw_table(folder: Path, run: str, n: int) -> Path:
    """A table of the same task rows, the filter fields as columns with one composite index (the store's pragmas)."""
    path = folder / "raw-list.sqlite"
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=NORMAL")
    conn.execute(
        "CREATE TABLE tasks (id TEXT PRIMARY KEY, tenant TEXT, status TEXT, ie_flag TEXT, custom_master TEXT, "
        "updated_at TEXT, doc TEXT)"
    )
    conn.execute("CREATE INDEX by_filters ON tasks (tenant, status, ie_flag, custom_master, updated_at)")
    for start in range(0, n, 1000):
        rows = [
            (
                d["_id"],
                d["tenant"],
                d["status"],
                d["ie_flag"],
                d["custom_master"],
                d["updated_at"],
                json.dumps(d),
            )
            for d in task_docs(run, start, min(1000, n - start))
        ]
        conn.execute("BEGIN")
        conn.executemany("INSERT INTO tasks VALUES (?, ?, ?, ?, ?, ?, ?)", rows)
        conn.execute("COMMIT")
    conn.close()
    return path


def raw_sqlite_list(path: Path, queries: Sequence[dict[str, str]]) -> tuple[list[float], int]:
    """The same count + page with plain sqlite3 in this process (no HTTP)."""
    conn = sqlite3.connect(path, isolation_level=None)
    latencies, seen = [], 0
    for q in queries:
        params = raw_params(q)
        started = time.perf_counter()
        total, _ = raw_page(conn, params)
        latencies.append(time.perf_counter() - started)
        seen += total
    conn.close()
    return latencies, seen


def serve_bare_list(port: int, path: str) -> None:
    """The list's HTTP baseline: a bare FastAPI app under uvicorn answering the same query with `raw_page`
    (no auth, no validation beyond FastAPI's own parameters), the JSON page written with json.dumps."""
    import uvicorn

    conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    app = FastAPI()

    @app.get("/tasks")
    async def tasks(
        status: str, ie_flag: str, custom_master: str, updated_from: str, updated_to: str
    ) -> Response:
        query = {"status": status, "ie_flag": ie_flag, "custom_master": custom_master,
                 "updated_from": updated_from, "updated_to": updated_to}  # fmt: skip
        total, items = raw_page(conn, raw_params(query))
        return Response(json.dumps({"total": total, "items": items}), media_type="application/json")

    @app.get("/readyz")
    async def ready() -> dict[str, str]:
        return {"status": "ok"}

    uvicorn.run(app, host="127.0.0.1", port=port, log_level="error")


async def bare_list(path: Path, queries: Sequence[dict[str, str]]) -> tuple[list[float], int]:
    """`raw_page` through HTTP: the bare app in a process of its own, the same queries as guanwu's."""
    port = free_port()
    process = spawn(serve_bare_list, port, str(path))
    base = f"http://127.0.0.1:{port}"
    try:
        await wait_ready(base, process.is_alive, "bare list")
        async with httpx.AsyncClient(base_url=base, timeout=60) as client:

            async def get(query: dict[str, str]) -> int:
                answer = await client.get("/tasks", params=query)
                answer.raise_for_status()
                return int(answer.json()["total"])

            for query in queries[:10]:  # warm-up
                await get(query)
            latencies, seen = [], 0
            for query in queries:
                started = time.perf_counter()
                seen += await get(query)
                latencies.append(time.perf_counter() - started)
    finally:
        process.kill()
    return latencies, seen


async def raw_mongo_list(
    mongo_url: str, database: str, queries: Sequence[dict[str, str]]
) -> tuple[list[float], int]:
    from pymongo import AsyncMongoClient

    client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(mongo_url)
    collection = client[database]["review_tasks"]
    latencies, seen = [], 0
    try:
        for q in queries:
            filter_ = {
                "tenant": TENANT,
                "status": q["status"],
                "ie_flag": q["ie_flag"],
                "custom_master": q["custom_master"],
                "updated_at": {
                    "$gte": china_start(date.fromisoformat(q["updated_from"])),
                    "$lt": china_start(date.fromisoformat(q["updated_to"]) + timedelta(days=1)),
                },
            }
            started = time.perf_counter()
            total = await collection.count_documents(filter_)
            await collection.find(filter_).sort([("updated_at", -1)]).limit(PAGE).to_list()
            latencies.append(time.perf_counter() - started)
            seen += total
    finally:
        await client.close()
    return latencies, seen


# ------------------------------------------------------------------------------------------------ sides


def report_list(
    side: str,
    guanwu: list[float],
    raw: list[float],
    seen: tuple[int, int],
    name: str,
    result: str = "list_p95",
) -> None:
    g, b = figures(guanwu), figures(raw)
    print(f"  guanwu GET /api/review/tasks  p50 {ms(g['p50'])}  p95 {ms(g['p95'])}  max {ms(g['max'])}")
    print(f"  {name:<29} p50 {ms(b['p50'])}  p95 {ms(b['p95'])}  max {ms(b['max'])}")
    print(
        f"  matches per query: guanwu {seen[0] / max(1, len(guanwu)):.1f}, baseline {seen[1] / max(1, len(raw)):.1f}"
    )
    value = ratio(g["p95"], b["p95"])
    verdict = "ok" if value <= TARGET_P95 else "ABOVE TARGET"
    print(f"RESULT review.{side}.{result}: ratio={value:.2f} target<={TARGET_P95:.1f} ({verdict}) "
          f"guanwu={g['p95'] * 1000:.1f}ms baseline={b['p95'] * 1000:.1f}ms")  # fmt: skip


def report_marks(side: str, guanwu: dict[str, float], bare: dict[str, float] | None) -> None:
    print(f"  guanwu: {guanwu['answered']:,.0f} marks/s answered, {guanwu['published']:,.0f}/s published + audited "
          f"(p50 {ms(guanwu['p50'])}, p95 {ms(guanwu['p95'])})")  # fmt: skip
    if bare is None:
        print(f"INFO review.{side}.marks: {guanwu['published']:,.0f}/s published + audited")
        return
    print(
        f"  bare FastAPI + sqlite3: {bare['answered']:,.0f} marks/s (p50 {ms(bare['p50'])}, p95 {ms(bare['p95'])})"
    )
    value = ratio(guanwu["published"], bare["answered"])
    verdict = "ok" if value >= TARGET_MARKS else "BELOW TARGET"
    print(f"RESULT review.{side}.marks: ratio={value:.2f} target>={TARGET_MARKS:.1f} ({verdict}) "
          f"adapter={guanwu['published']:,.0f}/s baseline={bare['answered']:,.0f}/s")  # fmt: skip


def token() -> dict[str, str]:
    issued = LocalTokenIssuer(SECRET).issue("bench-reviewer", TENANT, ["reviewer", "manager"])
    return {"Authorization": f"Bearer {issued}"}


async def run_embedded(args: argparse.Namespace, run: str, folder: Path) -> None:
    from guanwu.platform.store.sqlite import SqliteDocumentStore

    store = SqliteDocumentStore(folder / "review")
    seconds = await seed(store, run, args.tasks)
    await store.close()
    print(f"  seeded {args.tasks:,} tasks in {seconds:.1f} s ({rate(args.tasks, seconds):,.0f}/s)")
    port = free_port()
    process = spawn(serve_embedded_review, port, str(folder / "review"))
    url = f"http://127.0.0.1:{port}"
    try:
        await wait_ready(url, process.is_alive, "review (embedded)", timeout=600)
        async with httpx.AsyncClient(base_url=url, headers=token(), timeout=60) as client:
            queries = list_queries(args.list_requests)
            await list_latencies(client, queries[:10])  # warm-up
            guanwu, seen = await list_latencies(client, queries)
            raw_path = raw_table(folder, run, args.tasks)
            raw, raw_seen = raw_sqlite_list(raw_path, queries)
            report_list("embedded", guanwu, raw, (seen, raw_seen), "raw sqlite3 (plain table)")
            bare, bare_seen = await bare_list(raw_path, queries)
            report_list(
                "embedded", guanwu, bare, (seen, bare_seen), "bare FastAPI + sqlite3", "list_p95_http"
            )
            marks = await guanwu_marks(client, run, args) if "marks" in args.parts else None
    finally:
        process.kill()
    if marks is not None:
        report_marks("embedded", marks, await bare_marks(folder, run, args))


async def run_distributed(args: argparse.Namespace, run: str) -> None:
    from guanwu.cli.cluster import database_name
    from guanwu.platform.store.mongo import MongoDocumentStore

    prefix = f"bench_review_{run.replace('-', '_')}"
    database = database_name(prefix, "review")
    store = MongoDocumentStore(args.mongo_url, database)
    seconds = await seed(store, run, args.distributed_tasks)
    await store.close()
    print(
        f"  seeded {args.distributed_tasks:,} tasks in {seconds:.1f} s ({rate(args.distributed_tasks, seconds):,.0f}/s)"
    )
    cluster = Cluster(args, run, f"bench.review.{run}.", prefix)
    cluster.shared = dataclasses.replace(cluster.shared, secret=SECRET, deployment=f"bench-review-{run}")
    try:
        url = await review_service(cluster)
        async with httpx.AsyncClient(base_url=url, headers=token(), timeout=120) as client:
            queries = list_queries(args.list_requests)
            await list_latencies(client, queries[:10])
            guanwu, seen = await list_latencies(client, queries)
            raw, raw_seen = await raw_mongo_list(args.mongo_url, database, queries)
            report_list("distributed", guanwu, raw, (seen, raw_seen), "raw pymongo (same collection)")
            if "marks" in args.parts:
                report_marks("distributed", await guanwu_marks(client, run, args), None)
    finally:
        cluster.stop()
        await cleanup(args, prefix, run)


async def review_service(cluster: Cluster) -> str:
    """`Cluster.service("review")` with a longer wait: at start the service builds its indexes over the seeded
    tasks, which takes FerretDB minutes at 100,000 (latency's 180 s were not enough on a loaded machine)."""
    from latency import serve_service

    from guanwu.cli.cluster import service_env

    port = free_port()
    env = service_env("review", cluster.shared, port, {"LOG_LEVEL": "WARNING"})
    process = spawn(serve_service, "review", env, cluster.prefix)
    cluster._services.append(process)
    url = f"http://127.0.0.1:{port}"
    await wait_ready(url, process.is_alive, "review (distributed)", timeout=1800)
    return url


async def cleanup(args: argparse.Namespace, prefix: str, run: str) -> None:
    from aiokafka.admin import AIOKafkaAdminClient
    from pymongo import AsyncMongoClient

    from guanwu.cli.cluster import database_name

    client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(args.mongo_url)
    try:
        await client.drop_database(database_name(prefix, "review"))
    finally:
        await client.close()
    admin = AIOKafkaAdminClient(bootstrap_servers=args.bootstrap)
    await admin.start()
    try:
        ours = [t for t in await admin.list_topics() if t.startswith(f"bench.review.{run}.")]
        if ours:
            await admin.delete_topics(ours)
    finally:
        await admin.close()


async def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--tasks", type=int, default=100_000)
    parser.add_argument("--distributed-tasks", type=int, default=100_000)
    parser.add_argument("--marks", type=int, default=2000)
    parser.add_argument("--concurrency", type=int, default=8, help="reviewers clicking at once (a task each)")
    parser.add_argument("--list-requests", type=int, default=300)
    parser.add_argument("--bootstrap", default="127.0.0.1:9092")
    parser.add_argument("--mongo-url", default="mongodb://127.0.0.1:27017/")
    parser.add_argument("--only", default="embedded,distributed")
    parser.add_argument("--parts", default="list,marks", help="what to measure on each side: list, marks")
    args = parser.parse_args()
    quiet_logging()
    run = run_id()
    print(f"bench/review.py run {run} on {machine()}")
    parts = set(args.only.split(","))
    with tempfile.TemporaryDirectory(prefix="guanwu-bench-review-") as tmp:
        if "embedded" in parts:
            with section(
                f"embedded: {args.tasks:,} tasks, {args.marks:,} marks by {args.concurrency} reviewers"
            ):
                await run_embedded(args, run, Path(tmp))
    if "distributed" in parts:
        with section(f"distributed: {args.distributed_tasks:,} tasks, {args.marks:,} marks"):
            await run_distributed(args, run)


if __name__ == "__main__":
    asyncio.run(main())
