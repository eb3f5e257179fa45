"""Turning raw messages into handler calls, the same way for every bus adapter.

A message is parsed into an envelope, its payload validated against the registry, and handed to the
group's handler. A handler that keeps failing, a non-JSON message and an invalid payload all go to the
dead-letter topic `<topic>.dlq` with the reason, so one bad message never stops a consumer.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol, TypeVar

import structlog
from pydantic import ValidationError

from guanwu.contracts.envelope import Envelope
from guanwu.contracts.events.base import REGISTRY, Event, EventRegistry
from guanwu.contracts.topics import dead_letter_topic
from guanwu.platform import metrics
from guanwu.platform.bus.port import BatchHandler, EventHandler, Subscription
from guanwu.platform.logging import bind_correlation

log = structlog.get_logger(__name__)
T = TypeVar("T")


class DeadLetterSink(Protocol):
    async def dead_letter(self, topic: str, key: bytes | None, value: bytes, headers: dict[str, str]) -> None:
        """Store the failed message durably (raise if it could not be stored)."""


@dataclass
class ConsumerProgress:
    """Whether one subscription moves: when its current message started, when it last finished one."""

    group: str
    topic: str
    clock: Callable[[], float] = time.monotonic
    in_flight_since: float | None = None
    last_finished: float | None = None
    finished: int = 0

    def started(self) -> None:
        self.in_flight_since = self.clock()

    def done(self, count: int = 1) -> None:
        self.in_flight_since = None
        self.last_finished = self.clock()
        self.finished += count

    def busy_seconds(self) -> float:
        """How long the current message has held the consumer (0 when it waits for messages)."""
        return 0.0 if self.in_flight_since is None else self.clock() - self.in_flight_since


@dataclass
class ConsumerHealth:
    """The consumers of one bus. A consumer that has held one message for longer than `stall_seconds` is
    stalled: every later message of its partition waits behind that one, so its lag only grows.

    Choices: comparing committed offsets with the partitions' end offsets would also see a consumer that gets
    no messages at all, but needs a broker round trip per partition on every probe; the time spent on the
    current message is free to read, identical on both buses, and is the way a consumer gets stuck here.
    """

    stall_seconds: float = 120.0
    clock: Callable[[], float] = time.monotonic
    consumers: list[ConsumerProgress] = field(default_factory=list)

    def track(self, group: str, topic: str) -> ConsumerProgress:
        progress = ConsumerProgress(group, topic, self.clock)
        self.consumers.append(progress)
        metrics.CONSUMER_BUSY_SECONDS.labels(topic, group).set_function(progress.busy_seconds)
        return progress

    def stalled(self) -> list[dict[str, Any]]:
        return [
            {"group": c.group, "topic": c.topic, "busy_seconds": round(c.busy_seconds(), 1)}
            for c in self.consumers
            if c.busy_seconds() > self.stall_seconds
        ]


@dataclass(frozen=True)
class RetryPolicy:
    attempts: int = 3
    first_delay_seconds: float = 0.05
    max_delay_seconds: float = 1.0

    def delay(self, attempt: int) -> float:
        return float(min(self.first_delay_seconds * 2.0 ** (attempt - 1), self.max_delay_seconds))


@dataclass(frozen=True)
class RawMessage:
    """A message as it came from the broker, with its coordinates where the bus has them.

    `parsed` keeps what reading the bytes gave (the envelope, each payload, or why they could not be read):
    the in-process bus hands one message to every group, which then read it once instead of once each."""

    key: bytes | None
    value: bytes
    partition: int | None = None
    offset: int | None = None
    parsed: dict[object, Any] = field(default_factory=dict, compare=False, repr=False)


@dataclass(frozen=True)
class _Refused:
    """A message that cannot be handled: it goes to the dead-letter topic with the reason."""

    message: RawMessage
    reason: str
    detail: str


@dataclass(frozen=True)
class _Ready:
    """A valid event that one of the group's handlers takes."""

    message: RawMessage
    envelope: Envelope
    payload: Event


