"""An outside subscriber to guanwu's events: plain aiokafka and the standard library, no guanwu code.

    python consume.py --bootstrap-servers 127.0.0.1:9092 --group-id acme.customs-mirror \\
        --topic declaration.events.v1 --topic sync.events.v1 --dedup-db processed.sqlite3

What it shows (docs/events.md explains each point):

- Kafka delivers at least once. Every handled event is recorded by its (`source`, `id`) in a SQLite file in the
  same transaction as its effect, so a redelivered or republished event is recognised and skipped: together
  that is effectively once.
- Offsets are committed by hand, only after the events before them are handled (never auto-commit).
- It reads the envelope fields it needs, checks them, and ignores every field it does not know: guanwu may add
  optional fields to any event without notice.
- It dispatches on the full versioned `type` (`guanwu.<owner>.<Event>.v<major>`); a type it has no handler
  for (a new event, or a new major version of a known one) is logged and skipped, never guessed at.

Each handled event is printed to stdout as one JSON line; diagnostics (skips, duplicates, progress) go to
stderr as JSON lines. SIGTERM or Ctrl-C stops it after the batch in hand is handled and committed.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import sqlite3
import sys
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, TextIO

from aiokafka import AIOKafkaConsumer, ConsumerRecord, TopicPartition
from aiokafka.errors import CommitFailedError, KafkaConnectionError

EVENT_TOPICS = (
    "declaration.events.v1",
    "review.events.v1",
    "sync.events.v1",
    "anomaly.events.v1",
    "card-signer.events.v1",
)
# guanwu's own consumer groups are `<deployment>.<group>`, `guanwu.` unless a deployment is renamed. Joining
# one of them would take messages away from guanwu's services, so this consumer refuses the prefix.
GUANWU_GROUP_PREFIX = "guanwu."


class Invalid(ValueError):
    """A message this consumer cannot read: not an envelope, or a payload without a field it needs."""


# -- reading only what we need -------------------------------------------------------------------------


def need(obj: Mapping[str, Any], name: str, kind: type) -> Any:
    """`obj[name]`, which must be present and of `kind` (a non-empty string for `str`)."""
    value = obj.get(name)
    if kind is int and isinstance(value, bool):  # JSON true is not a version number
        value = None
    if not isinstance(value, kind) or (kind is str and not value):
        raise Invalid(f"{name}: expected {kind.__name__}, got {value!r}")
    return value


def maybe(obj: Mapping[str, Any], name: str, kind: type) -> Any:
    """`obj[name]` when present and not null (then it must be of `kind`), else None."""
    return None if obj.get(name) is None else need(obj, name, kind)


@dataclass(frozen=True)
class Envelope:
    """The CloudEvents fields this consumer uses; `data` is the event payload."""

    id: str
    source: str
    type: str
    subject: str
    tenant: str
    time: str
    correlationid: str | None
    data: Mapping[str, Any]


def parse_envelope(raw: bytes | None) -> Envelope:
    try:
        doc = json.loads(raw or b"")
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise Invalid(f"not JSON: {exc}") from exc
    if not isinstance(doc, dict):
        raise Invalid("not a JSON object")
    if doc.get("specversion") != "1.0":
        raise Invalid(f"specversion: expected '1.0', got {doc.get('specversion')!r}")
    return Envelope(
        id=need(doc, "id", str),
        source=need(doc, "source", str),
        type=need(doc, "type", str),
        subject=need(doc, "subject", str),
        tenant=need(doc, "tenant", str),
        time=need(doc, "time", str),
        correlationid=maybe(doc, "correlationid", str),
        data=need(doc, "data", dict),
    )


# -- one handler per versioned type ------------------------------------------------------------------
# A handler takes the payload and returns this consumer's effect: here, the facts it keeps. Yours would
# update your own tables (in the same transaction as the processed-event row, see ProcessedEvents).

Handler = Callable[[Mapping[str, Any]], dict[str, Any]]


def declaration_changed(data: Mapping[str, Any]) -> dict[str, Any]:
    """Every declaration event carries the summary; keep the highest `version` per declaration."""
    return {
        "declaration_id": need(data, "declaration_id", str),
        "version": need(data, "version", int),
        "status": need(data, "status", str),
        "ie_flag": maybe(data, "ie_flag", str),
        "entry_id": maybe(data, "entry_id", str),
    }


def review_decided(data: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "declaration_id": need(data, "declaration_id", str),
        "declaration_version": need(data, "declaration_version", int),
        "reviewer": need(data, "reviewer", str),
        "comment": maybe(data, "comment", str),
    }


def receipt_received(data: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "receipt_id": need(data, "receipt_id", str),
        "channel": need(data, "channel", str),
        "entry_id": maybe(data, "entry_id", str),
        "seq_no": maybe(data, "seq_no", str),
        "declaration_id": maybe(data, "declaration_id", str),
        "notice_date": need(data, "notice_date", str),
    }


def declaration_submitted(data: Mapping[str, Any]) -> dict[str, Any]:
    return {"declaration_id": need(data, "declaration_id", str), "seq_no": need(data, "seq_no", str)}


def declaration_submit_failed(data: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "declaration_id": need(data, "declaration_id", str),
        "code": need(data, "code", str),
        "message": maybe(data, "message", str),
    }


def anomaly_registered(data: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "anomaly_id": need(data, "anomaly_id", str),
        "document_no": need(data, "document_no", str),
        "anomaly_type": need(data, "anomaly_type", str),
        "handling_status": need(data, "handling_status", str),
    }


def signature_outcome(data: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "declaration_id": need(data, "declaration_id", str),
        "request_id": need(data, "request_id", str),
        "reason": maybe(data, "reason", str),  # SignFailed only
    }


HANDLERS: dict[str, Handler] = {
    "guanwu.declaration.DeclarationDrafted.v1": declaration_changed,
    "guanwu.declaration.DeclarationUpdated.v1": declaration_changed,
    "guanwu.declaration.DeclarationDeleted.v1": declaration_changed,
    "guanwu.declaration.DeclarationSubmittedForReview.v1": declaration_changed,
    "guanwu.declaration.DeclarationDeclareRequested.v1": declaration_changed,
    "guanwu.declaration.DeclarationStatusChanged.v1": declaration_changed,
    "guanwu.review.ReviewApproved.v1": review_decided,
    "guanwu.review.ReviewRejected.v1": review_decided,
    "guanwu.sync.ReceiptReceived.v1": receipt_received,
    "guanwu.sync.DeleteReceiptReceived.v1": receipt_received,
    "guanwu.sync.DeclarationSubmitted.v1": declaration_submitted,
    "guanwu.sync.DeclarationSubmitFailed.v1": declaration_submit_failed,
    "guanwu.anomaly.AnomalyRegistered.v1": anomaly_registered,
    "guanwu.card-signer.DeclarationSigned.v1": signature_outcome,
    "guanwu.card-signer.SignFailed.v1": signature_outcome,
}


# -- the deduplication store -------------------------------------------------------------------------


class ProcessedEvents:
    """Every handled event's (`source`, `id`) with its effect, in one SQLite file.

    The insert that marks an event processed and the effect are one transaction: either both exist or
    neither, so a crash at any point re-handles an event at most until its row is committed. Keep rows at
    least as long as the topics keep messages (Kafka's retention, 7 days by default), plus a margin.
    """

    def __init__(self, path: str) -> None:
        self._db = sqlite3.connect(path)
        self._db.execute("PRAGMA journal_mode=WAL")
        with self._db:
            self._db.execute(
                "CREATE TABLE IF NOT EXISTS processed_events ("
                " source TEXT NOT NULL, id TEXT NOT NULL, type TEXT NOT NULL, tenant TEXT NOT NULL,"
                " subject TEXT NOT NULL, handled_at TEXT NOT NULL, effect TEXT NOT NULL,"
                " PRIMARY KEY (source, id))"
            )

    def record(self, event: Envelope, effect: dict[str, Any]) -> bool:
        """Store the effect under the event's id; False (and nothing stored) when it was handled before."""
        with self._db:
            cursor = self._db.execute(
                "INSERT OR IGNORE INTO processed_events VALUES (?, ?, ?, ?, ?, ?, ?)",
                (
                    event.source,
                    event.id,
                    event.type,
                    event.tenant,
                    event.subject,
                    datetime.now(UTC).isoformat(),
                    json.dumps(effect, ensure_ascii=False),
                ),
            )
            return cursor.rowcount == 1

    def close(self) -> None:
        self._db.close()


# -- consuming -------------------------------------------------------------------------------------


@dataclass
class Subscriber:
    """What to do with each message: read it, pick its handler, record the effect once, report."""

    tenants: frozenset[str]
    store: ProcessedEvents
    out: TextIO = sys.stdout
    err: TextIO = sys.stderr

    def log(self, message: str, **fields: Any) -> None:
        print(json.dumps({"msg": message, **fields}, ensure_ascii=False), file=self.err, flush=True)

    def handle(self, record: ConsumerRecord[bytes, bytes]) -> str:
        """Handle one message; returns what happened to it."""
        where = {"topic": record.topic, "partition": record.partition, "offset": record.offset}
        try:
            event = parse_envelope(record.value)
            if self.tenants and event.tenant not in self.tenants:
                return "other_tenant"
            handler = HANDLERS.get(event.type)
            if handler is None:
                self.log("skipped", reason="unknown_type", id=event.id, type=event.type, **where)
                return "unknown_type"
            effect = handler(event.data)
        except Invalid as exc:
            # Retrying cannot fix it. A production consumer would park the raw message for a person.
            self.log("skipped", reason="invalid", error=str(exc), **where)
            return "invalid"
        if not self.store.record(event, effect):
            self.log(
                "skipped", reason="duplicate", id=event.id, source=event.source, type=event.type, **where
            )
            return "duplicate"
        line = {
            "id": event.id,
            "source": event.source,
            "type": event.type,
            "subject": event.subject,
            "tenant": event.tenant,
            "time": event.time,
            **where,
            "effect": effect,
        }
        print(json.dumps(line, ensure_ascii=False), file=self.out, flush=True)
        return "handled"


async def caught_up(consumer: AIOKafkaConsumer) -> bool:
    """Every assigned partition has been read to its current end."""
    assigned = consumer.assignment()
    if not assigned:
        return False  # not yet joined, or no partitions for us
    ends = await consumer.end_offsets(list(assigned))
    for tp in assigned:
        if await consumer.position(tp) < ends[tp]:
            return False
    return True


async def handle_batch(
    consumer: AIOKafkaConsumer,
    batches: Mapping[TopicPartition, Sequence[ConsumerRecord[bytes, bytes]]],
    subscriber: Subscriber,
) -> None:
    """Handle what one poll brought (in partition order), then commit the offsets after it."""
    outcomes = Counter(subscriber.handle(record) for records in batches.values() for record in records)
    offsets = {tp: records[-1].offset + 1 for tp, records in batches.items()}
    try:
        await consumer.commit(offsets)
    except CommitFailedError as exc:
        # The group rebalanced while we handled the batch: the partition's new owner gets these messages
        # again and, sharing the deduplication store, skips the ones handled here.
        subscriber.log("commit failed after a rebalance", error=str(exc))
        return
    committed = {f"{tp.topic}/{tp.partition}": offset for tp, offset in offsets.items()}
    subscriber.log("committed", outcomes=dict(outcomes), offsets=committed)


async def run(args: argparse.Namespace, subscriber: Subscriber, stop: asyncio.Event) -> None:
    consumer = AIOKafkaConsumer(
        *args.topic,
        bootstrap_servers=args.bootstrap_servers,
        group_id=args.group_id,
        client_id=args.client_id,
        enable_auto_commit=False,  # commit after handling, below
        auto_offset_reset=args.start,
    )
    try:
        await consumer.start()
        subscriber.log("started", group_id=args.group_id, topics=args.topic)
        while not stop.is_set():
            batches = await consumer.getmany(timeout_ms=1000, max_records=500)
            if batches:
                await handle_batch(consumer, batches, subscriber)
            elif args.stop_at_end and await caught_up(consumer):
                subscriber.log("caught up", partitions=len(consumer.assignment()))
                break
    finally:
        await consumer.stop()
        subscriber.log("stopped")


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument(
        "--bootstrap-servers",
        default=os.environ.get("KAFKA_BOOTSTRAP_SERVERS", "127.0.0.1:9092"),
        help="Kafka bootstrap servers, host:port[,host:port] (default: $KAFKA_BOOTSTRAP_SERVERS or %(default)s)",
    )
    parser.add_argument(
        "--group-id", required=True, help="your consumer group, e.g. <your-system>.<purpose>; never guanwu.*"
    )
    parser.add_argument(
        "--topic", action="append", help=f"topic to read (repeatable; default: {', '.join(EVENT_TOPICS)})"
    )
    parser.add_argument(
        "--dedup-db", default="processed-events.sqlite3", help="SQLite file of processed event ids"
    )
    parser.add_argument("--tenant", action="append", help="handle only this tenant's events (repeatable)")
    parser.add_argument(
        "--start",
        choices=("earliest", "latest"),
        default="earliest",
        help="where a new group starts reading (default: %(default)s, everything the topics still keep)",
    )
    parser.add_argument("--client-id", default="guanwu-example-consumer")
    parser.add_argument(
        "--stop-at-end",
        action="store_true",
        help="exit once every assigned partition is read to its end (batch jobs, tests)",
    )
    args = parser.parse_args(argv)
    args.topic = args.topic or list(EVENT_TOPICS)
    if args.group_id.startswith(GUANWU_GROUP_PREFIX):
        parser.error(f"{args.group_id!r} looks like one of guanwu's own groups: pick a group of your own")
    return args


async def main_async(args: argparse.Namespace) -> int:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)  # finish and commit the batch in hand, then stop
    store = ProcessedEvents(args.dedup_db)
    subscriber = Subscriber(tenants=frozenset(args.tenant or ()), store=store)
    try:
        await run(args, subscriber, stop)
    except KafkaConnectionError as exc:
        subscriber.log("cannot reach Kafka", bootstrap_servers=args.bootstrap_servers, error=str(exc))
        return 1
    finally:
        store.close()
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    return asyncio.run(main_async(parse_args(argv)))


if __name__ == "__main__":
    raise SystemExit(main())
