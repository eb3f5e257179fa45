"""The statistics stream process (`guanwu serve anomaly-statistics`): 异常统计分析 as a faust-streaming table.

A faust agent reads `anomaly.events.v1` and counts every event into a table of shards (`ShardTables`) whose
changelog topic (`<deployment>.anomaly-statistics-anomaly_statistics_shards-changelog`) restores it after a
restart or a rebalance; the consumer group is the app id, `<deployment>.anomaly-statistics`, under the same
prefix as the services' groups. Every `snapshot_seconds` the counts that changed, summed per tenant and
partition, are written to the anomaly service's store, where its API reads them.

Why it holds: faust flushes the changelog before it commits an offset, so an event whose offset is committed
has its shard in the changelog; an event read again after a crash finds its record's version counted in the
shard that the changelog restored, and changes nothing. A shard (records' versions and the counts) is one
table entry, so no crash separates what was counted from the memory of having counted it. After recovery and
whenever partitions are assigned, every tenant of them is snapshotted again, so a snapshot lost in a crash is
written anew.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import shutil
import signal
import tempfile
from collections.abc import AsyncIterator
from typing import Any

import faust
import structlog
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import TopicAlreadyExistsError
from pydantic import ValidationError

from guanwu.anomaly.adapters.statistics import StatisticsStore
from guanwu.anomaly.config import AnomalyStatisticsSettings
from guanwu.anomaly.service_layer.handlers.statistics import ShardTables
from guanwu.contracts import topics
from guanwu.contracts.envelope import Envelope
from guanwu.contracts.events.base import REGISTRY
from guanwu.platform.clock import Clock

log = structlog.get_logger(__name__)
TABLE = "anomaly_statistics_shards"

for _noisy in ("faust", "mode", "aiokafka", "kafka"):
    logging.getLogger(_noisy).setLevel(logging.WARNING)


def app_id(settings: AnomalyStatisticsSettings) -> str:
    """The faust app id: its consumer group and the prefix of its changelog topic."""
    return f"{settings.bus.group_prefix or settings.deployment}.anomaly-statistics"


def broker_urls(bootstrap_servers: str) -> str:
    return ";".join(f"kafka://{server.strip()}" for server in bootstrap_servers.split(",") if server.strip())


class StatisticsStream:
    """The faust app, its table and agent, and the snapshot loop; `run` is the process's background task."""

    def __init__(self, settings: AnomalyStatisticsSettings, store: StatisticsStore, clock: Clock) -> None:
        self._settings = settings
        self._store = store
        self._clock = clock
        self._datadir = tempfile.mkdtemp(prefix="guanwu-anomaly-statistics-")  # faust wants one; memory store
        partitions = settings.bus.topic_partitions
        self.app = faust.App(
            app_id(settings),
            broker=broker_urls(settings.bus.bootstrap_servers),
            store="memory://",
            web_enabled=False,
            datadir=self._datadir,
            topic_partitions=partitions,
            table_standby_replicas=0,
            consumer_auto_offset_reset="earliest",
            # As the platform's consumers: a member killed without leaving holds its partitions until its
            # session expires (faust's default: 60 s), so keep it short for a restarted process to resume.
            broker_session_timeout=10.0,
            broker_heartbeat_interval=1.0,
            autodiscover=False,
        )
        source = self.app.topic(
            topics.ANOMALY_EVENTS,
            key_type=bytes,
            value_type=bytes,
            key_serializer="raw",
            value_serializer="raw",
            partitions=partitions,
        )
        self.table = self.app.Table(TABLE, default=None, partitions=partitions)
        self.shards = ShardTables(self.table)
        self._recovered: set[int] | None = None  # partitions snapshotted since their last assignment
        self.app.agent(source, name="anomaly-statistics-count")(self._count)

    async def _count(self, stream: Any) -> None:
        async for event in stream.events():
            self._count_one(event.message.partition, event.value)

    def _count_one(self, partition: int, raw: bytes) -> None:
        try:
            envelope = Envelope.from_json_bytes(raw)
            event_class = REGISTRY.get(envelope.type)
            if event_class is None:
                return
            event = event_class.model_validate(envelope.data)
        except (ValidationError, ValueError) as exc:
            log.warning("anomaly event not counted: unreadable", partition=partition, error=str(exc)[:300])
            return
        self.shards.count(partition, envelope, event)

    async def run(self) -> None:
        """Start faust, snapshot until cancelled, stop faust (a background task of the process)."""
        await ensure_topic(self._settings)
        async with self._running():
            while True:
                if self.app.crashed:
                    self._stop_process()
                    return
                try:
                    await self.snapshot()
                except Exception as exc:  # the store away: the counts stay due, the next pass writes them
                    log.warning("statistics snapshot failed", error=f"{type(exc).__name__}: {exc}"[:500])
                await asyncio.sleep(self._settings.snapshot_seconds)

    def _stop_process(self) -> None:
        """faust crashed (its agent or the table's changelog gave up): it does not come back by itself, and the
        process's probes would go on answering 200, so the process stops as on SIGTERM and its supervisor
        (Kubernetes, compose) starts it again; the changelog restores the counts."""
        log.error(
            "anomaly statistics stream crashed; stopping the process", reason=repr(self.app.crash_reason)
        )
        os.kill(os.getpid(), signal.SIGTERM)

    @contextlib.asynccontextmanager
    async def _running(self) -> AsyncIterator[None]:
        await self.app.start()
        try:
            yield
        finally:
            with contextlib.suppress(Exception):
                await self.app.stop()
            shutil.rmtree(self._datadir, ignore_errors=True)

    def assigned(self) -> set[int] | None:
        """The partitions of the anomaly events this process owns, once their tables are recovered."""
        recovery = self.app.tables.recovery  # type: ignore[attr-defined]  # TableManager's, not in its Protocol
        if not recovery.completed.is_set():
            return None
        return {
            tp.partition for tp in self.app.assignor.assigned_actives() if tp.topic == topics.ANOMALY_EVENTS
        }

    async def snapshot(self) -> None:
        """Write the counts of every tenant and partition that changed (all of newly assigned ones)."""
        assigned = self.assigned()
        if assigned is None:
            return
        fresh = assigned - (self._recovered or set())
        if fresh:
            self.shards.mark_partitions(fresh)
        self._recovered = assigned
        now = self._clock()
        for tenant, partition, counts in self.shards.take_snapshots(assigned):
            try:
                await self._store.write_snapshot(tenant, partition, counts, as_of=now)
            except Exception:
                self.shards.mark_due([(tenant, partition)])
                raise


async def ensure_topic(settings: AnomalyStatisticsSettings) -> None:
    """faust's agent needs its topic to exist; the anomaly service creates it too, whoever starts first."""
    admin = AIOKafkaAdminClient(bootstrap_servers=settings.bus.bootstrap_servers)
    await admin.start()
    try:
        if topics.ANOMALY_EVENTS not in set(await admin.list_topics()):
            new = NewTopic(topics.ANOMALY_EVENTS, settings.bus.topic_partitions, replication_factor=1)
            with contextlib.suppress(TopicAlreadyExistsError):
                await admin.create_topics([new])
    finally:
        await admin.close()
