"""Shared helpers of the throughput benches: quiet logging, realistic events, timing, the result lines.

Every bench prints its figures next to a baseline measured in the same run and ends with lines of the form

    RESULT <bench>.<measure>: ratio=<x.xx> target>=<y.y> adapter=<n>/s baseline=<m>/s

which `scripts/bench.sh` collects into its summary. The ratios are printed, never asserted: the machine is
shared and absolute numbers are noisy.
"""

from __future__ import annotations

import logging
import platform
import time
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, Protocol

import structlog

from guanwu.contracts.envelope import Envelope
from guanwu.contracts.events.base import Event
from guanwu.contracts.events.declaration import DeclarationDrafted
from guanwu.platform.events import envelope_for
from guanwu.platform.idempotency import deterministic_id


def quiet_logging() -> None:
    """Only warnings and errors from the platform, faust, mode and aiokafka (the benches print their own)."""
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s %(message)s")
    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.WARNING))
    for name in ("faust", "mode", "aiokafka", "kafka", "pymongo"):
        logging.getLogger(name).setLevel(logging.ERROR)


def run_id() -> str:
    return f"{time.strftime('%Y%m%d%H%M%S')}-{uuid.uuid4().hex[:6]}"


def drafted_envelope(run: str, i: int, *, tenant: str = "91310000MA1FL0BENCH") -> tuple[str, Envelope]:
    """(topic, envelope) of a DeclarationDrafted as the declaration service emits it; one aggregate per i."""
    event = DeclarationDrafted(
        declaration_id=f"dec-{run}-{i:07d}",
        version=1,
        ie_flag="I" if i % 2 else "E",
        status="草稿",
        client_seq_no=f"{i:018d}",
        custom_master="2244",
        trade_name="上海关务示范贸易有限公司",
        bill_no=f"MSKU{i:010d}",
        prepared_by="user-bench",
    )
    return envelope_for(event, source="/guanwu/declaration", tenant=tenant)


def rate(count: int, seconds: float) -> float:
    return count / seconds if seconds > 0 else float("inf")


def ratio(adapter: float, baseline: float) -> float:
    return adapter / baseline if baseline > 0 else float("nan")


@dataclass
class Stopwatch:
    marks: dict[str, float] = field(default_factory=dict)
    start: float = 0.0

    def begin(self) -> None:
        self.start = time.perf_counter()

    def mark(self, name: str) -> float:
        self.marks[name] = time.perf_counter() - self.start
        return self.marks[name]


@contextmanager
def section(title: str) -> Iterator[None]:
    print(f"\n== {title}", flush=True)
    yield


def machine() -> str:
    import os

    return f"{platform.machine()} {os.cpu_count()} cores, Python {platform.python_version()}"


def result_line(name: str, value: float, target: float, adapter_rate: float, baseline_rate: float) -> str:
    verdict = "ok" if value >= target else "BELOW TARGET"
    return (
        f"RESULT {name}: ratio={value:.2f} target>={target:.1f} ({verdict}) "
        f"adapter={adapter_rate:,.0f}/s baseline={baseline_rate:,.0f}/s"
    )


# ------------------------------------------------------------------ the pipeline benches (Kafka and embedded)

PROJECTION_GROUP = "query-projection"


def declaration_doc(envelope: Envelope) -> dict[str, Any]:
    """The command's document: a declaration as the pipeline benches write it, with its outbox added after."""
    data = envelope.data
    return {
        "_id": data["declaration_id"],
        "tenant": envelope.tenant,
        "status": data["status"],
        "ie_flag": data["ie_flag"],
        "client_seq_no": data["client_seq_no"],
        "custom_master": data["custom_master"],
        "trade_name": data["trade_name"],
        "bill_no": data["bill_no"],
        "prepared_by": data["prepared_by"],
        "head": {"IEFlag": data["ie_flag"], "CustomMaster": data["custom_master"], "BillNo": data["bill_no"]},
        "goods": [
            {"GNo": 1, "CodeTS": "8471300000", "GName": "笔记本电脑", "GQty": "10", "DeclPrice": "3999.00"}
        ],
    }


def projection_docs(items: Sequence[tuple[Envelope, Event]]) -> list[dict[str, Any]]:
    """What the idempotent consumer stores for a batch of DeclarationDrafted: ids derived from the events."""
    docs = []
    for envelope, payload in items:
        assert isinstance(payload, DeclarationDrafted)
        docs.append(
            {
                "_id": deterministic_id(PROJECTION_GROUP, envelope.id),
                "declaration_id": payload.declaration_id,
                "tenant": envelope.tenant,
                "status": payload.status,
                "trade_name": payload.trade_name,
                "aggregate_version": payload.version,
            }
        )
    return docs


class _Bus(Protocol):
    async def publish(self, topic: str, envelope: Envelope) -> None: ...

    async def publish_many(self, items: Sequence[tuple[str, Envelope]]) -> None: ...


class PublishProbe:
    """Wraps a bus as the relay's publisher to time the relay stage (no behaviour change)."""

    def __init__(self, bus: _Bus) -> None:
        self._bus = bus
        self.published = 0
        self.expected = 0
        self.done_at = 0.0
        self.calls = 0

    async def publish(self, topic: str, envelope: Envelope) -> None:
        await self._bus.publish(topic, envelope)
        self._count(1)

    async def publish_many(self, items: Sequence[tuple[str, Envelope]]) -> None:
        await self._bus.publish_many(items)
        self._count(len(items))

    def _count(self, n: int) -> None:
        self.calls += 1
        self.published += n
        if self.published >= self.expected and not self.done_at:
            self.done_at = time.perf_counter()
