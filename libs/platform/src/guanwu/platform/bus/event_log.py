"""The embedded bus's topics: an append-only log of every message published, so a read model can be rebuilt
from the beginning (`guanwu replay`), as from a Kafka topic.

One collection per topic (`platform_event_log.<topic>`), one document per message with a sequence number
that starts at 1 and has no gaps; `_id` is that number zero-padded, so reading in order is a primary-key range.
The in-process bus appends in `publish`, before it delivers: a message some group handled is always in the log
(one published again after a failed delivery is there twice, as on a broker; handlers are idempotent).

Choices: numbers are handed out by the one process that publishes (the embedded default has one), under a
lock per topic, starting after the highest stored number; a second writer would collide on `_id` and be
refused, not interleave silently. The log is never trimmed: it is what a replay reads (docs/operations.md).
"""

from __future__ import annotations

import asyncio
import base64
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

from guanwu.platform.store.port import Collection, Document, DocumentStore, StoreError

COLLECTION_PREFIX = "platform_event_log."
_WIDTH = 20


@dataclass(frozen=True)
class LoggedMessage:
    seq: int
    key: bytes | None
    value: bytes


def log_collection_name(topic: str) -> str:
    return COLLECTION_PREFIX + topic


def _doc_id(seq: int) -> str:
    return f"{seq:0{_WIDTH}d}"


class EventLog:
    def __init__(self, store: DocumentStore) -> None:
        self._store = store
        self._next: dict[str, int] = {}
        self._locks: dict[str, asyncio.Lock] = defaultdict(asyncio.Lock)

    def _collection(self, topic: str) -> Collection:
        return self._store.collection(log_collection_name(topic))

    async def append(self, topic: str, messages: Sequence[tuple[bytes | None, bytes]]) -> None:
        """Append messages (key, value) in order; returns once they are stored."""
        if not messages:
            return
        async with self._locks[topic]:
            first = self._next.get(topic)
            if first is None:
                first = await self.last_seq(topic) + 1
            docs = [_as_document(first + i, key, value) for i, (key, value) in enumerate(messages)]
            try:
                inserted = await self._collection(topic).insert_many(docs)
            except BaseException:
                self._next.pop(topic, None)  # unknown how far it got: ask the store next time
                raise
            if not all(inserted):
                self._next.pop(topic, None)
                raise StoreError(f"event log {topic}: sequence {first} taken: another process appends to it")
            self._next[topic] = first + len(docs)

    async def last_seq(self, topic: str) -> int:
        """The highest sequence number stored (0 when the log is empty)."""
        found = await self._collection(topic).find({}, sort=[("_id", -1)], limit=1)
        return int(found[0]["seq"]) if found else 0

    async def read(self, topic: str, after: int, until: int, limit: int = 500) -> list[LoggedMessage]:
        """Up to `limit` messages with `after < seq <= until`, in order."""
        if until <= after:
            return []
        found = await self._collection(topic).find(
            {"_id": {"$gt": _doc_id(after), "$lte": _doc_id(until)}}, sort=[("_id", 1)], limit=limit
        )
        return [_as_message(doc) for doc in found]


def _as_document(seq: int, key: bytes | None, value: bytes) -> Document:
    doc: Document = {"_id": _doc_id(seq), "seq": seq, "key": None if key is None else _text(key)}
    try:
        doc["value"] = value.decode("utf-8")
    except UnicodeDecodeError:  # not an envelope (a test's poison message): kept as it came
        doc["value_base64"] = base64.b64encode(value).decode("ascii")
    return doc


def _text(key: bytes) -> str:
    return key.decode("utf-8", "replace")


def _as_message(doc: Document) -> LoggedMessage:
    key = doc.get("key")
    value = doc["value"].encode("utf-8") if "value" in doc else base64.b64decode(doc["value_base64"])
    return LoggedMessage(int(doc["seq"]), None if key is None else str(key).encode("utf-8"), value)
