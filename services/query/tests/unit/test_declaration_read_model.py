"""The declaration read model on both embedded stores (memory, SQLite): every filter, every order and keyset
paging against a recount; receipts before their row; the timeline; documents; tenant isolation."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from query_declarations import filters_sort_and_pages_agree_with_a_recount, timeline_and_documents

from guanwu.platform.store.memory import MemoryDocumentStore
from guanwu.platform.store.port import DocumentStore
from guanwu.platform.store.sqlite import SqliteDocumentStore


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
