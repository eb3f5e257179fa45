"""发送 on Kafka and FerretDB: the declaration service is killed (SIGKILL) after it carried out a reviewer's
ReviewSendRequested and before the consumer committed its offset; restarted, it is handed the same request
again and declares once — one 申报, one DeclarationDeclareRequested with the send's id (published at least once:
the relay may publish it again after the kill, under the same id), one send record."""

from __future__ import annotations

import asyncio
import signal
import sys
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from distributed import Cluster, Process, cluster, token, wait_until
from pymongo import MongoClient

from guanwu.contracts import topics
from guanwu.contracts.envelope import Envelope
from guanwu.contracts.events import DeclarationDeclareRequested, ReviewApproved, ReviewSendRequested
from guanwu.customs import fixtures
from guanwu.platform.events import envelope_for

KILLED_AFTER_SEND = Path(__file__).with_name("killed_after_send.py")
DECLARATIONS = "/api/declaration/declarations"


async def _produce(bootstrap: str, envelopes: list[Envelope]) -> list[tuple[int, int]]:
    """The envelopes on review.events.v1 keyed by their subject; (partition, offset) of each."""
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, enable_idempotence=True, acks="all")
    await producer.start()
    try:
        placed = []
        for envelope in envelopes:
            sent = await producer.send_and_wait(
                topics.REVIEW_EVENTS, envelope.to_json_bytes(), key=envelope.subject.encode()
            )
            placed.append((sent.partition, sent.offset))
        return placed
    finally:
        await producer.stop()


async def _committed(bootstrap: str, group: str, partition: int) -> int:
    """The group's committed offset on that partition of review.events.v1 (-1: none yet)."""
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, group_id=group, enable_auto_commit=False)
    await consumer.start()
    try:
        offset = await consumer.committed(TopicPartition(topics.REVIEW_EVENTS, partition))
        return -1 if offset is None else int(offset)
    finally:
        await consumer.stop()


async def _announced(bootstrap: str, tenant: str) -> list[Envelope]:
    """The tenant's DeclarationDeclareRequested on declaration.events.v1, from the beginning to the end now."""
    consumer = AIOKafkaConsumer(
        topics.DECLARATION_EVENTS, bootstrap_servers=bootstrap, group_id=None, auto_offset_reset="earliest"
    )
    await consumer.start()
    found: list[Envelope] = []
    try:
        while not consumer.assignment():
            await asyncio.sleep(0.1)
        ends = await consumer.end_offsets(list(consumer.assignment()))
        while [p for p, end in ends.items() if await consumer.position(p) < end]:
            for messages in (await consumer.getmany(timeout_ms=500)).values():
                for message in messages:
                    envelope = Envelope.from_json_bytes(message.value)
                    if envelope.tenant == tenant and envelope.type == DeclarationDeclareRequested.event_type:
                        found.append(envelope)
    finally:
        await consumer.stop()
    return found


def _stored(c: Cluster, collection: str, tenant: str) -> list[dict[str, Any]]:
    with MongoClient(c.mongo_url, serverSelectionTimeoutMS=5000) as client:
        return list(client[c.database_of("declaration")][collection].find({"tenant": tenant}))


def _submitted(service: Process, tenant: str) -> dict[str, Any]:
    headers = token(tenant, roles=("preparer",))
    document = fixtures.export_sea_general_trade().model_dump(mode="json", exclude_none=True)
    created = httpx.post(f"{service.url}{DECLARATIONS}", json=document, headers=headers, timeout=30)
    assert created.status_code == 201, created.text
    url = f"{service.url}{DECLARATIONS}/{created.json()['declaration_id']}/submit"
    submitted = httpx.post(url, headers={**headers, "If-Match": '"1"'}, timeout=30)
    assert submitted.status_code == 200, submitted.text
    body: dict[str, Any] = submitted.json()
    return body


def _review(tenant: str, declaration: dict[str, Any], send_id: str) -> list[Envelope]:
    """What review publishes: the approval of the submitted version by task rv-1, then its 发送."""
    fields = {
        "review_id": "rv-1",
        "declaration_id": declaration["declaration_id"],
        "declaration_version": declaration["version"],
    }
    now = datetime.now(UTC)
    approved = ReviewApproved(**fields, reviewer="li", decided_at=now)
    send = ReviewSendRequested(**fields, send_id=send_id, requested_by="li", requested_at=now)
    return [envelope_for(event, source="/guanwu/review", tenant=tenant)[1] for event in (approved, send)]


def test_a_send_redelivered_after_the_declaration_service_was_killed_declares_once(
    kafka_bootstrap: str, mongo_url: str
) -> None:
    tenant, deployment = f"t-{uuid.uuid4().hex[:8]}", f"send-{uuid.uuid4().hex[:8]}"
    group = f"{deployment}.declaration.review"
    with cluster(kafka_bootstrap, mongo_url) as c:
        send_id = f"send-{uuid.uuid4().hex[:8]}"
        doomed = c.service("declaration", DEPLOYMENT=deployment)
        doomed.command = [sys.executable, str(KILLED_AFTER_SEND)]
        doomed.env["KILL_AFTER_SEND_ID"] = send_id
        doomed.start()
        declaration = _submitted(doomed, tenant)
        placed = asyncio.run(_produce(kafka_bootstrap, _review(tenant, declaration, send_id)))
        [(partition, approval_offset), (_, send_offset)] = placed

        assert doomed.popen is not None
        wait_until(lambda: doomed.popen is not None and doomed.popen.poll() is not None)
        assert doomed.popen.returncode == -signal.SIGKILL
        [stored] = _stored(c, "declaration_declarations", tenant)
        assert stored["status"] == "申报中" and stored["signing"]["requested_by"] == "li"
        assert asyncio.run(_committed(kafka_bootstrap, group, partition)) <= send_offset  # not committed

        c.service("declaration", DEPLOYMENT=deployment).start()
        wait_until(lambda: asyncio.run(_committed(kafka_bootstrap, group, partition)) > send_offset)
        [again] = _stored(c, "declaration_declarations", tenant)
        assert again["_version"] == stored["_version"] == declaration["version"] + 2
        assert [e["action"] for e in again["audit"]].count("declare") == 1
        [record] = _stored(c, "declaration_sends", tenant)
        assert (record["send_id"], record["outcome"]) == (send_id, "declared")

        def announced() -> list[Envelope] | None:
            return asyncio.run(_announced(kafka_bootstrap, tenant)) or None

        # The relay may publish the 申报's outbox again after the kill (at least once): the same event, one id.
        seen = wait_until(announced)
        assert {e.id for e in seen} == {seen[0].id} and seen[0].data["send_id"] == send_id
        assert approval_offset < send_offset
