"""The 核注清单 read model on both embedded stores (memory, SQLite): merged writes, the lookup of a list by its
清单编号, search order with rows not synced yet last; and writes that meet a concurrent writer."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
from query_bonded import inv201, listed, merges_finds_and_orders, project, qd, seq
from query_harness import at

from guanwu.contracts.events import BondedListReceiptReceived
from guanwu.platform.events import envelope_for
from guanwu.platform.store.memory import MemoryDocumentStore
from guanwu.platform.store.port import Collection, DocumentStore
from guanwu.platform.store.sqlite import SqliteDocumentStore
from guanwu.query.adapters.bonded_lists import BondedListReadModel
from guanwu.query.domain.bonded_lists import RowKey, change_of, merged_row


@pytest.fixture(params=["memory", "sqlite"])
async def store(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[DocumentStore]:
    if request.param == "memory":
        yield MemoryDocumentStore()
        return
    sqlite = SqliteDocumentStore(tmp_path)
    yield sqlite
    await sqlite.close()


async def test_merges_finds_and_orders_on_each_store(store: DocumentStore) -> None:
    await merges_finds_and_orders(store)


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
