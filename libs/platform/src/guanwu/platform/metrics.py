"""Platform-level Prometheus metrics shared by every service (names: guanwu_<component>_<thing>_<unit>)."""

from prometheus_client import Counter, Gauge, Histogram

CONSUMED = Counter(
    "guanwu_bus_messages_consumed_total",
    "Messages taken from a topic by a consumer group, by outcome",
    ["topic", "group", "outcome"],
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
