"""生成接单 with the declaration service in its own process on Kafka and FerretDB: JobOrderCreated reaches
declaration.events.v1 through the order's outbox, once for a request sent twice with one Idempotency-Key, and
the declaration events on the topic carry the whole document."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import httpx
from aiokafka import AIOKafkaConsumer
from distributed import cluster, token, wait_until

from guanwu.contracts import topics
from guanwu.contracts.envelope import Envelope
from guanwu.contracts.events import DeclarationDrafted, JobOrderCreated
from guanwu.customs import fixtures


async def _on_topic(bootstrap: str, tenant: str) -> list[Envelope]:
    """The tenant's envelopes on declaration.events.v1, read from the beginning to the end seen now."""
    consumer = AIOKafkaConsumer(
        topics.DECLARATION_EVENTS, bootstrap_servers=bootstrap, group_id=None, auto_offset_reset="earliest"
    )
    await consumer.start()
    found: list[Envelope] = []
    try:
        partitions = consumer.assignment() or set()
        while not partitions:
            await asyncio.sleep(0.1)
            partitions = consumer.assignment()
        ends = await consumer.end_offsets(list(partitions))
        while [p for p, end in ends.items() if await consumer.position(p) < end]:
            for messages in (await consumer.getmany(timeout_ms=500)).values():
                for message in messages:
                    envelope = Envelope.from_json_bytes(message.value)
                    if envelope.tenant == tenant:
                        found.append(envelope)
    finally:
        await consumer.stop()
    return found


def test_a_job_order_is_announced_once_on_kafka(kafka_bootstrap: str, mongo_url: str) -> None:
    tenant = f"t-{uuid.uuid4().hex[:8]}"
    with cluster(kafka_bootstrap, mongo_url) as c:
        declaration = c.service("declaration").start()
        document = fixtures.export_sea_general_trade().model_dump(mode="json", exclude_none=True)
        created = httpx.post(
            f"{declaration.url}/api/declaration/declarations",
            json=document,
            headers=token(tenant),
            timeout=30,
        )
        assert created.status_code == 201, created.text
        declaration_id = created.json()["declaration_id"]
        body = {"client_name": "客户甲", "bill_no": "MBL-1", "declaration_ids": [declaration_id]}
        headers = {**token(tenant), "Idempotency-Key": f"k-{uuid.uuid4().hex}"}
        answers = [
            httpx.post(
                f"{declaration.url}/api/declaration/job-orders", json=body, headers=headers, timeout=30
            )
            for _ in range(2)
        ]
        assert [a.status_code for a in answers] == [201, 200], answers[0].text
        job_order_id = answers[0].json()["job_order_id"]

        def announced() -> list[Envelope] | None:
            seen = asyncio.run(_on_topic(kafka_bootstrap, tenant))
            orders = [e for e in seen if e.type == JobOrderCreated.event_type]
            drafted = [e for e in seen if e.type == DeclarationDrafted.event_type]
            return seen if orders and drafted else None

        seen: list[Envelope] = wait_until(announced)
        orders = [e for e in seen if e.type == JobOrderCreated.event_type]
        assert {e.id for e in orders} == {orders[0].id} and orders[0].subject == job_order_id
        event = JobOrderCreated.model_validate(orders[0].data)
        assert [d.declaration_id for d in event.declarations] == [declaration_id]
        [drafted] = [e for e in seen if e.type == DeclarationDrafted.event_type]
        carried: dict[str, Any] = drafted.data["document"]
        assert carried["head"]["bill_no"] == document["head"]["bill_no"]
        assert len(carried["goods"]) == len(document["goods"])
