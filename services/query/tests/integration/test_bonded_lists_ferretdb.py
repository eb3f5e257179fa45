"""The 核注清单 read model on FerretDB (the distributed store): the same scenario as on the embedded stores."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator

import pymongo
import pytest
from query_bonded import merges_finds_and_orders

from guanwu.platform.store.mongo import MongoDocumentStore


@pytest.fixture
async def store(mongo_url: str) -> AsyncIterator[MongoDocumentStore]:
    name = f"guanwu_query_{uuid.uuid4().hex[:8]}"
    store = MongoDocumentStore(mongo_url, name)
    yield store
    await store.close()
    with pymongo.MongoClient(mongo_url) as client:
        client.drop_database(name)


async def test_merges_finds_and_orders_on_ferretdb(store: MongoDocumentStore) -> None:
    await merges_finds_and_orders(store)
