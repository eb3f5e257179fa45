"""The review list on the embedded store (SQLite): the same recount checks as on the memory store and on
FerretDB — array fields (企业类别, 报关/录入单位), the 最近操作时间 text range, sorts and pages."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from review_harness import Service, running_service
from review_listing import every_filter_agrees_with_a_recount, seed, sorted_pages_cover_the_list_once_in_order

from guanwu.platform.store.sqlite import SqliteDocumentStore


@pytest.fixture
async def embedded(tmp_path: Path) -> AsyncIterator[Service]:
    store = SqliteDocumentStore(tmp_path)
    try:
        async with running_service(store) as running:
            yield running
    finally:
        await store.close()


async def test_every_filter_agrees_with_a_recount_on_sqlite(embedded: Service) -> None:
    await every_filter_agrees_with_a_recount(embedded)


async def test_sorted_pages_on_sqlite(embedded: Service) -> None:
    await sorted_pages_cover_the_list_once_in_order(embedded, await seed(embedded, 30))
