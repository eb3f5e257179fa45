"""The 核注清单 read model on both embedded stores (memory, SQLite): merged writes, the lookup of a list by its
清单编号, search order with rows not synced yet last; and writes that meet a concurrent writer."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
from query_bonded import inv201, listed, qd, seq
from query_harness import at

from guanwu.contracts.events import BondedListReceiptReceived, BondedListSynced
from guanwu.platform.events import envelope_for
from guanwu.platform.store.memory import MemoryDocumentStore
from guanwu.platform.store.port import Collection, DocumentStore
from guanwu.platform.store.sqlite import SqliteDocumentStore
from guanwu.query.adapters.bonded_lists import BondedListReadModel
from guanwu.query.domain.bonded_lists import BondedListSearch, RowKey, change_of, merged_row
from guanwu.query.service_layer.handlers import project_bonded_list_events


@pytest.fixture(params=["memory", "sqlite"])
async def store(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[DocumentStore]:
    if request.param == "memory":
        yield MemoryDocumentStore()
        return
    sqlite = SqliteDocumentStore(tmp_path)
    yield sqlite
    await sqlite.close()


async def project(model: BondedListReadModel, *events: BondedListSynced | BondedListReceiptReceived) -> int:
    items = [(envelope_for(e, source="/t", tenant="acme")[1], e) for e in events]
    return await project_bonded_list_events(items, read_model=model)


async def test_merges_finds_and_orders_on_each_store(store: DocumentStore) -> None:
    model = BondedListReadModel(store)
    await model.ensure_indexes()
    receipt_first = inv201("r1", seq_no=None, bond_invt_no=qd(3), list_stat="2", notice=at(50))
    assert (
        await project(model, receipt_first, inv201("r2", seq_no=seq(4), bond_invt_no=None, notice=at(5))) == 2
    )
    assert await project(model, listed(seq(1), 1, bond_invt_no=qd(1), updated=at(10))) == 1
    assert await project(model, listed(seq(2), 1, bond_invt_no=qd(2), updated=at(30))) == 1
    assert await project(model, listed(seq(3), 1, bond_invt_no=qd(3), updated=at(20))) == 1  # absorbs r1
    assert await project(model, listed(seq(3), 1, bond_invt_no=qd(3), updated=at(20))) == 0

    total, rows = await model.search("acme", BondedListSearch(), skip=0, limit=10)
    assert (total, [r.seq_no for r in rows]) == (4, [seq(2), seq(3), seq(1), seq(4)])
    assert [r.list_stat for r in rows] == ["1", "2", "1", "0"]
    window = BondedListSearch(updated_from=at(10), updated_to=at(30), list_stat="2")
    assert [r.seq_no for r in (await model.search("acme", window, skip=0, limit=10))[1]] == [seq(3)]
    assert (await model.search("globex", BondedListSearch(), skip=0, limit=10)) == (0, [])

    detail = await model.load("acme", qd(3))
    assert (detail.seq_no, [r.receipt_id for r in detail.receipts]) == (seq(3), ["r1"])
    assert (await model.load("acme", seq(4))).synced is False


class _Racing:
    """A collection whose first call of `method` lets another writer in just before it runs."""

    def __init__(self, inner: Collection, method: str, other: Callable[[], Awaitable[Any]]) -> None:
        self._inner, self._method, self._other, self.raced = inner, method, other, False

    def __getattr__(self, name: str) -> Any:
        target = getattr(self._inner, name)
        if name != self._method or self.raced:
            return target

        async def racing(*args: Any, **kwargs: Any) -> Any:
            self.raced = True
            await self._other()
            return await target(*args, **kwargs)

        return racing


async def test_a_write_that_meets_a_concurrent_one_is_merged_into_it() -> None:
    store = MemoryDocumentStore()
    model, rival = BondedListReadModel(store), BondedListReadModel(store)
    await project(model, listed(seq(1), 1, bond_invt_no=qd(1), updated=at(1)))

    racing = _Racing(model.collection, "replace", lambda: project(rival, inv201("theirs", notice=at(8))))
    model.collection = racing
    assert await project(model, inv201("mine", list_stat="3", notice=at(9))) == 1

    assert racing.raced
    detail = await model.load("acme", qd(1))
    assert [r.receipt_id for r in detail.receipts] == ["theirs", "mine"] and detail.list_stat == "3"


async def test_a_placeholder_changed_while_absorbed_loses_nothing() -> None:
    store = MemoryDocumentStore()
    model, rival = BondedListReadModel(store), BondedListReadModel(store)
    await project(model, inv201("early", seq_no=None, bond_invt_no=qd(2), notice=at(5)))

    late = inv201("late", seq_no=None, bond_invt_no=qd(2), list_stat="2", notice=at(6))

    async def receipt_into_placeholder() -> None:
        # A replica that resolved `late` before the list's row existed writes it into the placeholder.
        key = RowKey("acme", bond_invt_no=qd(2))
        stored = await rival.collection.get(key.doc_id)
        assert stored is not None
        change = change_of(envelope_for(late, source="/t", tenant="acme")[1], late)
        assert change is not None
        await rival.collection.replace(merged_row(key, stored, [change]), expected_version=stored["_version"])

    racing = _Racing(model.collection, "delete", receipt_into_placeholder)
    model.collection = racing
    await project(model, listed(seq(2), 1, bond_invt_no=qd(2), updated=at(1)))

    assert racing.raced
    [row] = await store.collection("query_bonded_lists").find({})
    assert (row["seq_no"], row["list_stat"]) == (seq(2), "2")
    assert [r["receipt_id"] for r in row["receipts"]] == ["early", "late"]


def test_a_receipt_naming_no_list_makes_no_change() -> None:
    nameless = BondedListReceiptReceived(receipt_id="r0", message_type="INV202", notice_date=at(1))
    assert change_of(envelope_for(nameless, source="/t", tenant="acme")[1], nameless) is None
