"""The query read model rebuilt from Kafka into FerretDB (the distributed store) while the query service keeps
consuming: the rebuilt model equals the live one row for row (store bookkeeping aside), repairs what the live one
lost, and every event published during the rebuild is in the switched model.

The service runs in this process on the real broker and server, its topics under a prefix of this test's own
(the shared topics hold every earlier run's events); the rebuild reads those topics with a consumer in no group.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import time
import uuid
from collections.abc import AsyncIterator, Callable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import pymongo
import pytest
from aiokafka.admin import AIOKafkaAdminClient
from pydantic import SecretStr
from query_bonded import inv201, listed, qd, seq

from guanwu.contracts import topics
from guanwu.contracts.events import (
    DeclarationDrafted,
    DeclarationStatusChanged,
    DeclarationUpdated,
    ReceiptReceived,
)
from guanwu.contracts.events.base import Event
from guanwu.contracts.topics import DECLARATION_EVENTS
from guanwu.platform.bus.kafka import KafkaEventBus
from guanwu.platform.events import envelope_for
from guanwu.platform.replay import REBUILD_INFIX, KafkaSource, Positions, rebuild
from guanwu.platform.runtime import Runtime, ServiceParts
from guanwu.platform.settings import AuthSettings
from guanwu.platform.store.mongo import MongoDocumentStore
from guanwu.platform.store.port import VERSION_FIELD
from guanwu.query import bootstrap
from guanwu.query.config import QuerySettings
from guanwu.query.rebuild import read_model

TENANT = "acme"
T0 = datetime(2026, 3, 1, 9, tzinfo=UTC)
QUIET_SECONDS = 30.0
Model = dict[str, list[dict[str, Any]]]


def renamed(parts: ServiceParts, prefix: str) -> ServiceParts:
    subscriptions = [dataclasses.replace(s, topic=prefix + s.topic) for s in parts.subscriptions]
    return dataclasses.replace(parts, subscriptions=subscriptions)


class Deployment:
    """The query service on Kafka and FerretDB, topics renamed; events published as its producers would."""

    def __init__(self, kafka: str, mongo_url: str) -> None:
        run = uuid.uuid4().hex[:10]
        self.kafka, self.mongo_url = kafka, mongo_url
        self.prefix = f"it.replay.{run}."
        self.database = f"it_replay_{run}"
        self.store = MongoDocumentStore(mongo_url, self.database)
        self.bus = KafkaEventBus(kafka, client_id=f"it-replay-{run}", group_prefix=f"it-replay-{run}")
        self.runtime = Runtime(self.store, self.bus)
        settings = QuerySettings(auth=AuthSettings(secret=SecretStr("s" * 40)))
        self.runtime.register(
            renamed(bootstrap.build(settings, self.store, lambda *a, **k: None), self.prefix)
        )
        live = read_model()
        self.model = dataclasses.replace(live, build=lambda store: renamed(live.build(store), self.prefix))
        self.sent = 0

    async def publish(self, topic: str, *events: Event, source: str = "/guanwu/declaration") -> None:
        envelopes = [envelope_for(event, source=source, tenant=TENANT)[1] for event in events]
        await self.bus.publish_many([(self.prefix + topic, envelope) for envelope in envelopes])
        self.sent += len(envelopes)

    async def rows(self) -> Model:
        names = [n for n in await self.store.collection_names() if n.startswith("query_")]
        return {
            name: sorted(
                (
                    {k: v for k, v in d.items() if k != VERSION_FIELD}
                    for d in await self.store.collection(name).find({})
                ),
                key=lambda d: str(d["_id"]),
            )
            for name in names
            if REBUILD_INFIX not in name
        }

    async def settled(self, done: Callable[[Model], bool]) -> Model:
        """The model once `done` holds and two reads a moment apart agree; fails after a quiet spell without
        any change, never after a fixed total."""
        last, since = await self.rows(), time.monotonic()
        while True:
            await asyncio.sleep(0.5)
            now = await self.rows()
            if now == last and done(now):
                return now
            if now != last:
                last, since = now, time.monotonic()
            elif time.monotonic() - since > QUIET_SECONDS:
                raise AssertionError(
                    f"nothing moved for {QUIET_SECONDS:g} s: {[len(v) for v in now.values()]}"
                )

    async def rebuild(self, source: KafkaSource | None = None) -> Any:
        source = source or KafkaSource(self.kafka, client_id="it-replay")
        try:
            return await rebuild(self.store, source, self.model, allow_fewer_rows=False)
        finally:
            await source.close()

    async def close(self) -> None:
        await self.runtime.stop()
        admin = AIOKafkaAdminClient(bootstrap_servers=self.kafka)
        await admin.start()
        try:
            mine = [t for t in await admin.list_topics() if t.startswith(self.prefix)]
            with contextlib.suppress(Exception):
                await admin.delete_topics(mine)
        finally:
            await admin.close()
        with pymongo.MongoClient(self.mongo_url) as client:
            client.drop_database(self.database)


@pytest.fixture
async def deployment(kafka_bootstrap: str, mongo_url: str) -> AsyncIterator[Deployment]:
    running = Deployment(kafka_bootstrap, mongo_url)
    await running.runtime.start()
    try:
        yield running
    finally:
        await running.close()


class Busy(KafkaSource):
    """Kafka while the service keeps getting events: one more declaration right after every read of the end
    offsets, so some land after the catch-up's end, before the switch (the running service writes those into
    the old collections)."""

    def __init__(self, deployment: Deployment, first: int) -> None:
        super().__init__(deployment.kafka, client_id="it-replay-busy")
        self.deployment, self.next = deployment, first

    async def ends(self, topics: Sequence[str]) -> Positions:
        found = await super().ends(topics)
        await self.deployment.publish(DECLARATION_EVENTS, *declaration_events(self.next))
        self.next += 1
        return found


def declaration_events(n: int) -> list[Event]:
    """A declaration's life: drafted, updated, declared and a receipt for every third one."""
    declaration_id = f"d-{n:04d}"
    head = {"declaration_id": declaration_id, "ie_flag": "E", "custom_master": "5100", "bill_no": f"BL-{n}"}
    events: list[Event] = [DeclarationDrafted(**head, version=1, status="草稿")]
    if n % 2 == 0:
        events.append(DeclarationUpdated(**{**head, "bill_no": f"BL-{n}b"}, version=2, status="草稿"))
    if n % 3 == 0:
        events.append(
            DeclarationStatusChanged(
                **head, version=3, status="已申报", previous_status="草稿", seq_no=f"E2026{n:013d}"
            )
        )
    return events


