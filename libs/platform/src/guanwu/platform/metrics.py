"""Platform-level Prometheus metrics shared by every service (names: guanwu_<component>_<thing>_<unit>).

docs/metrics.md is the catalogue (names, types, labels, meaning, which process exposes them); a unit test
holds this module and the services' `metrics.py` to it. No label carries an id.

Labelled series whose label values are known when a process is composed (a subscription's topic and group,
an outbox collection, a topic the process publishes to) are created at zero then, by the component that will
count them (`start_*` below): a counter that first appears at 1 loses that first increase in `increase()`
and `rate()`, and an alert on failures needs the series before the first failure.
"""

from prometheus_client import Counter, Gauge, Histogram

from guanwu.contracts.topics import dead_letter_topic

CONSUMED_OUTCOMES = ("handled", "dead_lettered", "skipped_unknown_type", "skipped_not_handled")

CONSUMED = Counter(
    "guanwu_bus_messages_consumed_total",
    "Messages taken from a topic by a consumer group, by outcome",
    ["topic", "group", "outcome"],
)
HANDLER_FAILURES = Counter(
    "guanwu_bus_handler_failures_total",
    "Handler attempts that raised (each retry counts; a failed batch counts once, then its events one by one)",
    ["topic", "group"],
)
PUBLISHED = Counter(
    "guanwu_bus_messages_published_total",
    "Events acknowledged by the bus",
    ["topic"],
)
PUBLISH_FAILURES = Counter(
    "guanwu_bus_publish_failures_total",
    "Publish attempts that were not acknowledged",
    ["topic"],
)
OUTBOX_RELAYED = Counter(
    "guanwu_outbox_relayed_total",
    "Events the outbox relay published and removed from their document",
    ["collection"],
)
OUTBOX_PENDING_DOCUMENTS = Gauge(
    "guanwu_outbox_pending_documents",
    "Documents with unpublished events seen by the relay's last pass",
    ["collection"],
)
OUTBOX_OLDEST_PENDING_AGE = Gauge(
    "guanwu_outbox_oldest_pending_age_seconds",
    "Age (from the envelope time) of the oldest event of the page the relay is publishing, until the bus "
    "acknowledges it (0 then): it grows while the broker refuses",
    ["collection"],
)
OUTBOX_PUBLISH_DURATION = Histogram(
    "guanwu_outbox_publish_duration_seconds",
    "Duration of one acknowledged publish of a page of events by the outbox relay",
    ["collection"],
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30),
)
HTTP_REQUEST_DURATION = Histogram(
    "guanwu_http_request_duration_seconds",
    "HTTP request duration by route template and status class",
    ["service", "method", "route", "status"],
)
DEAD_LETTER_FAILURES = Counter(
    "guanwu_bus_dead_letter_failures_total",
    "Attempts to write a message to its dead-letter topic that failed (the consumer waits on that message)",
    ["topic"],
)
DEAD_LETTER_TRIMMED = Counter(
    "guanwu_bus_dead_letters_trimmed_total",
    "Dead-lettered messages too large to copy, written as a reference (size, SHA-256, head, coordinates)",
    ["topic"],
)
CONSUMER_BUSY_SECONDS = Gauge(
    "guanwu_bus_consumer_busy_seconds",
    "How long the consumer has been on its current message (0 while waiting); a growing value is a stall",
    ["topic", "group"],
)
CONSUMER_LAG = Gauge(
    "guanwu_bus_consumer_lag_messages",
    "Messages on a partition after the consumer group's last commit (as of its last fetch)",
    ["topic", "group", "partition"],
)
PROCESS_READY = Gauge(
    "guanwu_process_ready",
    "1 while the process's readiness checks pass (store, bus, no stalled consumer), refreshed every few seconds",
    ["service"],
)


def start_subscription_series(topic: str, group: str) -> None:
    """The series of one consumer group's subscription, at zero (its dead letters go to `<topic>.dlq`)."""
    for outcome in CONSUMED_OUTCOMES:
        CONSUMED.labels(topic, group, outcome)
    HANDLER_FAILURES.labels(topic, group)
    dlq = dead_letter_topic(topic)
    DEAD_LETTER_FAILURES.labels(dlq)
    DEAD_LETTER_TRIMMED.labels(dlq)


def start_publisher_series(topic: str) -> None:
    """The series of a topic this process publishes to, at zero."""
    PUBLISHED.labels(topic)
    PUBLISH_FAILURES.labels(topic)


def start_outbox_series(collection: str) -> None:
    """The series of one outbox collection, at zero until the relay's first pass."""
    OUTBOX_RELAYED.labels(collection)
    OUTBOX_PENDING_DOCUMENTS.labels(collection)
    OUTBOX_OLDEST_PENDING_AGE.labels(collection)
    OUTBOX_PUBLISH_DURATION.labels(collection)
