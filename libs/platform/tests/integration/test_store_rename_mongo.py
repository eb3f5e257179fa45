"""The MongoDB-wire store renames and drops collections by the contract on the real FerretDB (which cannot
replace a target in one step: the adapter's fallback)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pymongo
import pytest

pytest.register_assert_rewrite("contract.rename_contract")

from contract.rename_contract import RenameContract  # noqa: E402

from guanwu.platform.store.mongo import MongoDocumentStore  # noqa: E402
from guanwu.platform.store.port import DocumentStore  # noqa: E402


@pytest.fixture(scope="module")
def database(mongo_url: str) -> Iterator[str]:
    name = f"guanwu_store_rename_{uuid.uuid4().hex[:8]}"
    yield name
    client: pymongo.MongoClient[dict[str, object]] = pymongo.MongoClient(mongo_url)
    try:
        client.drop_database(name)
    finally:
        client.close()


class TestMongoRename(RenameContract):
    @pytest.fixture(autouse=True)
    def _target(self, mongo_url: str, database: str) -> None:
        self.url, self.database = mongo_url, database

    async def make_store(self) -> DocumentStore:
        return MongoDocumentStore(self.url, self.database)

    async def test_no_collection_is_left_aside(self, store: DocumentStore) -> None:
        await store.collection("aside_live").insert({"_id": "a"})
        await store.collection("aside_fresh").insert({"_id": "b"})
        await store.rename_collection("aside_fresh", "aside_live")
        assert [n for n in await store.collection_names() if n.startswith("aside_")] == ["aside_live"]
