"""examples/event_consumer/consume.py, the outside subscriber of docs/events.md, against the real broker.

guanwu envelopes are published through the platform's KafkaEventBus (a redelivered copy of one, an unknown
type, a new major version of a known type, one with fields no contract names, another tenant's, a non-JSON
message); the example runs as its own process. It must print each event once, skip what it cannot handle,
commit its offsets (a restart in the same group reads nothing again) and recognise every event in its
deduplication store (a new group re-reads everything and prints nothing).

The topics are this test's own (`example-<hex>.<guanwu topic>`): guanwu's real topics on the shared broker
hold every other test's events, and what a subscriber does depends on the envelope's `type`, not on the
topic's name.
"""

from __future__ import annotations

import ast
import asyncio
import contextlib
import json
import signal
import subprocess
import sys
import uuid
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from aiokafka import AIOKafkaConsumer
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.structs import TopicPartition
from watching import activity, wait_while_moving

from guanwu.contracts.envelope import Envelope
from guanwu.contracts.events import (
    DeclarationDrafted,
    DeclarationStatusChanged,
    DeclarationSubmittedForReview,
    DeclarationUpdated,
    ReceiptReceived,
)
from guanwu.contracts.events.base import Event
from guanwu.contracts.topics import dead_letter_topic
from guanwu.platform.bus.kafka import KafkaEventBus
from guanwu.platform.events import envelope_for

pytestmark = pytest.mark.e2e

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "event_consumer" / "consume.py"
SOURCE = "/guanwu/declaration"


def test_the_example_imports_no_guanwu_code() -> None:
    tree = ast.parse(EXAMPLE.read_text(encoding="utf-8"))
    imported = {alias.name for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names}
    imported |= {node.module or "" for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)}
    assert "aiokafka" in imported
    assert not {name for name in imported if name.split(".")[0] == "guanwu"}, imported


# -- what is published -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Topics:
    declarations: str
    receipts: str

    @classmethod
    def fresh(cls) -> Topics:
        prefix = f"example-{uuid.uuid4().hex[:10]}"
        return cls(f"{prefix}.declaration.events.v1", f"{prefix}.sync.events.v1")

    def all(self) -> list[str]:
        return [self.declarations, self.receipts]


# (topic, key, value): real envelopes go out as the relay sends them, the odd ones as raw bytes.
Message = tuple[str, bytes | None, bytes]


def _send(topic: str, envelope: Envelope) -> Message:
    return topic, envelope.subject.encode("utf-8"), envelope.to_json_bytes()


def _envelope(event: Event, tenant: str) -> Envelope:
    return envelope_for(event, source=SOURCE, tenant=tenant)[1]


def _with_extra_fields(envelope: Envelope) -> bytes:
    """A producer newer than the consumer: fields no contract of today names, at both levels."""
    doc = envelope.model_dump(mode="json")
    doc["traceparent"] = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
    doc["data"] = {**doc["data"], "customs_broker_code": "3302980000", "nested": {"new": [1, 2]}}
    return json.dumps(doc, ensure_ascii=False).encode("utf-8")


def _retyped(envelope: Envelope, event_type: str) -> Envelope:
    return envelope.model_copy(update={"type": event_type, "id": str(uuid.uuid4())})


@dataclass
class Published:
    messages: list[Message]
    handled: list[str]  # ids the example must print, once each
    duplicated: str  # id published twice
    unknown: list[str]  # ids of types the example has no handler for