class Dispatcher:
    """Runs one subscription's handlers for raw messages. Returns normally unless the DLQ itself failed,
    in which case the caller must not commit the offset."""

    def __init__(
        self,
        subscription: Subscription,
        dead_letters: DeadLetterSink,
        retry: RetryPolicy | None = None,
        registry: EventRegistry = REGISTRY,
        health: ConsumerHealth | None = None,
    ) -> None:
        self.subscription = subscription
        self._dead_letters = dead_letters
        self._retry = retry or RetryPolicy()
        self._registry = registry
        self.progress = (health or ConsumerHealth()).track(subscription.group, subscription.topic)
        self._counters: dict[str, Any] = {}
        metrics.start_subscription_series(subscription.topic, subscription.group)
        self._handler_failures = metrics.HANDLER_FAILURES.labels(subscription.topic, subscription.group)

    async def dispatch(
        self, key: bytes | None, value: bytes, *, partition: int | None = None, offset: int | None = None
    ) -> str:
        """Handle one message; returns the outcome label (also counted in metrics). The partition and offset,
        where the bus knows them, go into a dead-letter copy so the original can be found."""
        message = RawMessage(key, value, partition, offset)
        self.progress.started()
        try:
            outcome = await self._settle(self._parse(message))
        finally:
            self.progress.done()
        self._count(outcome)
        return outcome

    async def dispatch_many(
        self, messages: Sequence[RawMessage], on_finished: Callable[[RawMessage], None] = lambda _: None
    ) -> None:
        """Handle messages of one partition in order. Consecutive events that one batch handler takes (of its
        type, or of any type it is registered for) go to it together; every other message is settled only
        after the run before it. `on_finished` hears of each message once it and every message before it are
        done, so the caller can commit up to there when it is stopped half-way."""
        run: list[_Ready] = []
        for message in messages:
            parsed = self._parse(message)
            batch_handler = self._batch_handler(parsed)
            if batch_handler is not None and isinstance(parsed, _Ready):
                if run and self._batch_handler(run[0]) is not batch_handler:
                    await self._finish_run(run, on_finished)
                    run = []
                run.append(parsed)
                continue
            await self._finish_run(run, on_finished)
            run = []
            self.progress.started()
            try:
                outcome = await self._settle(parsed)
            finally:
                self.progress.done()
            self._count(outcome)
            on_finished(message)
        await self._finish_run(run, on_finished)

    def _batch_handler(self, parsed: str | _Refused | _Ready) -> BatchHandler | None:
        if not isinstance(parsed, _Ready):
            return None
        return self.subscription.batch_handlers.get(parsed.envelope.type)

    async def _finish_run(self, run: list[_Ready], on_finished: Callable[[RawMessage], None]) -> None:
        if not run:
            return
        self.progress.started()
        try:
            outcomes = await self._run_batch(run)
        finally:
            self.progress.done(len(run))
        for outcome in outcomes:
            self._count(outcome)
        on_finished(run[-1].message)

    def _count(self, outcome: str) -> None:
        counter = self._counters.get(outcome)
        if counter is None:  # looking a labelled child up costs as much as the rest of a skipped message
            counter = metrics.CONSUMED.labels(self.subscription.topic, self.subscription.group, outcome)
            self._counters[outcome] = counter
        counter.inc()

    def _parse(self, message: RawMessage) -> str | _Refused | _Ready:
        """What the message is, with no effect yet: an event to handle, one to dead-letter, or the outcome of
        one the group skips."""
        envelope = _read(message, Envelope, lambda: Envelope.from_json_bytes(message.value), ValueError)
        if isinstance(envelope, Exception):
            return _Refused(message, "invalid-envelope", _short(envelope))
        event_class = self._registry.get(envelope.type)
        if event_class is None:
            return "skipped_unknown_type"  # a type no contract names: a producer ahead of us, or a stray
        if (
            envelope.type not in self.subscription.handlers
            and envelope.type not in self.subscription.batch_handlers
        ):
            return "skipped_not_handled"  # a known event this group does not react to: the normal case
        payload = _read(
            message, event_class, lambda: event_class.model_validate(envelope.data), ValidationError
        )
        if isinstance(payload, Exception):
            return _Refused(message, "invalid-payload", _short(payload))
        return _Ready(message, envelope, payload)

    async def _settle(self, parsed: str | _Refused | _Ready) -> str:
        """Carry out what `_parse` found for one message; returns its outcome."""
        if isinstance(parsed, str):
            return parsed
        if isinstance(parsed, _Refused):
            await self._to_dlq(parsed.message, parsed.reason, parsed.detail)
            return "dead_lettered"
        return await self._run_alone(parsed)

    async def _run_batch(self, run: list[_Ready]) -> list[str]:
        if len(run) == 1:
            return [await self._run_alone(run[0])]
        handler = self.subscription.batch_handlers[run[0].envelope.type]
        try:
            await handler([(item.envelope, item.payload) for item in run])
            return ["handled"] * len(run)
        except asyncio.CancelledError:
            if _being_cancelled():
                raise
            error = "stray CancelledError"
        except Exception as exc:
            error = _short(exc)
        self._handler_failures.inc()  # the batch attempt; each event's own attempts count as they run
        # One of them may be poison: each again on its own, so only that one is retried and dead-lettered.
        log.warning(
            "batch handler failed: one at a time", event_type=run[0].envelope.type, size=len(run), error=error
        )
        return [await self._run_alone(item) for item in run]

    async def _run_alone(self, ready: _Ready) -> str:
        handler: EventHandler | None = self.subscription.handlers.get(ready.envelope.type)
        if handler is None:
            handler = _single(self.subscription.batch_handlers[ready.envelope.type])
        with bind_correlation(ready.envelope.correlationid, ready.envelope.id):
            return await self._run_with_retries(ready, handler)

    async def _run_with_retries(self, ready: _Ready, handler: EventHandler) -> str:
        envelope = ready.envelope
        last_error: BaseException | None = None
        for attempt in range(1, self._retry.attempts + 1):
            try:
                await handler(envelope, ready.payload)
                return "handled"
            except asyncio.CancelledError as exc:
                if _being_cancelled():
                    raise  # the consumer is stopping: the message stays unacknowledged and comes again
                # A CancelledError nobody asked for (a handler's own task juggling) must not end the consumer
                # or count as done: treat it as the handler failing instead.
                last_error = exc
                self._handler_failures.inc()
                log.warning(
                    "handler raised a stray CancelledError", event_type=envelope.type, attempt=attempt
                )
                if attempt < self._retry.attempts:
                    await asyncio.sleep(self._retry.delay(attempt))
            except Exception as exc:  # a handler bug must not kill the consumer: retry, then dead-letter
                last_error = exc
                self._handler_failures.inc()
                log.warning(
                    "handler failed",
                    event_type=envelope.type,
                    event_id=envelope.id,
                    attempt=attempt,
                    error=_short(exc),
                )
                if attempt < self._retry.attempts:
                    await asyncio.sleep(self._retry.delay(attempt))
        await self._to_dlq(ready.message, "handler-failed", _short(last_error))
        return "dead_lettered"

    async def _to_dlq(self, message: RawMessage, reason: str, detail: str) -> None:
        topic = self.subscription.topic
        where = _Coordinates(message.partition, message.offset)
        headers = {
            "guanwu-dlq-reason": reason,
            "guanwu-dlq-detail": detail,
            "guanwu-dlq-source-topic": topic,
            "guanwu-dlq-group": self.subscription.group,
            **where.headers(),
        }
        log.error(
            "message dead-lettered",
            topic=topic,
            group=self.subscription.group,
            reason=reason,
            detail=detail,
            bytes=len(message.value),
            partition=where.partition,
            offset=where.offset,
        )
        await self._dead_letters.dead_letter(dead_letter_topic(topic), message.key, message.value, headers)


