"""The unit of work: one write per staged change with its events, the relay told about each, refusals that say
why, and a save that never writes back an event the relay has cleaned up."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from pydantic import BaseModel

from guanwu.contracts.envelope import Envelope
from guanwu.contracts.events import DeleteReceiptReceived
from guanwu.platform.events import envelope_for
from guanwu.platform.outbox import OutboxRelay
from guanwu.platform.refusal import NotFound, Noun, VersionConflict
from guanwu.platform.store.memory import MemoryDocumentStore
from guanwu.platform.store.port import OUTBOX_FIELD, Document, DocumentStore, DuplicateKeyError
from guanwu.platform.unit_of_work import Repository, UnitOfWork, with_new_unit_of_work

pytestmark = pytest.mark.unit


class Parcel(BaseModel):
    parcel_id: str
    tenant: str
    weight: int
    version: int = 1


class ParcelRepository(Repository[Parcel]):
    collection_name = "parcels"
    noun = Noun("parcel", "包裹", "parcel")
    model = Parcel
    indexes = ([("tenant", 1), ("weight", 1)],)

    def id_of(self, aggregate: Parcel) -> str:
        return aggregate.parcel_id


class ParcelUnitOfWork(UnitOfWork):
    def __init__(self, store: DocumentStore, outbox_written: Any) -> None:
        super().__init__(store, outbox_written)
        self.parcels = ParcelRepository(store, self)


class Kicks:
    def __init__(self) -> None:
        self.calls: list[tuple[str | None, str | None, Document | None]] = []

    def __call__(self, collection: str | None = None, doc_id: str | None = None, written: Any = None) -> None:
        self.calls.append((collection, doc_id, written))


class Publisher:
    def __init__(self) -> None:
        self.published: list[Envelope] = []

    async def publish(self, topic: str, envelope: Envelope) -> None:
        self.published.append(envelope)


def event(n: int) -> tuple[str, Envelope]:
    happened = DeleteReceiptReceived(
        receipt_id=f"R{n}", entry_id="610120260000000001", notice_date=datetime.now(UTC)
    )
    return envelope_for(happened, source="/test", tenant="t")


async def test_commit_writes_each_change_with_its_events_and_tells_the_relay() -> None:
    store, kicks = MemoryDocumentStore(), Kicks()
    uow = ParcelUnitOfWork(store, kicks)
    uow.parcels.add(Parcel(parcel_id="p1", tenant="t", weight=3), [event(1)])
    uow.parcels.add(Parcel(parcel_id="p2", tenant="t", weight=4))  # no events: nothing for the relay
    assert await store.collection("parcels").count({}) == 0  # staged, not written

    await uow.commit()

    stored = await store.collection("parcels").get("p1")
    assert stored is not None and [e["envelope"]["data"]["receipt_id"] for e in stored[OUTBOX_FIELD]] == [
        "R1"
    ]
    assert kicks.calls == [("parcels", "p1", stored)]
    assert (await uow.parcels.load("t", "p2")).weight == 4


async def test_leaving_without_commit_discards_what_was_staged() -> None:
    store = MemoryDocumentStore()
    async with ParcelUnitOfWork(store, Kicks()) as uow:
        uow.parcels.add(Parcel(parcel_id="p1", tenant="t", weight=3))
    await uow.commit()
    assert await store.collection("parcels").count({}) == 0


async def test_reads_are_scoped_to_the_tenant_and_refuse_what_is_missing() -> None:
    store = MemoryDocumentStore()
    uow = ParcelUnitOfWork(store, Kicks())
    uow.parcels.add(Parcel(parcel_id="p1", tenant="t", weight=3))
    await uow.commit()
    assert await uow.parcels.get("other", "p1") is None
    with pytest.raises(NotFound) as refused:
        await uow.parcels.load("other", "p1")
    assert (refused.value.code, refused.value.message_zh, refused.value.status) == (
        "parcel.not_found",
        "包裹不存在",
        404,
    )


async def test_a_save_based_on_a_stale_version_is_refused_with_the_current_one() -> None:
    store = MemoryDocumentStore()
    uow = ParcelUnitOfWork(store, Kicks())
    uow.parcels.add(Parcel(parcel_id="p1", tenant="t", weight=3))
    await uow.commit()
    first = await uow.parcels.load("t", "p1", expected_version=1)
    uow.parcels.save(first.model_copy(update={"weight": 5, "version": 2}))
    await uow.commit()

    with pytest.raises(VersionConflict) as on_load:
        await uow.parcels.load("t", "p1", expected_version=1)
    uow.parcels.save(first.model_copy(update={"weight": 9, "version": 2}))  # a second editor of version 1
    with pytest.raises(VersionConflict) as on_commit:
        await uow.commit()

    for refused in (on_load.value, on_commit.value):
        assert (refused.status, refused.current_version, refused.code) == (412, 2, "parcel.version_conflict")
        assert refused.headers() == {"ETag": '"2"'}
    assert (await uow.parcels.load("t", "p1")).weight == 5


async def test_idempotent_adds_go_in_one_batch_and_report_redeliveries() -> None:
    store = MemoryDocumentStore()
    uow = ParcelUnitOfWork(store, Kicks())
    uow.parcels.add(Parcel(parcel_id="p1", tenant="t", weight=1), once=True)
    await uow.commit()
    writes = [
        uow.parcels.add(Parcel(parcel_id=p, tenant="t", weight=2), once=True) for p in ("p1", "p2", "p2")
    ]
    await uow.commit()
    assert [w.stored for w in writes] == [False, True, False]
    uow.parcels.add(Parcel(parcel_id="p2", tenant="t", weight=2))  # not idempotent: a duplicate is an error
    with pytest.raises(DuplicateKeyError):
        await uow.commit()


async def test_a_save_after_the_relay_cleaned_up_publishes_each_event_once() -> None:
    """The race a save used to have: it re-read the outbox, the relay then cleaned it, and the replace wrote
    the published event back. The relay forgets what it published (capacity 0), so only the store stands
    between the two writes and a duplicate."""
    store, publisher = MemoryDocumentStore(), Publisher()
    relay = OutboxRelay(publisher, [store.collection("parcels")], recently_published_capacity=0)
    uow = ParcelUnitOfWork(store, relay.kick)
    uow.parcels.add(Parcel(parcel_id="p1", tenant="t", weight=1), [event(1)])
    await uow.commit()
    loaded = await uow.parcels.load("t", "p1")  # its outbox still holds R1

    await relay.drain()  # R1 published and cleaned up between the load and the save
    uow.parcels.save(loaded.model_copy(update={"weight": 2, "version": 2}), [event(2)])
    await uow.commit()
    await relay.drain()

    assert [e.data["receipt_id"] for e in publisher.published] == ["R1", "R2"]


async def test_a_bound_event_handler_gets_a_fresh_unit_of_work_each_call() -> None:
    store = MemoryDocumentStore()
    seen: list[UnitOfWork] = []

    async def weigh(envelope: str, *, uow: ParcelUnitOfWork, scale: int) -> int:
        seen.append(uow)
        uow.parcels.add(Parcel(parcel_id=envelope, tenant="t", weight=scale))
        await uow.commit()
        return scale

    handle = with_new_unit_of_work(weigh, lambda: ParcelUnitOfWork(store, Kicks()), scale=7)
    assert [await handle("p1"), await handle("p2")] == [7, 7]
    assert seen[0] is not seen[1] and handle.__name__ == "weigh"
    assert await store.collection("parcels").count({"weight": 7}) == 2


async def test_a_removal_is_staged_until_commit_and_tolerates_a_document_already_gone() -> None:
    store = MemoryDocumentStore()
    uow = ParcelUnitOfWork(store, Kicks())
    uow.parcels.add(Parcel(parcel_id="p1", tenant="t", weight=1))
    await uow.commit()
    uow.parcels.remove("p1")
    assert await uow.parcels.get("t", "p1") is not None  # staged, not yet deleted
    await uow.commit()
    assert await uow.parcels.get("t", "p1") is None
    uow.parcels.remove("p1")
    await uow.commit()


async def test_what_a_commit_stored_is_reported_also_when_a_later_write_fails() -> None:
    store, kicks = MemoryDocumentStore(), Kicks()
    uow = ParcelUnitOfWork(store, kicks)
    uow.parcels.add(Parcel(parcel_id="p1", tenant="t", weight=1), once=True)
    await uow.commit()
    heard: list[str] = []
    redelivered = uow.parcels.add(Parcel(parcel_id="p1", tenant="t", weight=1), once=True)
    redelivered.when_stored(lambda: heard.append("p1 again"))  # found its id taken: not stored
    stored = uow.parcels.add(Parcel(parcel_id="p2", tenant="t", weight=2), [event(2)])
    stored.when_stored(lambda: heard.append("p2"))
    uow.parcels.add(Parcel(parcel_id="p1", tenant="t", weight=3))  # a duplicate: the commit fails here
    with pytest.raises(DuplicateKeyError):
        await uow.commit()
    assert heard == ["p2"]
    assert [(c, d) for c, d, _ in kicks.calls] == [("parcels", "p2")]  # the relay need not wait for a sweep
