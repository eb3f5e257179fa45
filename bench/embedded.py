"""Embedded pipeline throughput (SQLite document store + in-process bus, no HTTP), next to raw `sqlite3`
inserts of the same documents into the same file, same run.

    uv run python bench/embedded.py --events 5000

Pipeline (what `guanwu up` runs, minus HTTP): 4 concurrent command handlers each write a declaration document
with its DeclarationDrafted event in the outbox (`add_events` + `SqliteDocumentStore` collection `insert`, then
`relay.kick(collection, id, stored)`) → `OutboxRelay` (a page of up to 200 kicked documents, handed over as
written so not read again) → `InProcessEventBus` (delivers inside `publish_many`: envelope parse, payload
validation, handler; a relayed page goes to the group as one batch) → an idempotent batch handler
(`insert_many` of projection documents with `deterministic_id`s) into the same SQLite file → the relay's
cleaner pulls the published events out of the command documents (one transaction, in the background). The clock runs from the first command until the handler has inserted N
documents (checked with a count afterwards).

Baseline (the ceiling: the file): the same N documents encoded as JSON text (`json.dumps` inside the clock) and
inserted with a plain `sqlite3` connection, one autocommitted `INSERT` each, into a table of its own in the same
file, with the store's settings (WAL, `synchronous=NORMAL`), on the event loop's thread. Per event the pipeline
writes twice (command, projection) and per relayed page cleans up once, every statement through the store's
single worker thread, plus the envelope and payload validation of the bus; the baseline writes once.

Sides alternate over `--rounds` rounds (fresh tables each) and the best round of each counts. The file lives in
a temporary folder that is removed at the end.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sqlite3
import statistics
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from _common import (
    PROJECTION_GROUP,
    PublishProbe,
    declaration_doc,
    drafted_envelope,
    machine,
    projection_docs,
    quiet_logging,
    rate,
    ratio,
    result_line,
    run_id,
    section,
)

from guanwu.contracts.envelope import Envelope
from guanwu.contracts.events.base import Event
from guanwu.contracts.events.declaration import DeclarationDrafted
from guanwu.platform.bus.inprocess import InProcessEventBus
from guanwu.platform.bus.port import Subscription
from guanwu.platform.outbox import OutboxRelay, add_events
from guanwu.platform.store.sqlite import SqliteDocumentStore

TARGET = 0.5
TOPIC = "declaration.events.v1"


def run_raw(path: Path, table: str, docs: list[dict[str, Any]]) -> dict[str, float]:
    """One plain sqlite3 connection, the store's pragmas, one autocommitted INSERT of JSON text per document."""
    conn = sqlite3.connect(path, isolation_level=None)
    try:
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=NORMAL")
        conn.execute(f'CREATE TABLE "{table}" (id TEXT PRIMARY KEY NOT NULL, doc TEXT NOT NULL)')
        conn.execute(f'INSERT INTO "{table}" (id, doc) VALUES (?, ?)', ("warm-up", "{}"))
        sql = f'INSERT INTO "{table}" (id, doc) VALUES (?, ?)'
        c0, t0 = time.process_time(), time.perf_counter()
        for doc in docs:
            conn.execute(sql, (doc["_id"], json.dumps(doc, ensure_ascii=False, separators=(",", ":"))))
        seconds = time.perf_counter() - t0
        cpu = time.process_time() - c0
        stored = conn.execute(f'SELECT count(*) FROM "{table}"').fetchone()[0]
    finally:
        conn.close()
    if stored != len(docs) + 1:
        print(f"  WARNING: {stored} raw rows, expected {len(docs) + 1}")
    return {"rate": rate(len(docs), seconds), "cpu": cpu / seconds}


