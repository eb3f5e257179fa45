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
