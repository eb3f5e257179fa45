"""End-to-end pipeline throughput (no HTTP), next to raw pymongo writes on the same FerretDB, same run.

    uv run python bench/pipeline.py --events 2000

Pipeline: a command handler writes a declaration document with its DeclarationDrafted event in the outbox
(`add_events` + `MongoDocumentStore.insert`, then `relay.kick(collection, id, stored)`) → `OutboxRelay` (a
page of up to 200 kicked documents, handed over as written so not read again, published as one batch,
cleaned with bulk writes) → `KafkaEventBus` (idempotent producer, acks=all) → group consumer (manual commits)
+ Dispatcher → an idempotent batch handler (`insert_many` of projection documents with `deterministic_id`s,
one per poll of a partition) → FerretDB. The clock runs from the first command until the handler has inserted
N documents (checked with a count afterwards).

Baseline (the ceiling: the store): N `AsyncMongoClient.insert_one` of the same documents, with the same
number of concurrent writers. A fresh database (and fresh Kafka topic / consumer group) per run; the
database and the topics are dropped at the end.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import time
from collections.abc import Sequence
from typing import Any

from _common import (
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
from aiokafka.admin import AIOKafkaAdminClient
from pymongo import AsyncMongoClient

from guanwu.contracts.envelope import Envelope
from guanwu.contracts.events.base import Event
from guanwu.contracts.events.declaration import DeclarationDrafted
from guanwu.platform.bus.kafka import KafkaEventBus
from guanwu.platform.bus.port import Subscription
from guanwu.platform.outbox import OutboxRelay, add_events
from guanwu.platform.store.mongo import MongoDocumentStore

TARGET = 0.5


async def run_raw(url: str, database: str, docs: list[dict[str, Any]], concurrency: int) -> dict[str, float]:
    client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(url)
    try:
        col = client[database]["raw_declarations"]
        await col.insert_one({"_id": "warm-up"})
        queue = iter(docs)

        async def writer() -> None:
            for doc in queue:
                await col.insert_one(dict(doc))

        t0 = time.perf_counter()
        await asyncio.gather(*(writer() for _ in range(concurrency)))
        seconds = time.perf_counter() - t0
    finally:
        await client.close()
    return {"rate": rate(len(docs), seconds)}


async def run_pipeline(
    url: str,
    database: str,
    bootstrap: str,
    run: str,
    events: list[tuple[str, Envelope]],
    concurrency: int,
    timeout: float,
) -> dict[str, float]:
    topic = f"bench.pipeline.{run}"
    store = MongoDocumentStore(url, database)
    declarations = store.collection("declarations")
    projections = store.collection("declaration_list")
    handled = 0
    expected = 1
    all_handled = asyncio.Event()

    async def project(items: Sequence[tuple[Envelope, Event]]) -> None:  # the idempotent batch consumer
        nonlocal handled
        handled += sum(await projections.insert_many(projection_docs(items)))
        if handled >= expected:
            all_handled.set()

    bus = KafkaEventBus(bootstrap, client_id=f"bench-{run}")
    bus.declare_topics([topic])
    bus.subscribe(
        Subscription(
            group=f"bench-{run}", topic=topic, batch_handlers={DeclarationDrafted.event_type: project}
        )
    )
    probe = PublishProbe(bus)
    relay = OutboxRelay(probe, [declarations])

    async def command(item: tuple[str, Envelope]) -> None:
        _, envelope = item
        doc = add_events(declaration_doc(envelope), [(topic, envelope)])
        stored = await declarations.insert(doc)
        relay.kick(declarations.name, doc["_id"], stored)  # as services do: the relay need not read it

    await bus.start()
    await relay.start()
    try:
        # Warm-up through the whole path (agent assignment, connections), then reset the counters.
        warm = [drafted_envelope(f"{run}-warm", i) for i in range(6)]
        expected, probe.expected = len(warm), len(warm)
        for item in warm:
            await command(item)
        await asyncio.wait_for(all_handled.wait(), timeout=120)
        handled, expected, all_handled = 0, len(events), asyncio.Event()
        probe.published, probe.calls, probe.done_at, probe.expected = 0, 0, 0.0, len(events)

        queue = iter(events)

        async def handler_task() -> None:
            for item in queue:
                await command(item)

        c0, t0 = time.process_time(), time.perf_counter()
        await asyncio.gather(*(handler_task() for _ in range(concurrency)))
        written = time.perf_counter() - t0
        await asyncio.wait_for(all_handled.wait(), timeout=timeout)
        seconds = time.perf_counter() - t0
        cpu = time.process_time() - c0
        stored = await projections.count({})
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
        "publish_calls": probe.calls,
        "cpu": cpu / seconds,
    }


async def cleanup(url: str, database: str, bootstrap: str, prefix: str) -> None:
    client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(url)
    try:
        await client.drop_database(database)
    finally:
        await client.close()
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        mine = [t for t in await admin.list_topics() if t.startswith(prefix)]
        if mine:
            await admin.delete_topics(mine)
    finally:
        await admin.close()


async def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--events", type=int, default=2000)
    parser.add_argument("--bootstrap", default="127.0.0.1:9092")
    parser.add_argument("--mongo-url", default="mongodb://127.0.0.1:27017/")
    parser.add_argument(
        "--concurrency", type=int, default=4, help="concurrent command handlers / raw writers"
    )
    parser.add_argument("--timeout", type=float, default=900.0)
    args = parser.parse_args()
    quiet_logging()

    run = run_id()
    database = f"bench_pipeline_{run.replace('-', '_')}"
    print(
        f"bench/pipeline.py  run={run}  {machine()}  broker={args.bootstrap}  store={args.mongo_url}{database}"
    )
    print(
        f"{args.events} declarations, {args.concurrency} concurrent command handlers: document+outbox insert → "
        "OutboxRelay → KafkaEventBus → consumer/Dispatcher → insert_many projection; baseline: the same number "
        f"of AsyncMongoClient.insert_one of the same documents, {args.concurrency} concurrent writers."
    )
    events = [drafted_envelope(run, i) for i in range(args.events)]
    raw_docs = [add_events(declaration_doc(env), [(topic, env)]) for topic, env in events]
    try:
        with section("raw pymongo insert_one (baseline)"):
            raw = await run_raw(args.mongo_url, database, raw_docs, args.concurrency)
            print(f"  {raw['rate']:>8,.0f} docs/s")
        with section("pipeline"):
            pipe = await run_pipeline(
                args.mongo_url, database, args.bootstrap, run, events, args.concurrency, args.timeout
            )
            print(
                f"  commands written {pipe['commands']:>8,.0f}/s   relayed (acked) {pipe['relayed']:>8,.0f}/s "
                f"in {pipe['publish_calls']:.0f} publish calls   end to end {pipe['rate']:>8,.0f}/s  "
                f"(process CPU {pipe['cpu']:.0%})"
            )
    finally:
        with contextlib.suppress(Exception):
            await cleanup(args.mongo_url, database, args.bootstrap, f"bench.pipeline.{run}")
    with section("summary"):
        print(
            result_line(
                "pipeline.end_to_end", ratio(pipe["rate"], raw["rate"]), TARGET, pipe["rate"], raw["rate"]
            )
        )


if __name__ == "__main__":
    asyncio.run(main())