async def run_pipeline(
    folder: Path, suffix: str, run: str, events: list[tuple[str, Envelope]], concurrency: int, timeout: float
) -> dict[str, float]:
    store = SqliteDocumentStore(folder)
    declarations = store.collection(f"declarations_{suffix}")
    projections = store.collection(f"declaration_list_{suffix}")
    handled = 0
    expected = 1
    all_handled = asyncio.Event()

    async def project(items: Sequence[tuple[Envelope, Event]]) -> None:  # the idempotent batch consumer
        nonlocal handled
        handled += sum(await projections.insert_many(projection_docs(items)))
        if handled >= expected:
            all_handled.set()

    bus = InProcessEventBus()
    bus.subscribe(
        Subscription(
            group=PROJECTION_GROUP, topic=TOPIC, batch_handlers={DeclarationDrafted.event_type: project}
        )
    )
    probe = PublishProbe(bus)
    relay = OutboxRelay(probe, [declarations])

    async def command(item: tuple[str, Envelope]) -> None:
        _, envelope = item
        doc = add_events(declaration_doc(envelope), [(TOPIC, envelope)])
        stored = await declarations.insert(doc)
        relay.kick(declarations.name, doc["_id"], stored)  # as services do: the relay need not read it

    await bus.start()
    await relay.start()
    warm = [drafted_envelope(f"{run}-warm", i) for i in range(6)]
    try:
        # Warm-up through the whole path (tables, connection), then reset the counters.
        expected, probe.expected = len(warm), len(warm)
        for item in warm:
            await command(item)
        async with asyncio.timeout(60):
            await all_handled.wait()
        await relay.wait_for_cleanups()
        handled, expected, all_handled = 0, len(events), asyncio.Event()
        probe.published, probe.calls, probe.done_at, probe.expected = 0, 0, 0.0, len(events)

        queue = iter(events)

        async def handler_task() -> None:
            for item in queue:
                await command(item)

        c0, t0 = time.process_time(), time.perf_counter()
        await asyncio.gather(*(handler_task() for _ in range(concurrency)))
        written = time.perf_counter() - t0
        async with asyncio.timeout(timeout):
            await all_handled.wait()
        seconds = time.perf_counter() - t0
        await relay.wait_for_cleanups()
        cleaned = time.perf_counter() - t0
        cpu = time.process_time() - c0
        stored = await projections.count({})
        pending = await declarations.count({"_outbox_pending": True})
    finally:
        await relay.stop()
        await bus.stop()
        await store.close()
    if stored != len(events) + len(warm):
        print(f"  WARNING: {stored} projection documents, expected {len(events) + len(warm)}")
    return {
        "rate": rate(len(events), seconds),
        "commands": rate(len(events), written),
        "relayed": rate(len(events), probe.done_at - t0),
        "cleaned": rate(len(events), cleaned),
        "publish_calls": probe.calls,
        "pending": pending,
        "cpu": cpu / seconds,
    }


async def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--events", type=int, default=5000)
    parser.add_argument(
        "--concurrency", type=int, default=4, help="concurrent command handlers (the raw side has one writer)"
    )
    parser.add_argument("--rounds", type=int, default=2, help="alternating raw/pipeline rounds; best of each")
    parser.add_argument("--timeout", type=float, default=600.0)
    args = parser.parse_args()
    quiet_logging()

    run = run_id()
    with tempfile.TemporaryDirectory(prefix="guanwu-bench-embedded-") as tmp:
        folder = Path(tmp)
        path = SqliteDocumentStore(folder).path  # the file the store opens in this folder
        print(f"bench/embedded.py  run={run}  {machine()}  SQLite {sqlite3.sqlite_version}  file={path}")
        print(
            f"{args.events} declarations, {args.concurrency} concurrent command handlers: document+outbox insert "
            "→ OutboxRelay → InProcessEventBus/Dispatcher → insert_many projection (one per relayed page), all in "
            "one SQLite file; "
            "baseline: the same documents as JSON text, plain sqlite3 autocommitted INSERTs (WAL, "
            "synchronous=NORMAL) into another table of the same file."
        )
        raws: list[dict[str, float]] = []
        pipes: list[dict[str, float]] = []
        for r in range(args.rounds):
            with section(f"round {r + 1}/{args.rounds}"):
                events = [drafted_envelope(f"{run}-{r}", i) for i in range(args.events)]
                raw_docs = [add_events(declaration_doc(env), [(TOPIC, env)]) for _, env in events]
                raw = run_raw(path, f"raw_declarations_{r}", raw_docs)
                print(f"  raw sqlite3 INSERT : {raw['rate']:>9,.0f} docs/s  (process CPU {raw['cpu']:.0%})")
                raws.append(raw)
                pipe = await run_pipeline(
                    folder, str(r), f"{run}-{r}", events, args.concurrency, args.timeout
                )
                print(
                    f"  pipeline           : commands written {pipe['commands']:>8,.0f}/s   relayed "
                    f"{pipe['relayed']:>8,.0f}/s in {pipe['publish_calls']:.0f} relay batches   end to end "
                    f"{pipe['rate']:>8,.0f}/s   outbox cleaned {pipe['cleaned']:>8,.0f}/s "
                    f"({pipe['pending']:.0f} left pending)  (process CPU {pipe['cpu']:.0%})"
                )
                pipes.append(pipe)
        size = path.stat().st_size
        print(f"\n  file size at the end: {size / 1e6:.1f} MB")

    per_round = [ratio(p["rate"], b["rate"]) for p, b in zip(pipes, raws, strict=True)]
    best_pipe = max(p["rate"] for p in pipes)
    best_raw = max(b["rate"] for b in raws)
    with section(
        "summary (best of rounds; per-round ratios: " + ", ".join(f"{x:.2f}" for x in per_round) + ")"
    ):
        if len(per_round) > 1:
            print(f"  median per-round ratio: {statistics.median(per_round):.2f}")
        print(result_line("embedded.pipeline", ratio(best_pipe, best_raw), TARGET, best_pipe, best_raw))


if __name__ == "__main__":
    asyncio.run(main())
