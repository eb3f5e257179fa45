"""The declaration read model on FerretDB (the distributed store): the same scenarios as on the embedded
stores — every filter, order and keyset page against a recount; receipts before their row; the timeline."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator

import pymongo
import pytest
from query_declarations import filters_sort_and_pages_agree_with_a_recount, timeline_and_documents

from guanwu.platform.store.mongo import MongoDocumentStore


@pytest.fixture
async def store(mongo_url: str) -> AsyncIterator[MongoDocumentStore]:
    name = f"guanwu_query_{uuid.uuid4().hex[:8]}"
    store = MongoDocumentStore(mongo_url, name)
    yield store
    await store.close()
    with pymongo.MongoClient(mongo_url) as client:
        client.drop_database(name)


async def test_filters_sort_and_pages_agree_with_a_recount_on_ferretdb(store: MongoDocumentStore) -> None:
    await filters_sort_and_pages_agree_with_a_recount(store)


async def test_timeline_and_documents_on_ferretdb(store: MongoDocumentStore) -> None:
    await timeline_and_documents(store)
