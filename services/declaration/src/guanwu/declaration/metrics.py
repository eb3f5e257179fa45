"""Prometheus metrics of the declaration service (docs/metrics.md). Labels carry statuses only, never ids."""

from __future__ import annotations

from collections.abc import Mapping

from prometheus_client import Counter, Gauge

from guanwu.declaration.domain.model import Status

DECLARATIONS = Gauge(
    "guanwu_declaration_declarations",
    "Declarations by status, all tenants, as of the last background count (every metrics_refresh_seconds)",
    ["status"],
)
STATUS_CHANGES = Counter(
    "guanwu_declaration_status_changes_total",
    "Committed lifecycle transitions, by the status moved to (a new draft counts as moved to 草稿)",
    ["status"],
)
SIGNING_TIMEOUTS = Counter(
    "guanwu_declaration_signing_timeouts",
    "Declarations sent back from 申报中 to 审核通过 because their signing request had no answer within "
    "signing_timeout_seconds",
)
PARKED_RECEIPTS_EXPIRED = Counter(
    "guanwu_declaration_parked_receipts_expired",
    "Parked receipts removed because no declaration claimed them within parked_receipt_ttl_seconds",
)


class PrometheusDeclarationMetrics:
    """Implements StatusChanges (adapters/declarations.py) and SweepObserver (handlers/sweeps.py) and takes the
    background counts. Every status has its series from the start (0), so a rate or an alert sees the first
    change."""

    def __init__(self) -> None:
        for status in Status:
            STATUS_CHANGES.labels(status.value)
            DECLARATIONS.labels(status.value)

    def moved_to(self, status: Status) -> None:
        STATUS_CHANGES.labels(status.value).inc()

    def counted(self, counts: Mapping[Status, int]) -> None:
        for status, count in counts.items():
            DECLARATIONS.labels(status.value).set(count)

    def signing_timed_out(self) -> None:
        SIGNING_TIMEOUTS.inc()

    def parked_receipt_expired(self) -> None:
        PARKED_RECEIPTS_EXPIRED.inc()
