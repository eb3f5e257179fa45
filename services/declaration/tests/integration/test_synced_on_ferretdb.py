"""The queries of 数据同步 and the sweeps on FerretDB (the distributed store): matching by 统一编号 and
ClientSeqNo with `$in` on nested fields, the parked receipts' time filter and the 核注清单 by 清单编号."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pymongo
import pytest

from guanwu.contracts.events import BondedListSynced, DeclarationSynced, ReceiptReceived
from guanwu.contracts.events.sync import SyncedReceipt
from guanwu.customs import fixtures
from guanwu.declaration.domain.lifecycle import request_declare
from guanwu.declaration.domain.model import Status, draft, transition
from guanwu.declaration.domain.synced import synced_declaration_id
from guanwu.declaration.service_layer.handlers import reactions
from guanwu.declaration.service_layer.handlers.sweeps import (
    expire_parked_receipts,
    time_out_unanswered_signing,
)
from guanwu.declaration.service_layer.handlers.synced import keep_bonded_lists, sync_declarations
from guanwu.declaration.service_layer.unit_of_work import DeclarationUnitOfWork
from guanwu.platform.events import envelope_for
from guanwu.platform.store.mongo import MongoDocumentStore
from guanwu.platform.store.port import Document

T0 = datetime(2026, 11, 27, 9, 0, tzinfo=UTC)


def ignore(collection: str | None = None, doc_id: str | None = None, written: Document | None = None) -> None:
    """No relay: the outbox stays where it was written."""


class Seen:
    def __init__(self) -> None:
        self.timeouts = self.expired = 0

    def signing_timed_out(self) -> None:
        self.timeouts += 1

    def parked_receipt_expired(self) -> None:
        self.expired += 1


@pytest.fixture
async def store(mongo_url: str) -> AsyncIterator[MongoDocumentStore]:
    name = f"guanwu_declaration_{uuid.uuid4().hex[:8]}"
    store = MongoDocumentStore(mongo_url, name)
    uow = DeclarationUnitOfWork(store, ignore)
    for repository in (uow.declarations, uow.parked_receipts, uow.bonded_lists):
        await repository.ensure_indexes()
    yield store
    await store.close()
    client: pymongo.MongoClient[Document]
    with pymongo.MongoClient(mongo_url) as client:
        client.drop_database(name)


def uow_on(store: MongoDocumentStore) -> DeclarationUnitOfWork:
    return DeclarationUnitOfWork(store, ignore)


def synced(seq_no: str, **fields: Any) -> DeclarationSynced:
    return DeclarationSynced(
        seq_no=seq_no, sw_version=1, sw_updated_at=T0, document=fixtures.export_air(), **fields
    )


async def test_synced_declarations_are_matched_made_and_release_parked_receipts(
    store: MongoDocumentStore,
) -> None:
    made_here = draft(fixtures.export_air(), [], declaration_id="d1", tenant="acme", user_id="u1", now=T0)
    uow = uow_on(store)
    uow.declarations.add(transition(made_here, Status.DECLARING, action="x", user_id="u1", now=T0))
    await uow.commit()
    parked = ReceiptReceived(receipt_id="R1", channel="P", seq_no="E20260000000000002", notice_date=T0)
    parked_envelope = envelope_for(parked, source="/guanwu/sync", tenant="acme")[1]
    clock = lambda: T0  # noqa: E731
    await reactions.apply_customs_receipt(parked_envelope, parked, uow=uow_on(store), clock=clock, attempts=1)

    batch = [
        synced("E20260000000000001", channel="L", client_seq_no=made_here.client_seq_no),
        synced("E20260000000000002", channel="L", receipts=[SyncedReceipt(channel="L", notice_date=T0)]),
        synced("E20260000000000003"),
    ]
    items = [(envelope_for(e, source="/guanwu/sync", tenant="acme")[1], e) for e in batch]
    await sync_declarations(items, uow=uow_on(store), clock=clock, attempts=3)
    await sync_declarations(items, uow=uow_on(store), clock=clock, attempts=3)  # again: nothing changes

    declarations = uow_on(store).declarations
    mine = await declarations.load("acme", "d1")
    assert (mine.status, mine.document.head.seq_no, mine.version) == (
        Status.ACCEPTED,
        "E20260000000000001",
        2,
    )
    released = await declarations.load("acme", synced_declaration_id("acme", "E20260000000000002"))
    assert released.status is Status.RELEASED and [r.channel for r in released.receipts] == ["L", "P"]
    drafted = await declarations.load("acme", synced_declaration_id("acme", "E20260000000000003"))
    assert drafted.status is Status.DRAFT and drafted.version == 1
    assert await store.collection("declaration_declarations").count({}) == 3
    assert await store.collection("declaration_parked_receipts").count({}) == 0


async def test_the_sweeps_filter_by_time_and_status(store: MongoDocumentStore) -> None:
    created = draft(fixtures.export_air(), [], declaration_id="d1", tenant="acme", user_id="u1", now=T0)
    approved = transition(created, Status.APPROVED, action="x", user_id="u1", now=T0)
    uow = uow_on(store)
    uow.declarations.add(
        request_declare(approved, [], request_id="q1", content_sm3="ab" * 32, user_id="u1", now=T0)
    )
    await uow.commit()
    for receipt_id, at in (("R-old", T0), ("R-new", T0 + timedelta(days=1))):

        def at_(moment: datetime = at) -> datetime:
            return moment

        event = ReceiptReceived(
            receipt_id=receipt_id, channel="L", seq_no="E20260000000000009", notice_date=at
        )
        envelope = envelope_for(event, source="/guanwu/sync", tenant="acme")[1]
        await reactions.apply_customs_receipt(envelope, event, uow=uow_on(store), clock=at_, attempts=1)
    seen = Seen()
    later = T0 + timedelta(days=7, seconds=1)

    timed_out = await time_out_unanswered_signing(
        uow=uow_on(store), clock=lambda: later, timeout=timedelta(seconds=900), observer=seen
    )
    expired = await expire_parked_receipts(
        uow=uow_on(store), clock=lambda: later, ttl=timedelta(days=7), observer=seen
    )

    assert (timed_out, expired, seen.timeouts, seen.expired) == (1, 1, 1, 1)
    assert (await uow_on(store).declarations.load("acme", "d1")).status is Status.APPROVED
    left = await store.collection("declaration_parked_receipts").find({})
    assert [doc["envelope"]["data"]["receipt_id"] for doc in left] == ["R-new"]


async def test_the_newest_bonded_list_is_found_by_its_number(store: MongoDocumentStore) -> None:
    bonded = fixtures.bonded_list()

    def listed(version: int, seq_no: str, list_stat: Any) -> BondedListSynced:
        return BondedListSynced(
            seq_no=seq_no,
            bond_invt_no="QD530126I000000001",
            list_stat=list_stat,
            sw_version=version,
            sw_updated_at=T0 + timedelta(minutes=version),
            bonded_list=bonded,
        )

    events = [listed(1, "I20260000000000001", "3"), listed(2, "I20260000000000002", "0")]
    items = [(envelope_for(e, source="/guanwu/sync", tenant="acme")[1], e) for e in events]
    await keep_bonded_lists(items, uow=uow_on(store), clock=lambda: T0)

    found = await uow_on(store).bonded_lists.by_number("acme", bond_invt_no="QD530126I000000001", seq_no=None)
    assert found is not None and (found.seq_no, found.list_stat) == ("I20260000000000002", "0")
    other = await uow_on(store).bonded_lists.by_number(
        "other", bond_invt_no="QD530126I000000001", seq_no=None
    )
    assert other is None