def _first_batch(topics: Topics, tenant: str) -> Published:
    d1, d2 = f"d-{tenant}-1", f"d-{tenant}-2"
    drafted = _envelope(DeclarationDrafted(declaration_id=d1, version=1, ie_flag="E", status="草稿"), tenant)
    moved = _envelope(
        DeclarationStatusChanged(declaration_id=d1, version=2, ie_flag="E", status="待审核"), tenant
    )
    second = _envelope(DeclarationDrafted(declaration_id=d2, version=1, ie_flag="I", status="草稿"), tenant)
    extended = _envelope(DeclarationUpdated(declaration_id=d1, version=3, ie_flag="E", status="暂存"), tenant)
    receipt = _envelope(
        ReceiptReceived(
            receipt_id=f"R-{tenant}",
            channel="L",
            entry_id="610120260000012345",
            notice_date=datetime.now(UTC),
        ),
        tenant,
    )
    next_major = _retyped(second, "guanwu.declaration.DeclarationDrafted.v2")
    unheard_of = _retyped(second, "guanwu.declaration.DeclarationArchived.v1")
    foreign = _envelope(
        DeclarationDrafted(declaration_id=f"d-{tenant}-x", version=1, ie_flag="E", status="草稿"),
        f"{tenant}-other",
    )
    messages = [
        _send(topics.declarations, drafted),
        _send(topics.declarations, moved),
        _send(topics.declarations, second),
        _send(topics.receipts, receipt),
        _send(topics.declarations, second),  # the redelivery: same id, same source
        _send(topics.declarations, next_major),
        _send(topics.declarations, unheard_of),
        (topics.declarations, extended.subject.encode(), _with_extra_fields(extended)),
        _send(topics.declarations, foreign),
        (topics.declarations, b"garbage", b"not an envelope"),
    ]
    return Published(
        messages=messages,
        handled=[drafted.id, moved.id, second.id, receipt.id, extended.id],
        duplicated=second.id,
        unknown=[next_major.id, unheard_of.id],
    )


async def _publish(bootstrap: str, topics: Topics, messages: list[Message]) -> None:
    bus = KafkaEventBus(bootstrap, client_id="example-consumer-e2e", topic_partitions=3)
    bus.declare_topics(topics.all())
    await bus.start()
    try:
        for topic, key, value in messages:
            await bus.publish_raw(topic, key, value)
    finally:
        await bus.stop()


