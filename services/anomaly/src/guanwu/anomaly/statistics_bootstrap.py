"""Composition root of the statistics stream process (`guanwu serve anomaly-statistics`): the faust app that
counts the anomaly events, writing snapshots into the anomaly service's store (its database)."""

from __future__ import annotations

from guanwu.anomaly.adapters.statistics import StatisticsStore
from guanwu.anomaly.config import AnomalyStatisticsSettings
from guanwu.anomaly.entrypoints.statistics_stream import StatisticsStream
from guanwu.platform.clock import Clock, utc_now
from guanwu.platform.outbox import OutboxNotifier
from guanwu.platform.runtime import ServiceParts
from guanwu.platform.store.port import DocumentStore


def build(
    settings: AnomalyStatisticsSettings,
    store: DocumentStore,
    outbox_written: OutboxNotifier,
    *,
    clock: Clock = utc_now,
) -> ServiceParts:
    """The process's parts: no routes, no subscriptions of the platform's bus (faust consumes), one
    background task; `outbox_written` is unused (it publishes nothing)."""
    statistics = StatisticsStore(store)
    stream = StatisticsStream(settings, statistics, clock)
    return ServiceParts(
        name="anomaly-statistics",
        on_start=[statistics.ensure_indexes],
        background=[stream.run],
        context=stream,
    )