def receipt(n: int) -> ReceiptReceived:
    return ReceiptReceived(
        receipt_id=f"r-{n:04d}",
        channel="L",
        seq_no=f"E2026{n:013d}",
        declaration_id=f"d-{n:04d}",
        notice_date=T0 + timedelta(minutes=n),
        note="入库成功",
    )


async def populate(deployment: Deployment, declarations: range) -> None:
    for n in declarations:
        await deployment.publish(topics.DECLARATION_EVENTS, *declaration_events(n))
        if n % 3 == 0:
            await deployment.publish(topics.SYNC_EVENTS, receipt(n), source="/guanwu/sync")
    lists = [listed(seq(n), bond_invt_no=qd(n)) for n in declarations if n % 5 == 0]
    await deployment.publish(topics.SYNC_EVENTS, *lists, source="/guanwu/sync")


def counts(declarations: int, lists: int) -> Callable[[Model], bool]:
    return lambda model: (
        len(model.get("query_declarations", [])) == declarations
        and len(model.get("query_bonded_lists", [])) == lists
    )


async def test_the_rebuilt_model_equals_the_live_one_on_kafka_and_ferretdb(deployment: Deployment) -> None:
    await populate(deployment, range(1, 41))
    await deployment.publish(
        topics.SYNC_EVENTS,
        inv201("x-5", seq_no=seq(5), bond_invt_no=qd(5), list_stat="3", notice=T0),
        source="/s",
    )
    live = await deployment.settled(counts(40, 8))
    declarations = deployment.store.collection("query_declarations")
    await declarations.delete(live["query_declarations"][0]["_id"])
    wrong = live["query_declarations"][1]
    await declarations.upsert({**wrong, "bill_no": "NOT-FROM-ANY-EVENT"})

    report = await deployment.rebuild()

    assert {"query_declarations", "query_bonded_lists"} <= set(report.switched)
    assert report.events["replay"] >= deployment.sent
    assert await deployment.rows() == live
    # The running service goes on writing into the switched model.
    await deployment.publish(topics.DECLARATION_EVENTS, *declaration_events(41))
    after = await deployment.settled(counts(41, 8))
    assert (
        next(r for r in after["query_declarations"] if r["declaration_id"] == "d-0041")["bill_no"] == "BL-41"
    )
    assert not [n for n in await deployment.store.collection_names() if REBUILD_INFIX in n]


async def test_events_published_during_the_rebuild_all_reach_the_switched_model(
    deployment: Deployment,
) -> None:
    await populate(deployment, range(1, 31))
    await deployment.settled(counts(30, 6))
    published = 30

    async def keep_publishing() -> None:
        # Paced and bounded: FerretDB on a shared machine projects a few hundred events a second at best, and
        # a rebuild chasing a faster stream never gets to its switch.
        nonlocal published
        while published < 30 + 60:
            published += 1
            await populate(deployment, range(published, published + 1))
            await asyncio.sleep(0.1)

    writer = asyncio.create_task(keep_publishing())
    try:
        report = await deployment.rebuild(Busy(deployment, first=1000))
    finally:
        writer.cancel()
        await asyncio.gather(writer, return_exceptions=True)
    assert published > 32, "events were published while the rebuild ran"
    assert report.events["catch-up"] > 0 and report.events["after switch"] > 0

    live = await deployment.settled(lambda model: len(model.get("query_declarations", [])) >= published - 1)
    ids = {r["declaration_id"] for r in live["query_declarations"]}
    assert ids >= {f"d-{n:04d}" for n in range(1, published)}  # the last may have been cut off mid-publish
    assert ids >= {"d-1000", "d-1001", "d-1002"}  # published around the switch
    await deployment.rebuild()  # settled, a rebuild from the events gives what the switched model holds
    assert await deployment.rows() == live