async def _committed_and_ends(
    bootstrap: str, group: str, topics: Topics
) -> tuple[dict[Any, int], dict[Any, int]]:
    """The group's committed offsets on the test's topics, and the partitions' end offsets."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        committed = await admin.list_consumer_group_offsets(group)
    finally:
        await admin.close()
    reader = AIOKafkaConsumer(bootstrap_servers=bootstrap)
    await reader.start()
    try:
        ends = await reader.end_offsets([TopicPartition(t, p) for t in topics.all() for p in range(3)])
    finally:
        await reader.stop()
    return {tp: meta.offset for tp, meta in committed.items() if tp.topic in topics.all()}, dict(ends)


async def _delete_topics(bootstrap: str, topics: Topics) -> None:
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        await admin.delete_topics([*topics.all(), *(dead_letter_topic(t) for t in topics.all())])
    finally:
        await admin.close()


# -- the example as a process ----------------------------------------------------------------------


@dataclass
class Run:
    process: subprocess.Popen[bytes]
    out: Path
    err: Path

    @staticmethod
    def _json_lines(path: Path) -> list[dict[str, Any]]:
        text = path.read_text(encoding="utf-8") if path.exists() else ""
        complete = text[: text.rfind("\n") + 1]  # the last line may still be half-written
        found = []
        for line in complete.splitlines():
            with contextlib.suppress(json.JSONDecodeError):  # a library's own warning, not ours
                found.append(json.loads(line))
        return found

    def printed(self) -> list[dict[str, Any]]:
        return self._json_lines(self.out)

    def skipped(self, reason: str) -> list[dict[str, Any]]:
        return [d for d in self._json_lines(self.err) if d.get("msg") == "skipped" and d["reason"] == reason]

    def outcomes(self) -> Counter[str]:
        """What happened to the messages whose offsets the example committed."""
        total: Counter[str] = Counter()
        for line in self._json_lines(self.err):
            if line.get("msg") == "committed":
                total.update(line["outcomes"])
        return total

    def wait_for(self, probe: Any, what: str) -> Any:
        moving = activity(self.process, files=(self.out, self.err))
        return wait_while_moving(probe, moving, f"{what} (stderr: {self.err})")

    def wait_for_exit(self) -> int:
        self.wait_for(lambda: self.process.poll() is not None, "the example to exit")
        return int(self.process.returncode)


def _start(
    bootstrap: str, group: str, topics: Topics, store: Path, tenant: str, logs: Path, *flags: str
) -> Run:
    name = f"{group}-{uuid.uuid4().hex[:6]}"
    out, err = logs / f"{name}.out", logs / f"{name}.err"
    command = [sys.executable, str(EXAMPLE), "--bootstrap-servers", bootstrap, "--group-id", group]
    command += [arg for topic in topics.all() for arg in ("--topic", topic)]
    command += ["--dedup-db", str(store), "--tenant", tenant, *flags]
    with out.open("wb") as stdout, err.open("wb") as stderr:
        process = subprocess.Popen(command, stdout=stdout, stderr=stderr, cwd=logs)
    return Run(process, out, err)


@contextlib.contextmanager
def _stopped_at_the_end(run: Run) -> Any:
    try:
        yield run
    finally:
        if run.process.poll() is None:
            run.process.kill()
            run.process.wait()


# -- the test --------------------------------------------------------------------------------------


def _assert_first_run(run: Run, published: Published) -> None:
    printed = run.printed()
    counts = Counter(line["id"] for line in printed)
    assert counts == Counter(published.handled), counts  # each once: no duplicate, nothing unknown or foreign
    assert [d["id"] for d in run.skipped("duplicate")] == [published.duplicated]
    assert sorted(d["id"] for d in run.skipped("unknown_type")) == sorted(published.unknown)
    assert run.outcomes() == {
        "handled": 5,
        "duplicate": 1,
        "unknown_type": 2,
        "other_tenant": 1,
        "invalid": 1,
    }
    extended = next(line for line in printed if line["id"] == published.handled[-1])
    assert extended["type"] == "guanwu.declaration.DeclarationUpdated.v1"
    assert extended["effect"] == {
        "declaration_id": extended["subject"],
        "version": 3,
        "status": "暂存",
        "ie_flag": "E",
        "entry_id": None,
    }


def test_the_example_consumer_handles_each_event_once_and_resumes(
    kafka_bootstrap: str, tmp_path: Path
) -> None:
    tenant, topics = f"t-{uuid.uuid4().hex[:8]}", Topics.fresh()
    store, group = tmp_path / "processed.sqlite3", f"example-e2e-{uuid.uuid4().hex[:8]}.mirror"
    published = _first_batch(topics, tenant)
    try:
        asyncio.run(_publish(kafka_bootstrap, topics, published.messages))

        # 1. Running as a subscriber does: until SIGTERM, which lets it finish and commit its batch.
        with _stopped_at_the_end(_start(kafka_bootstrap, group, topics, store, tenant, tmp_path)) as first:
            sent = len(published.messages)
            first.wait_for(lambda: first.outcomes().total() >= sent, f"all {sent} messages committed")
            first.process.send_signal(signal.SIGTERM)
            assert first.wait_for_exit() == 0
        _assert_first_run(first, published)
        committed, ends = asyncio.run(_committed_and_ends(kafka_bootstrap, group, topics))
        assert committed == {tp: end for tp, end in ends.items() if end > 0}, (committed, ends)

        # 2. The same group again, after one new event: only that one is read (and printed).
        later = _envelope(
            DeclarationSubmittedForReview(
                declaration_id=f"d-{tenant}-2", version=2, ie_flag="I", status="待审核"
            ),
            tenant,
        )
        asyncio.run(_publish(kafka_bootstrap, topics, [_send(topics.declarations, later)]))
        with _stopped_at_the_end(
            _start(kafka_bootstrap, group, topics, store, tenant, tmp_path, "--stop-at-end")
        ) as second:
            assert second.wait_for_exit() == 0
        assert [line["id"] for line in second.printed()] == [later.id]
        assert second.outcomes() == {"handled": 1}, "the same group read old messages again: offsets lost"

        # 3. A new group with the same store re-reads everything and recognises every event.
        new_group = f"example-e2e-{uuid.uuid4().hex[:8]}.replay"
        with _stopped_at_the_end(
            _start(kafka_bootstrap, new_group, topics, store, tenant, tmp_path, "--stop-at-end")
        ) as third:
            assert third.wait_for_exit() == 0
        assert third.printed() == []
        assert Counter(d["id"] for d in third.skipped("duplicate")) == Counter(
            [*published.handled, published.duplicated, later.id]
        )
        assert sorted(d["id"] for d in third.skipped("unknown_type")) == sorted(published.unknown)
        assert third.outcomes() == {"duplicate": 7, "unknown_type": 2, "other_tenant": 1, "invalid": 1}
    finally:
        asyncio.run(_delete_topics(kafka_bootstrap, topics))
