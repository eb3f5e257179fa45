"""Kafka bus throughput: the KafkaEventBus adapter next to raw aiokafka, same broker, same run.

    uv run python bench/bus.py --bootstrap 127.0.0.1:9092 --events 20000

Adapter side: N DeclarationDrafted envelopes published with `publish_many` in batches (the way the outbox
relay hands a document's events to the bus: send all, wait for every ack), idempotent producer, acks=all;
consumed by the group consumer (aiokafka, manual commits) through the Dispatcher (envelope parse, payload
validation against the registry, handler call). The clock runs from the first publish until the handler has
seen all N.

Baseline: AIOKafkaProducer with the same settings (idempotent, acks=all, linger_ms=2) sending the same
payload bytes (serialized before the clock starts) in the same batches, and an AIOKafkaConsumer counting
them. Fresh topics (same partition count) and consumer groups per run; they are deleted at the end.

Optionally (`--per-event M`, for information) per-event `publish` (send_and_wait each) against raw
`send_and_wait`, producer side only.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import statistics
import time
from collections.abc import Sequence

from _common import drafted_envelope, machine, quiet_logging, rate, ratio, result_line, run_id, section
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient, NewTopic

from guanwu.contracts.envelope import Envelope
from guanwu.contracts.events.base import Event
from guanwu.contracts.events.declaration import DeclarationDrafted
from guanwu.platform.bus.kafka import KafkaEventBus
from guanwu.platform.bus.port import Subscription

TARGET = 0.7


class Counter:
    """Counts handled messages; `done` is set once `expected` were seen."""

    def __init__(self) -> None:
        self.seen = 0
        self.expected = 1
        self.done = asyncio.Event()

    def reset(self, expected: int) -> None:
        self.seen = 0
        self.expected = expected
        self.done = asyncio.Event()

    def hit(self) -> None:
        self.seen += 1
        if self.seen >= self.expected:
            self.done.set()


async def _publish_batches_adapter(
    bus: KafkaEventBus, items: Sequence[tuple[str, Envelope]], batch: int
) -> None:
    for start in range(0, len(items), batch):
        await bus.publish_many(items[start : start + batch])


async def _publish_batches_raw(
    producer: AIOKafkaProducer, topic: str, records: Sequence[tuple[bytes, bytes]], batch: int
) -> None:
    for start in range(0, len(records), batch):
        futures = [
            await producer.send(topic, value, key=key) for key, value in records[start : start + batch]
        ]
        await asyncio.gather(*futures)


async def run_adapter(
    bootstrap: str, run: str, events: int, batch: int, partitions: int, timeout: float
) -> dict[str, float]:
    topic = f"bench.bus.{run}.adapter"
    counter = Counter()

    async def handler(envelope: Envelope, payload: Event) -> None:
        counter.hit()

    bus = KafkaEventBus(bootstrap, client_id=f"bench-{run}", topic_partitions=partitions)
    bus.declare_topics([topic])
    bus.subscribe(
        Subscription(
            group=f"bench-{run}-adapter", topic=topic, handlers={DeclarationDrafted.event_type: handler}
        )
    )
    await bus.start()
    try:
        # Warm-up: one event per partition key spread, until the agent has its partitions and handles them.
        warm = [(topic, drafted_envelope(f"{run}-warm", i)[1]) for i in range(partitions * 4)]
        counter.reset(len(warm))
        await bus.publish_many(warm)
        await asyncio.wait_for(counter.done.wait(), timeout=120)

        items = [(topic, drafted_envelope(run, i)[1]) for i in range(events)]
        counter.reset(events)
        c0, t0 = time.process_time(), time.perf_counter()
        await _publish_batches_adapter(bus, items, batch)
        published = time.perf_counter() - t0
        await asyncio.wait_for(counter.done.wait(), timeout=timeout)
        consumed = time.perf_counter() - t0
        cpu = time.process_time() - c0
    finally:
        await bus.stop()
    return {"publish": rate(events, published), "end_to_end": rate(events, consumed), "cpu": cpu / consumed}


async def run_raw(
    bootstrap: str, run: str, events: int, batch: int, partitions: int, timeout: float
) -> dict[str, float]:
    topic = f"bench.bus.{run}.raw"
    await create_topics(bootstrap, [topic], partitions)
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, enable_idempotence=True, acks="all", linger_ms=2)
    consumer = AIOKafkaConsumer(
        topic, bootstrap_servers=bootstrap, group_id=f"bench-{run}-raw", auto_offset_reset="earliest"
    )
    await producer.start()
    await consumer.start()
    counter = Counter()

    async def consume() -> None:
        while True:
            batches = await consumer.getmany(timeout_ms=200)
            for messages in batches.values():
                for _ in messages:
                    counter.hit()

    consuming = asyncio.create_task(consume())
    try:
        warm = [_raw(drafted_envelope(f"{run}-warm", i)[1]) for i in range(partitions * 4)]
        counter.reset(len(warm))
        await _publish_batches_raw(producer, topic, warm, batch)
        await asyncio.wait_for(counter.done.wait(), timeout=120)

        records = [_raw(drafted_envelope(run, i)[1]) for i in range(events)]
        counter.reset(events)
        c0, t0 = time.process_time(), time.perf_counter()
        await _publish_batches_raw(producer, topic, records, batch)
        published = time.perf_counter() - t0
        await asyncio.wait_for(counter.done.wait(), timeout=timeout)
        consumed = time.perf_counter() - t0
        cpu = time.process_time() - c0
    finally:
        consuming.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await consuming
        await consumer.stop()
        await producer.stop()
    return {"publish": rate(events, published), "end_to_end": rate(events, consumed), "cpu": cpu / consumed}


async def run_per_event(bootstrap: str, run: str, events: int, partitions: int) -> tuple[float, float]:
    """Producer side only: adapter `publish` (send_and_wait per event) vs raw send_and_wait."""
    topic_a, topic_r = f"bench.bus.{run}.single-adapter", f"bench.bus.{run}.single-raw"
    await create_topics(bootstrap, [topic_r], partitions)
    bus = KafkaEventBus(bootstrap, client_id=f"bench-{run}-single", topic_partitions=partitions)
    bus.declare_topics([topic_a])
    await bus.start()
    try:
        envs = [drafted_envelope(run, i)[1] for i in range(events)]
        await bus.publish(topic_a, envs[0])
        t0 = time.perf_counter()
        for env in envs:
            await bus.publish(topic_a, env)
        adapter = rate(events, time.perf_counter() - t0)
    finally:
        await bus.stop()
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, enable_idempotence=True, acks="all", linger_ms=2)
    await producer.start()
    try:
        records = [_raw(env) for env in envs]
        await producer.send_and_wait(topic_r, records[0][1], key=records[0][0])
        t0 = time.perf_counter()
        for key, value in records:
            await producer.send_and_wait(topic_r, value, key=key)
        raw = rate(events, time.perf_counter() - t0)
    finally:
        await producer.stop()
    return adapter, raw


def _raw(envelope: Envelope) -> tuple[bytes, bytes]:
    return envelope.subject.encode("utf-8"), envelope.to_json_bytes()


async def create_topics(bootstrap: str, topics: Sequence[str], partitions: int) -> None:
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        await admin.create_topics(
            [NewTopic(t, num_partitions=partitions, replication_factor=1) for t in topics]
        )
    finally:
        await admin.close()


async def delete_run_topics(bootstrap: str, prefix: str) -> None:
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
    parser.add_argument("--bootstrap", default="127.0.0.1:9092")
    parser.add_argument("--events", type=int, default=20000)
    parser.add_argument("--batch", type=int, default=200, help="events per publish_many call (relay batch)")
    parser.add_argument("--partitions", type=int, default=3, help="KafkaEventBus default")
    parser.add_argument("--rounds", type=int, default=2, help="alternating raw/adapter rounds; best of each")
    parser.add_argument(
        "--per-event", type=int, default=1000, help="events for the per-event publish info (0: skip)"
    )
    parser.add_argument("--timeout", type=float, default=600.0)
    args = parser.parse_args()
    quiet_logging()

    run = run_id()
    payload = drafted_envelope(run, 0)[1].to_json_bytes()
    print(f"bench/bus.py  run={run}  {machine()}  broker={args.bootstrap}")
    print(
        f"{args.events} DeclarationDrafted envelopes ({len(payload)} B each), {args.partitions} partitions, "
        f"adapter publishes with publish_many in batches of {args.batch} (as the outbox relay does), "
        "consumes through the group consumer + Dispatcher; raw: AIOKafkaProducer (idempotent, acks=all, linger_ms=2) "
        "send+gather in the same batches, AIOKafkaConsumer."
    )
    raws: list[dict[str, float]] = []
    adapters: list[dict[str, float]] = []
    try:
        for r in range(args.rounds):
            with section(f"round {r + 1}/{args.rounds}"):
                raw = await run_raw(
                    args.bootstrap, f"{run}-{r}", args.events, args.batch, args.partitions, args.timeout
                )
                print(
                    f"  raw aiokafka : publish {raw['publish']:>9,.0f}/s   publish+consume {raw['end_to_end']:>9,.0f}/s  (process CPU {raw['cpu']:.0%})"
                )
                raws.append(raw)
                ad = await run_adapter(
                    args.bootstrap, f"{run}-{r}", args.events, args.batch, args.partitions, args.timeout
                )
                print(
                    f"  KafkaEventBus: publish {ad['publish']:>9,.0f}/s   publish+consume {ad['end_to_end']:>9,.0f}/s  (process CPU {ad['cpu']:.0%})"
                )
                adapters.append(ad)
        per_event: tuple[float, float] | None = None
        if args.per_event > 0:
            with section(
                f"per-event publish (send_and_wait each), {args.per_event} events, producer side only"
            ):
                per_event = await run_per_event(args.bootstrap, f"{run}-pe", args.per_event, args.partitions)
                print(
                    f"  raw send_and_wait: {per_event[1]:>9,.0f}/s   KafkaEventBus.publish: {per_event[0]:>9,.0f}/s"
                )
    finally:
        with contextlib.suppress(Exception):
            await delete_run_topics(args.bootstrap, f"bench.bus.{run}")

    best_raw = {k: max(x[k] for x in raws) for k in ("publish", "end_to_end")}
    best_ad = {k: max(x[k] for x in adapters) for k in ("publish", "end_to_end")}
    with section(
        "summary (best of rounds; per-round end-to-end ratios: "
        + ", ".join(
            f"{ratio(a['end_to_end'], b['end_to_end']):.2f}" for a, b in zip(adapters, raws, strict=True)
        )
        + ")"
    ):
        if len(raws) > 1:
            med = statistics.median(
                ratio(a["end_to_end"], b["end_to_end"]) for a, b in zip(adapters, raws, strict=True)
            )
            print(f"  median per-round end-to-end ratio: {med:.2f}")
        print(
            result_line(
                "bus.publish_many+consume",
                ratio(best_ad["end_to_end"], best_raw["end_to_end"]),
                TARGET,
                best_ad["end_to_end"],
                best_raw["end_to_end"],
            )
        )
        print(
            result_line(
                "bus.publish_many",
                ratio(best_ad["publish"], best_raw["publish"]),
                TARGET,
                best_ad["publish"],
                best_raw["publish"],
            )
        )
        if per_event is not None:
            print(
                f"INFO bus.publish(per-event): ratio={ratio(*per_event):.2f} adapter={per_event[0]:,.0f}/s "
                f"baseline={per_event[1]:,.0f}/s (information, no target)"
            )


if __name__ == "__main__":
    asyncio.run(main())
