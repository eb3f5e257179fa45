"""The event bus port.

Publishing returns only once the bus has acknowledged the event (Kafka: acks=all; in-process: every
subscribed group has handled it), so the outbox relay may forget an event as soon as `publish` returns.

Consumption is at-least-once: a handler may see an event again after a crash or a retry, so every handler's
effect must be idempotent (see `guanwu.platform.idempotency`).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from guanwu.contracts.envelope import Envelope
from guanwu.contracts.events.base import Event

EventHandler = Callable[[Envelope, Event], Awaitable[object]]
BatchHandler = Callable[[Sequence[tuple[Envelope, Event]]], Awaitable[object]]


@dataclass(frozen=True)
class Subscription:
    """One consumer group reading one topic, with a handler per event type it cares about.

    Event types on the topic that the group has no handler for are counted and skipped: producers may add
    event types without breaking consumers.

    A type may have a batch handler instead: it gets a run of consecutive events it is registered for (one
    handler may serve several types), in partition order (what one poll of one partition brought), and
    applies their effects together, e.g. one `insert_many` with the idempotency keys. It must be idempotent like any handler: when a run fails, each of
    its events is handed to it again alone, with the usual retries and dead-lettering, so one bad event never
    holds back or loses the others.
    """

    group: str
    topic: str
    handlers: Mapping[str, EventHandler] = field(default_factory=dict)
    batch_handlers: Mapping[str, BatchHandler] = field(default_factory=dict)

    def __post_init__(self) -> None:
        both = set(self.handlers) & set(self.batch_handlers)
        if both:
            raise ValueError(f"{self.group}/{self.topic}: {sorted(both)} have a handler and a batch handler")


class EventPublisher(Protocol):
    async def publish(self, topic: str, envelope: Envelope) -> None:
        """Return when the event is durably acknowledged; raise otherwise."""


class EventBus(EventPublisher, Protocol):
    async def publish_many(self, items: Sequence[tuple[str, Envelope]]) -> None:
        """Publish several events, each topic's in the order given; return when all are acknowledged."""

    def subscribe(self, subscription: Subscription) -> None:
        """Register before `start()`."""

    async def start(self) -> None: ...

    async def stop(self) -> None: ...

    async def ping(self) -> bool:
        """True when the broker answers (readiness)."""

    def stalled_consumers(self) -> list[dict[str, Any]]:
        """Consumers stuck on one message for longer than their stall limit (readiness)."""
