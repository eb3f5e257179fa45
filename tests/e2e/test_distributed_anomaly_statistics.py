"""异常统计分析 distributed (#13 F-23): the statistics stream process (faust tables with changelog topics)
counts the anomaly events from Kafka; the anomaly service's API answers what it counted, equal to a recount of
the records, also after the stream process was killed (SIGKILL) and restarted while events kept coming."""

from __future__ import annotations

import asyncio
import random
import uuid
from datetime import UTC, date, datetime
from typing import Any

import httpx
from distributed import Cluster, cluster, token, wait_until
from test_faults import _produce

from guanwu.anomaly.domain.statistics import StatisticsQuery, recount
from guanwu.cli.cluster import STATISTICS, STATISTICS_BY_STREAM, statistics_stream
from guanwu.contracts.envelope import Envelope
from guanwu.contracts.events.anomaly import (
    AnomalyChanged,
    AnomalyDeleted,
    AnomalyEvent,
    AnomalyFacts,
    AnomalyRegistered,
)
from guanwu.platform.events import envelope_for

TYPES = ("查验", "退单", "删单", "其他")
PEOPLE = (None, "张三", "李四")
AT = datetime(2026, 12, 1, tzinfo=UTC)


class Records:
    """Events of records this test makes up, and what each record is after them (None: deleted)."""

    def __init__(self, tenant: str, seed: int) -> None:
        self.tenant = tenant
        self.rng = random.Random(seed)
        self.now: dict[str, tuple[int, AnomalyFacts | None]] = {}

    def facts(self) -> AnomalyFacts:
        return AnomalyFacts(
            category=self.rng.choice(("declaration", "bonded_list")),
            anomaly_type=self.rng.choice(TYPES),
            occurred_on=date(2026, self.rng.randint(1, 12), self.rng.randint(1, 28)),
            responsible_person=self.rng.choice(PEOPLE),
            penalized=self.rng.choice((None, True, False)),
            handling_status=self.rng.choice(("未处理", "处理中", "已处理")),
        )

    def register(self, n: int) -> list[AnomalyEvent]:
        events: list[AnomalyEvent] = []
        for _ in range(n):
            anomaly_id, now = f"{self.tenant}-{uuid.uuid4().hex[:12]}", self.facts()
            self.now[anomaly_id] = (1, now)
            events.append(
                AnomalyRegistered(
                    anomaly_id=anomaly_id,
                    category=now.category,
                    document_no="610120260000012345",
                    anomaly_type=now.anomaly_type,
                    occurred_on=now.occurred_on,
                    handling_status=now.handling_status,
                    facts=now,
                )
            )
        return events

    def change(self, n: int) -> list[AnomalyEvent]:
        alive = [i for i, (_, f) in self.now.items() if f is not None]
        events: list[AnomalyEvent] = []
        for anomaly_id in self.rng.sample(alive, min(n, len(alive))):
            version, before = self.now[anomaly_id]
            assert before is not None
            common: dict[str, Any] = {"changed_by": "e2e", "changed_at": AT, "before": before}
            if self.rng.random() < 0.3:
                events.append(
                    AnomalyDeleted(anomaly_id=anomaly_id, version=version + 1, after=before, **common)
                )
                self.now[anomaly_id] = (version + 1, None)
            else:
                after = self.facts()
                events.append(
                    AnomalyChanged(anomaly_id=anomaly_id, version=version + 1, after=after, **common)
                )
                self.now[anomaly_id] = (version + 1, after)
        return events

    def envelopes(self, events: list[AnomalyEvent]) -> list[tuple[str, Envelope]]:
        return [envelope_for(e, source="/guanwu/anomaly", tenant=self.tenant) for e in events]

    def expected(self, query: StatisticsQuery | None = None) -> dict[str, Any]:
        query = query or StatisticsQuery()
        alive = [f for _, f in self.now.values() if f is not None]
        return recount(alive, query).model_dump(mode="json")


def _statistics(anomaly_url: str, tenant: str, **params: str) -> dict[str, Any]:
    response = httpx.get(
        f"{anomaly_url}/api/anomaly/statistics", params=params, headers=token(tenant), timeout=10
    )
    assert response.status_code == 200, response.text
    return dict(response.json())


def _start(c: Cluster) -> tuple[Any, Any]:
    anomaly = c.service("anomaly", **STATISTICS_BY_STREAM).start()
    stream = c.service(STATISTICS, **statistics_stream(c.shared), SNAPSHOT_SECONDS="0.2").start()
    return anomaly, stream


def test_the_stream_counts_equal_a_recount_also_after_a_sigkill(kafka_bootstrap: str, mongo_url: str) -> None:
    tenant = f"t-{uuid.uuid4().hex[:8]}"
    records = Records(tenant, seed=13)
    with cluster(kafka_bootstrap, mongo_url) as c:
        anomaly, stream = _start(c)
        first = records.register(150) + records.change(60)
        asyncio.run(_produce(kafka_bootstrap, records.envelopes(first + first[:40])))  # and redeliveries

        def counted() -> dict[str, Any]:
            return _statistics(anomaly.url, tenant)

        def settled() -> bool:
            return counted() == records.expected()

        wait_until(settled, progress=lambda: counted()["total"])
        march = StatisticsQuery(
            occurred_from=date(2026, 3, 1), occurred_to=date(2026, 5, 31), category="bonded_list"
        )
        params = {"occurred_from": "2026-03-01", "occurred_to": "2026-05-31", "category": "bonded_list"}
        assert _statistics(anomaly.url, tenant, **params) == records.expected(march)

        stream.kill()  # SIGKILL: no clean shutdown, no last commit
        # While it is down: changes to records it counted before (only right if its table comes back).
        second = records.change(80) + records.register(30)
        asyncio.run(_produce(kafka_bootstrap, records.envelopes(second)))
        stream.start()

        # A worker restarted after a SIGKILL may sit idle while the broker holds its group: the dead member's
        # session (10 s) must lapse before the rebalance, then the table's changelog is read back. The quiet
        # period watched here is this machine's processes, not the broker's wait: give it longer (one CI run
        # saw 30 s of stillness there, then passes of 22 s in a row).
        wait_until(settled, progress=lambda: counted()["total"], quiet_seconds=90)
        assert counted()["total"] == sum(1 for _, f in records.now.values() if f is not None)
