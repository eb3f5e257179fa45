"""The outbox relay on the real stack (FerretDB + Kafka): without a fault, every event reaches the topic once.

Writers kick the relay with a hint while its sweep runs often, so hinted reads, sweeps and background cleanups
overlap the way they do under load; the topic is then read back and the messages counted per event id.
"""

from __future__ import annotations

import asyncio
import json
import uuid
from collections import Counter
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import pymongo
import pytest
from aiokafka import AIOKafkaConsumer

from guanwu.contracts.events import DeleteReceiptReceived
from guanwu.platform.bus.kafka import KafkaEventBus
from guanwu.platform.events import envelope_for
from guanwu.platform.outbox import OutboxRelay, add_events
from guanwu.platform.store.mongo import MongoDocumentStore
from guanwu.platform.store.port import OUTBOX_PENDING_FIELD

DOCUMENTS = 300
QUIET_SECONDS = 5.0


@pytest.fixture
async def store(mongo_url: str) -> AsyncIterator[MongoDocumentStore]:
    name = f"guanwu_relay_{uuid.uuid4().hex[:8]}"
    store = MongoDocumentStore(mongo_url, name)
    yield store
    await store.close()
    with pymongo.MongoClient(mongo_url) as client:
        client.drop_database(name)


async def _read_topic_until_quiet(bootstrap: str, topic: str) -> Counter[str]:
    """Every message's envelope id, read from the start until nothing new came for QUIET_SECONDS."""
    consumer = AIOKafkaConsumer(
        topic, bootstrap_servers=bootstrap, group_id=None, auto_offset_reset="earliest"
    )
    await consumer.start()
    ids: Counter[str] = Counter()
    try:
        quiet_since = asyncio.get_running_loop().time()
        while asyncio.get_running_loop().time() - quiet_since < QUIET_SECONDS:
            batch = await consumer.getmany(timeout_ms=500)
            for messages in batch.values():
                for message in messages:
                    ids[json.loads(message.value)["id"]] += 1
                    quiet_since = asyncio.get_running_loop().time()
    finally:
        await consumer.stop()
    return ids


async def test_every_event_reaches_the_topic_exactly_once_while_hints_and_sweeps_overlap(
    kafka_bootstrap: str, store: MongoDocumentStore
) -> None:
    topic = f"relay-once-{uuid.uuid4().hex[:8]}"
    bus = KafkaEventBus(kafka_bootstrap, client_id="relay-once", topic_partitions=3)
    bus.declare_topics([topic])
    await bus.start()
    collection = store.collection("docs")
    relay = OutboxRelay(bus, [collection], sweep_interval_seconds=0.05, batch_size=50)
    await relay.start()
    written: list[str] = []
    try:
        for n in range(DOCUMENTS):
            event = DeleteReceiptReceived(
                receipt_id=f"R{n}", entry_id=f"61012026{n:010d}", notice_date=datetime.now(UTC)
            )
            _, envelope = envelope_for(event, source="/test", tenant="t")
            await collection.insert(add_events({"_id": f"d{n}"}, [(topic, envelope)]))
            written.append(envelope.id)
            relay.kick("docs", f"d{n}")
        await relay.drain(timeout_seconds=120)
    finally:
        await relay.stop()
        await bus.stop()

    counts = await _read_topic_until_quiet(kafka_bootstrap, topic)
    assert set(counts) == set(written)
    doubled = {event_id: n for event_id, n in counts.items() if n > 1}
    assert not doubled, f"{len(doubled)} of {DOCUMENTS} events were published more than once"
    assert await collection.count({OUTBOX_PENDING_FIELD: True}) == 0
