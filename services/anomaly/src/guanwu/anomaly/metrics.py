"""Prometheus metrics of the anomaly service (docs/metrics.md). Labels carry types and statuses, never ids."""

from __future__ import annotations

from collections.abc import Mapping

from prometheus_client import Counter, Gauge

from guanwu.anomaly.domain import Anomaly, AnomalyType, HandlingStatus

SOURCES = ("receipt", "manual")

RECORDS = Gauge(
    "guanwu_anomaly_records",
    "Anomaly records by type and handling status, all tenants, as of the last background count "
    "(every metrics_refresh_seconds)",
    ["anomaly_type", "handling_status"],
)
REGISTERED = Counter(
    "guanwu_anomaly_registered_total",
    "Anomaly records registered: from a customs delete receipt (receipt) or entered by hand (manual)",
    ["anomaly_type", "source"],
)


def source_of(anomaly: Anomaly) -> str:
    return "receipt" if anomaly.source_receipt_id else "manual"


class PrometheusAnomalyMetrics:
    """Implements Registrations (adapters.py) and takes the background counts. Every type,
    status and source has its series from the start (0), so a rate or an alert sees the first record."""

    def __init__(self) -> None:
        for kind in AnomalyType:
            for source in SOURCES:
                REGISTERED.labels(kind.value, source)
            for status in HandlingStatus:
                RECORDS.labels(kind.value, status.value)

    def registered(self, anomaly: Anomaly) -> None:
        REGISTERED.labels(anomaly.anomaly_type.value, source_of(anomaly)).inc()

    def counted(self, counts: Mapping[tuple[AnomalyType, HandlingStatus], int]) -> None:
        for (kind, status), count in counts.items():
            RECORDS.labels(kind.value, status.value).set(count)