def _read(
    message: RawMessage, what: object, read: Callable[[], T], refused: type[ValueError]
) -> T | ValueError:
    """`read()` once per message and `what` (the envelope, one event class): its value or the `refused`
    error it raised, kept in the message for the next group that reads it."""
    if what not in message.parsed:
        try:
            message.parsed[what] = read()
        except refused as exc:
            message.parsed[what] = exc
    found: T | ValueError = message.parsed[what]
    return found


def _single(batch_handler: BatchHandler) -> EventHandler:
    async def handle(envelope: Envelope, payload: Event) -> object:
        return await batch_handler([(envelope, payload)])

    return handle


@dataclass(frozen=True)
class _Coordinates:
    partition: int | None
    offset: int | None

    def headers(self) -> dict[str, str]:
        found = {"guanwu-dlq-source-partition": self.partition, "guanwu-dlq-source-offset": self.offset}
        return {k: str(v) for k, v in found.items() if v is not None}


def _being_cancelled() -> bool:
    task = asyncio.current_task()
    return task is not None and task.cancelling() > 0


def _short(exc: BaseException | None) -> str:
    text = f"{type(exc).__name__}: {exc}" if exc is not None else "unknown"
    return text[:1000]


def dlq_record(key: bytes | None, value: bytes, headers: dict[str, str]) -> dict[str, str | None]:
    """A JSON-friendly view of a dead-lettered message (for the in-process bus and for tests)."""
    return {
        "key": key.decode("utf-8", "replace") if key else None,
        "value": value.decode("utf-8", "replace"),
        **headers,
    }


def encode(obj: object) -> bytes:
    return json.dumps(obj, ensure_ascii=False).encode("utf-8")
