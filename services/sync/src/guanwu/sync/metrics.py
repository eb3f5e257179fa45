"""Prometheus metrics of the sync service (docs/metrics.md). Labels carry codes and outcomes, never ids."""

from __future__ import annotations

from typing import get_args

from prometheus_client import Counter, Gauge, Histogram

from guanwu.contracts.sync import SyncKind
from guanwu.customs.messages.receipts import ReceiptStatus
from guanwu.sync.adapters.single_window import Operation
from guanwu.sync.domain.receipts import MESSAGE_TYPES, BondedListMessage
from guanwu.sync.domain.synced import Outcome
from guanwu.sync.service_layer.job_observer import JobOutcome
from guanwu.sync.service_layer.observer import DeclareOutcome, Job

RECEIPTS = Counter(
    "guanwu_sync_receipts_total",
    "Receipts read from the Single Window and stored, by CHANNEL code (? for a code the customs kernel does "
    "not know)",
    ["channel"],
)
BONDED_LIST_RECEIPTS = Counter(
    "guanwu_sync_bonded_list_receipts_total",
    "核注清单 receipts read from the Single Window and stored, by message type (INV201 审核回执, INV202 生成报关单)",
    ["message_type"],
)
QUARANTINED_RECEIPTS = Counter(
    "guanwu_sync_receipts_quarantined_total",
    "Receipts of the feed that could not be read, quarantined (listed at /api/sync/receipts/quarantine), by "
    "message type (other: a type sync does not know)",
    ["message_type"],
)
JOBS = Counter(
    "guanwu_sync_jobs_total",
    "Runs of sync's background jobs: one tenant's receipt poll, one resend sweep (failed: the Single Window "
    "or the store did not answer)",
    ["sync_job", "outcome"],  # not `job`: Prometheus reserves that for the scrape target
)
DECLARATIONS = Counter(
    "guanwu_sync_declarations_total",
    "申报 records sent to the Single Window, by result: submitted, refused, deferred (no answer; sent again)",
    ["outcome"],
)
SINGLE_WINDOW_REQUESTS = Counter(
    "guanwu_sync_single_window_requests_total",
    "HTTP calls to the Single Window (error: no usable answer: connection, timeout, 5xx or 429, unreadable)",
    ["operation", "outcome"],
)
SINGLE_WINDOW_REQUEST_DURATION = Histogram(
    "guanwu_sync_single_window_request_duration_seconds",
    "Duration of HTTP calls to the Single Window, answer read",
    ["operation"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30),
)
SYNCED_RECORDS = Counter(
    "guanwu_sync_records_total",
    "Records (declarations, 核注清单) read by sync jobs, by kind and outcome: written (new or changed, "
    "announced), unchanged (already synced at that version), quarantined (could not be read)",
    ["kind", "outcome"],
)
DATA_JOBS = Counter(
    "guanwu_sync_data_jobs_total",
    "Sync jobs (数据同步) that ended, by kind and outcome: completed, failed, cancelled",
    ["kind", "outcome"],
)
DATA_JOBS_RUNNING = Gauge("guanwu_sync_data_jobs_running", "Sync jobs this process is running now")


def message_type_label(message_type: str) -> str:
    """A message type from outside cannot make new series either."""
    return message_type if message_type in MESSAGE_TYPES else "other"


def channel_label(channel: str) -> str:
    """The CHANNEL code as the customs kernel reads it: a code from outside cannot make new series."""
    return ReceiptStatus.from_channel(channel).value


class PrometheusSyncMetrics:
    """Implements SyncObserver (service_layer/observer.py) and SingleWindowCalls (adapters/single_window.py).
    Every job, outcome and operation has its series from the start (0), so a rate or an alert sees the first
    failure; receipts appear by channel as they come."""

    def __init__(self) -> None:
        for message_type in (*MESSAGE_TYPES, "other"):
            QUARANTINED_RECEIPTS.labels(message_type)
        for message_type in get_args(BondedListMessage):
            BONDED_LIST_RECEIPTS.labels(message_type)
        for job in get_args(Job):
            for outcome in ("ok", "failed"):
                JOBS.labels(job, outcome)
        for sent in get_args(DeclareOutcome):
            DECLARATIONS.labels(sent)
        for operation in get_args(Operation):
            SINGLE_WINDOW_REQUEST_DURATION.labels(operation)
            for outcome in ("ok", "error"):
                SINGLE_WINDOW_REQUESTS.labels(operation, outcome)

    def receipt_stored(self, channel: str) -> None:
        RECEIPTS.labels(channel_label(channel)).inc()

    def bonded_list_receipt_stored(self, message_type: str) -> None:
        BONDED_LIST_RECEIPTS.labels(message_type_label(message_type)).inc()

    def receipt_quarantined(self, message_type: str) -> None:
        QUARANTINED_RECEIPTS.labels(message_type_label(message_type)).inc()

    def declaration_sent(self, outcome: DeclareOutcome) -> None:
        DECLARATIONS.labels(outcome).inc()

    def job_ran(self, job: Job, ok: bool) -> None:
        JOBS.labels(job, "ok" if ok else "failed").inc()

    def called(self, operation: Operation, ok: bool, seconds: float) -> None:
        SINGLE_WINDOW_REQUESTS.labels(operation, "ok" if ok else "error").inc()
        SINGLE_WINDOW_REQUEST_DURATION.labels(operation).observe(seconds)


class PrometheusJobMetrics:
    """Implements JobObserver (service_layer/job_observer.py); every kind and outcome has its series from the
    start."""

    def __init__(self) -> None:
        for kind in get_args(SyncKind):
            for outcome in Outcome:
                SYNCED_RECORDS.labels(kind, outcome.value)
            for ended in get_args(JobOutcome):
                DATA_JOBS.labels(kind, ended)

    def records_read(self, kind: SyncKind, outcome: Outcome, count: int) -> None:
        SYNCED_RECORDS.labels(kind, outcome.value).inc(count)

    def job_ended(self, kind: SyncKind, outcome: JobOutcome) -> None:
        DATA_JOBS.labels(kind, outcome).inc()

    def jobs_running(self, change: int) -> None:
        DATA_JOBS_RUNNING.inc(change)
