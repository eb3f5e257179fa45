"""The declaration read model on both embedded stores (memory, SQLite): every filter, every order and keyset
paging against a recount; receipts before their row; the timeline; documents; tenant isolation."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from query_declarations import (
    T0,
    _event_of,
    envelope_at,
    filters_sort_and_pages_agree_with_a_recount,
    project,
    timeline_and_documents,
)

from guanwu.contracts.events import DeclarationDrafted, DeclarationStatusChanged, ReceiptReceived
from guanwu.platform.store.memory import MemoryDocumentStore
from guanwu.platform.store.port import Collection, DocumentStore
from guanwu.platform.store.sqlite import SqliteDocumentStore
from guanwu.query.adapters.declarations import DeclarationReadModel
from guanwu.query.adapters.history import HistoryReadModel
from guanwu.query.domain.history import receipt_entries


@pytest.fixture(params=["memory", "sqlite"])
async def store(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[DocumentStore]:
    if request.param == "memory":
        yield MemoryDocumentStore()
        return
    sqlite = SqliteDocumentStore(tmp_path)
    yield sqlite
    await sqlite.close()


async def test_filters_sort_and_pages_agree_with_a_recount(store: DocumentStore) -> None:
    await filters_sort_and_pages_agree_with_a_recount(store)


async def test_timeline_and_documents(store: DocumentStore) -> None:
    await timeline_and_documents(store)


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


def _models(store: DocumentStore) -> tuple[DeclarationReadModel, HistoryReadModel]:
    model = DeclarationReadModel(store)
    return model, HistoryReadModel(store, model)


async def test_a_row_write_that_meets_a_receipt_write_is_merged_into_it() -> None:
    store = MemoryDocumentStore()
    model, history = _models(store)
    rival, rival_history = _models(store)
    draft = DeclarationDrafted(declaration_id="d1", version=1, ie_flag="I", status="已申报")
    await project(model, history, [envelope_at(draft, T0)])

    receipt = ReceiptReceived(receipt_id="r1", channel="P", declaration_id="d1", notice_date=T0)
    racing = _Racing(
        model.collection, "replace", lambda: project(rival, rival_history, [envelope_at(receipt, T0)])
    )
    model.collection = racing  # type: ignore[assignment]
    changed = DeclarationStatusChanged(declaration_id="d1", version=2, ie_flag="I", status="放行")
    assert await project(model, history, [envelope_at(changed, T0 + timedelta(minutes=1))]) == 1

    assert racing.raced
    row = await model.load_row("acme", "d1")
    assert (row.version, row.status, row.channel) == (2, "放行", "P")


async def test_a_receipt_written_while_its_row_appears_reaches_the_row() -> None:
    """The receipt's consumer stores the receipt only after the row's consumer looked for receipts (and found
    none): the receipt's own lookup then finds the row."""
    store = MemoryDocumentStore()
    model, history = _models(store)
    rival, rival_history = _models(store)
    seq = "I20260000000000077"
    draft = DeclarationDrafted(declaration_id="d1", version=1, ie_flag="I", status="已申报", seq_no=seq)
    racing = _Racing(
        history.collection, "insert_many", lambda: project(rival, rival_history, [envelope_at(draft, T0)])
    )
    history.collection = racing  # type: ignore[assignment]
    receipt = ReceiptReceived(receipt_id="r1", channel="L", seq_no=seq, notice_date=T0)
    await project(model, history, [envelope_at(receipt, T0)])

    assert racing.raced
    assert (await model.load_row("acme", "d1")).channel == "L"


async def test_an_event_seen_again_hands_its_row_the_receipts_waiting_for_it() -> None:
    """A receipt left waiting beside an existing row (a rebuild's catch-up replayed it before the row was
    there) is taken by the next event of that row, even one that changes nothing."""
    store = MemoryDocumentStore()
    model, history = _models(store)
    draft = envelope_at(DeclarationDrafted(declaration_id="d1", version=1, ie_flag="I", status="已申报"), T0)
    await project(model, history, [draft])
    receipt = envelope_at(
        ReceiptReceived(receipt_id="r1", channel="P", declaration_id="d1", notice_date=T0), T0
    )
    await history.hold(
        [{**entry, "tenant": "acme"} for entry in receipt_entries(receipt, _event_of(receipt))]
    )
    assert await history.waiting.count({}) == 1

    await project(model, history, [draft])

    assert (await model.load_row("acme", "d1")).channel == "P"
    assert await history.waiting.count({}) == 0
