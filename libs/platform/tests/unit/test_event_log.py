"""The embedded bus's event log: numbered without gaps in publish order, kept across restarts, read by range,
and written before any group sees the message."""

from __future__ import annotations

from pathlib import Path

import pytest
from contract.bus_contract import TEST_REGISTRY, Pinged, ping

from guanwu.contracts.envelope import Envelope
from guanwu.contracts.events.base import Event
from guanwu.platform.bus.event_log import EventLog
from guanwu.platform.bus.inprocess import InProcessEventBus
from guanwu.platform.bus.port import Subscription
from guanwu.platform.store.memory import MemoryDocumentStore
from guanwu.platform.store.port import StoreError
from guanwu.platform.store.sqlite import SqliteDocumentStore


async def test_messages_are_numbered_in_order_and_read_by_range() -> None:
    log = EventLog(MemoryDocumentStore())
    await log.append("t", [(b"k1", b'{"n": 1}'), (None, b'{"n": 2}'), (b"k1", b'{"n": 3}')])
    await log.append("t", [(b"k2", '{"名": 4}'.encode())])
    await log.append("other", [(b"k", b"x")])

    assert await log.last_seq("t") == 4
    assert await log.last_seq("nothing") == 0
    everything = await log.read("t", 0, 4)
    assert [(m.seq, m.key, m.value) for m in everything] == [
        (1, b"k1", b'{"n": 1}'),
        (2, None, b'{"n": 2}'),
        (3, b"k1", b'{"n": 3}'),
        (4, b"k2", '{"名": 4}'.encode()),
    ]
    assert [m.seq for m in await log.read("t", 1, 3)] == [2, 3]
    assert [m.seq for m in await log.read("t", 0, 4, limit=2)] == [1, 2]
    assert await log.read("t", 4, 4) == []
    assert [m.seq for m in await log.read("other", 0, 10)] == [1]


async def test_bytes_that_are_not_text_come_back_as_they_went_in() -> None:
    log = EventLog(MemoryDocumentStore())
    await log.append("t", [(b"k", b"\xff\xfe not utf-8")])
    assert (await log.read("t", 0, 1))[0].value == b"\xff\xfe not utf-8"


async def test_numbering_goes_on_after_a_restart(tmp_path: Path) -> None:
    store = SqliteDocumentStore(tmp_path)
    await EventLog(store).append("t", [(b"a", b"1"), (b"b", b"2")])
    await store.close()
    store = SqliteDocumentStore(tmp_path)
    try:
        log = EventLog(store)
        await log.append("t", [(b"c", b"3")])
        assert [(m.seq, m.value) for m in await log.read("t", 0, 10)] == [(1, b"1"), (2, b"2"), (3, b"3")]
    finally:
        await store.close()


async def test_a_second_writer_is_refused_not_interleaved() -> None:
    store = MemoryDocumentStore()
    first, second = EventLog(store), EventLog(store)
    await first.append("t", [(b"a", b"1")])
    await second.append("t", [(b"b", b"2")])  # it starts after what is stored
    with pytest.raises(StoreError):
        await first.append("t", [(b"c", b"3")])  # its number 2 is taken
    await first.append("t", [(b"c", b"3")])  # asked the store again: 3
    assert [m.value for m in await first.read("t", 0, 10)] == [b"1", b"2", b"3"]


async def test_the_bus_logs_each_message_before_any_group_handles_it() -> None:
    store = MemoryDocumentStore()
    log = EventLog(store)
    bus = InProcessEventBus(registry=TEST_REGISTRY, event_log=log, published_memory=0)
    logged_when_handled: list[int] = []

    async def handle(envelope: Envelope, event: Event) -> None:
        logged_when_handled.append(await log.last_seq("t"))

    bus.subscribe(Subscription("g", "t", handlers={Pinged.event_type: handle}))
    await bus.publish("t", ping(1))
    await bus.publish_many([("t", ping(2)), ("t", ping(3))])
    await bus.publish_raw("t", b"k", b"not json")  # dead-lettered, and in the log as it came

    assert logged_when_handled == [1, 3, 3]
    logged = await log.read("t", 0, 10)
    assert [Envelope.from_json_bytes(m.value).data["sequence"] for m in logged[:3]] == [1, 2, 3]
    assert logged[3].value == b"not json"
    assert len(bus.dead_letters) == 1
