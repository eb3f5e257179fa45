"""Topic names. A topic is owned by its producer: `<owner>.events.v1`, commands on `<owner>.requests.v1`."""

from typing import Final

DECLARATION_EVENTS: Final = "declaration.events.v1"
ANOMALY_EVENTS: Final = "anomaly.events.v1"
SYNC_EVENTS: Final = "sync.events.v1"
SYNC_REQUESTS: Final = "sync.requests.v1"
REVIEW_EVENTS: Final = "review.events.v1"
SIGNER_EVENTS: Final = "card-signer.events.v1"
SIGNER_REQUESTS: Final = "card-signer.requests.v1"

ALL_TOPICS: Final = (
    DECLARATION_EVENTS,
    ANOMALY_EVENTS,
    SYNC_EVENTS,
    SYNC_REQUESTS,
    REVIEW_EVENTS,
    SIGNER_EVENTS,
    SIGNER_REQUESTS,
)


def dead_letter_topic(topic: str) -> str:
    """Where a message goes after it failed too often: the same name with `.dlq`."""
    return f"{topic}.dlq"
