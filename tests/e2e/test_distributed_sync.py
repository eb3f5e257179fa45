"""数据同步 with each service in its own process on real Kafka and FerretDB: a by-day job whose sync process is
SIGKILLed mid-job resumes from its cursor and ends as one clean run; the same job again publishes nothing new."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from distributed import Cluster, Process, cluster, token, wait_until

from guanwu.cli.cluster import sync_upstream
from guanwu.contracts import topics
from guanwu.contracts.envelope import Envelope
from guanwu.contracts.events import DeclarationSynced, SyncRequested
from guanwu.platform.events import envelope_for

DECLARATIONS = 600
JOBS = "/api/sync/jobs"
SYNCER = ("preparer", "manager")


def _seed(simulator: Process, tenant: str, start: datetime) -> None:
    dataset = {"enterprise": tenant, "seed": 12, "declarations": DECLARATIONS, "bonded_lists": 0}
    answer = httpx.post(
        f"{simulator.url}/sim/datasets", json={**dataset, "start": start.isoformat(), "days": 10}, timeout=120
    )
    assert answer.status_code == 201, answer.text


def _criteria(start: datetime) -> dict[str, Any]:
    return {
        "kind": "declarations",
        "mode": "by_day",
        "updated_from": start.isoformat(),
        "updated_to": (start + timedelta(days=11)).isoformat(),
        "enterprise_category": "1",
    }


def _expected(simulator: Process, tenant: str, criteria: dict[str, Any]) -> int:
    filters = {k: v for k, v in criteria.items() if k not in ("mode",)}
    answer = httpx.get(f"{simulator.url}/sim/datasets/{tenant}/count", params=filters, timeout=30)
    assert answer.status_code == 200, answer.text
    return int(answer.json()["count"])


def _job(sync: Process, tenant: str, job_id: str) -> dict[str, Any]:
    answer = httpx.get(f"{sync.url}{JOBS}/{job_id}", headers=token(tenant, SYNCER), timeout=30)
    assert answer.status_code == 200, answer.text
    body: dict[str, Any] = answer.json()
    return body


def _start(sync: Process, tenant: str, criteria: dict[str, Any]) -> str:
    answer = httpx.post(f"{sync.url}{JOBS}", json=criteria, headers=token(tenant, SYNCER), timeout=30)
    assert answer.status_code == 202, answer.text
    return str(answer.json()["job_id"])


async def _request_through_kafka(bootstrap: str, tenant: str, criteria: dict[str, Any]) -> str:
    """A SyncRequested from an outside system, straight onto sync.requests.v1."""
    job_id = f"erp-{uuid.uuid4().hex[:12]}"
    request = SyncRequested(
        job_id=job_id, requested_by="erp", requested_at=datetime.now(UTC), criteria=criteria
    )
    topic, envelope = envelope_for(request, source="/erp", tenant=tenant)
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, enable_idempotence=True, acks="all")
    await producer.start()
    try:
        await producer.send_and_wait(topic, envelope.to_json_bytes(), key=envelope.subject.encode())
    finally:
        await producer.stop()
    return job_id


def _finished(sync: Process, tenant: str, job_id: str) -> dict[str, Any]:
    def seen() -> dict[str, Any] | None:
        answer = httpx.get(f"{sync.url}{JOBS}/{job_id}", headers=token(tenant, SYNCER), timeout=30)
        # A request sent through Kafka is not a job until sync consumed it.
        return None if answer.status_code == 404 else dict(answer.json())

    def ended() -> dict[str, Any] | None:
        job = seen()
        return job if job is not None and job["state"] in ("completed", "failed", "cancelled") else None

    def progress() -> object:
        job = seen()
        return (job["state"], job["counts"]["fetched"]) if job is not None else _job_count(sync, tenant)

    job = wait_until(ended, progress=progress)
    assert job["state"] == "completed", job
    return dict(job)


def _job_count(sync: Process, tenant: str) -> int:
    answer = httpx.get(f"{sync.url}{JOBS}", headers=token(tenant, SYNCER), timeout=30)
    return int(answer.json()["total"])


def _query_total(query: Process, tenant: str) -> int:
    page = httpx.get(
        f"{query.url}/api/query/declarations", params={"limit": 1}, headers=token(tenant), timeout=30
    )
    return int(page.json()["total"])


async def _synced_on_topic(bootstrap: str, tenant: str) -> list[str]:
    """统一编号 of every DeclarationSynced of the tenant on the topic, read to its end."""
    consumer = AIOKafkaConsumer(
        topics.SYNC_EVENTS, bootstrap_servers=bootstrap, group_id=None, auto_offset_reset="earliest"
    )
    await consumer.start()
    seq_nos: list[str] = []
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
                    if envelope.tenant == tenant and envelope.type == DeclarationSynced.event_type:
                        seq_nos.append(str(envelope.data["seq_no"]))
    finally:
        await consumer.stop()
    return seq_nos


def _sync_service(c: Cluster, simulator: Process, tenant: str) -> Process:
    # Small pages and a short lease: the kill lands between pages, and the restarted process takes the job
    # over soon after the dead one's lease ran out.
    return c.service(
        "sync",
        **sync_upstream(simulator.url, [tenant], poll_interval_seconds=0.2),
        JOB_PAGE_SIZE="40",
        JOB_LEASE_SECONDS="4",
        JOB_POLL_INTERVAL_SECONDS="0.5",
    )


def test_sync_killed_mid_job_resumes_from_its_cursor_and_a_second_run_changes_nothing(
    kafka_bootstrap: str, mongo_url: str
) -> None:
    tenant = f"t-{uuid.uuid4().hex[:8]}"
    start = (datetime.now(UTC) - timedelta(days=20)).replace(microsecond=0)
    with cluster(kafka_bootstrap, mongo_url) as c:
        simulator = c.simulator().start(ready_path="/docs")
        _seed(simulator, tenant, start)
        # Each page takes a while, so the job is still running when it is killed.
        faults = {"enterprise": tenant, "seed": 1, "latency_ms": 150}
        assert httpx.put(f"{simulator.url}/sim/faults", json=faults).status_code == 200
        c.service("declaration").start()
        query = c.service("query").start()
        sync = _sync_service(c, simulator, tenant).start()
        criteria = _criteria(start)
        expected = _expected(simulator, tenant, criteria)
        assert expected > 200, f"the seeded role 1 share is too small to kill mid-job ({expected})"

        job_id = _start(sync, tenant, criteria)
        at_kill = wait_until(lambda: _job(sync, tenant, job_id)["counts"]["fetched"], interval=0.05)
        sync.kill()
        assert 0 < at_kill < expected, f"the kill should land mid-job (fetched at kill: {at_kill})"

        sync.start()
        job = _finished(sync, tenant, job_id)
        assert job["runs"] >= 2, "the job was resumed by the restarted process"
        assert job["counts"]["fetched"] == expected
        # A page stored just before the kill may be read again: its records are then unchanged, not new.
        assert job["counts"]["written"] + job["counts"]["unchanged"] == expected, job["counts"]
        assert job["counts"]["quarantined"] == 0

        wait_until(
            lambda: _query_total(query, tenant) >= expected, progress=lambda: _query_total(query, tenant)
        )
        assert _query_total(query, tenant) == expected
        published = asyncio.run(_synced_on_topic(kafka_bootstrap, tenant))
        # The relay publishes at least once (a kill between publishing and clearing repeats an event), so the
        # topic holds every record, each at least once; the consumers above kept each once.
        assert len(set(published)) == expected

        # The same question again, this time from an outside system through Kafka: nothing new.
        again_id = asyncio.run(_request_through_kafka(kafka_bootstrap, tenant, criteria))
        again = _finished(sync, tenant, again_id)
        assert again["requested_by"] == "erp"
        assert again["counts"]["written"] == 0
        assert again["counts"]["unchanged"] == expected
        assert len(asyncio.run(_synced_on_topic(kafka_bootstrap, tenant))) == len(published)
        assert _query_total(query, tenant) == expected


def test_a_synced_bonded_list_makes_a_declaration_and_its_delete_receipt_reaches_query(
    kafka_bootstrap: str, mongo_url: str
) -> None:
    tenant = f"t-{uuid.uuid4().hex[:8]}"
    start = (datetime.now(UTC) - timedelta(days=20)).replace(microsecond=0)
    with cluster(kafka_bootstrap, mongo_url) as c:
        simulator = c.simulator().start(ready_path="/docs")
        dataset = {"enterprise": tenant, "seed": 4, "declarations": 0, "bonded_lists": 30}
        seeded = httpx.post(
            f"{simulator.url}/sim/datasets",
            json={**dataset, "start": start.isoformat(), "days": 10},
            timeout=60,
        )
        assert seeded.status_code == 201, seeded.text
        declaration = c.service("declaration").start()
        query = c.service("query").start()
        sync = _sync_service(c, simulator, tenant).start()
        criteria = {
            "kind": "bonded_lists",
            "mode": "by_day",
            "updated_from": start.isoformat(),
            "updated_to": (start + timedelta(days=11)).isoformat(),
            "enterprise_type": "1",
            "data_source": "1",
        }
        expected = _expected(simulator, tenant, criteria)
        job = _finished(sync, tenant, _start(sync, tenant, criteria))
        assert job["counts"]["written"] == expected > 0

        def approved() -> dict[str, Any] | None:
            page = httpx.get(
                f"{query.url}/api/query/bonded-lists",
                params={"list_stat": "0"},
                headers=token(tenant),
                timeout=30,
            )
            return next((row for row in page.json()["items"] if row.get("bond_invt_no")), None)

        row = wait_until(approved)

        def drafted() -> dict[str, Any] | None:
            # The declaration service keeps the lists it heard of; it may hear of this one after query did.
            made = httpx.post(
                f"{declaration.url}/api/declaration/declarations/from-bonded-list",
                json={"bond_invt_no": row["bond_invt_no"]},
                headers=token(tenant),
                timeout=30,
            )
            assert made.status_code in (201, 404), made.text
            return dict(made.json()) if made.status_code == 201 else None

        assert wait_until(drafted)["status"] == "草稿"

        deleted = {
            "enterprise": tenant,
            "message_type": "INV201",
            "seq_no": row["seq_no"],
            "bond_invt_no": row["bond_invt_no"],
            "list_stat": "3",
            "note": "企业申请删除",
        }
        assert httpx.post(f"{simulator.url}/sim/bonded-list-receipts", json=deleted).status_code == 201

        def deleted_in_query() -> bool:
            one = httpx.get(
                f"{query.url}/api/query/bonded-lists/{row['bond_invt_no']}", headers=token(tenant), timeout=30
            )
            return bool(one.json().get("list_stat") == "3")

        assert wait_until(deleted_in_query)
