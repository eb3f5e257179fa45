"""What every document store adapter does when a collection is renamed over another or dropped (how a rebuilt
read model is switched in, `guanwu.platform.replay`). A subclass provides `make_store()`; each test names
collections of its own."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator

import pytest

from guanwu.platform.store.port import VERSION_FIELD, DocumentStore


def _name(what: str) -> str:
    return f"r_{what}_{uuid.uuid4().hex[:10]}"


class RenameContract:
    async def make_store(self) -> DocumentStore:
        raise NotImplementedError

    @pytest.fixture
    async def store(self) -> AsyncIterator[DocumentStore]:
        store = await self.make_store()
        yield store
        await store.close()

    async def test_rename_replaces_the_target_and_its_documents(self, store: DocumentStore) -> None:
        live, fresh = _name("live"), _name("fresh")
        held = store.collection(live)  # as a read model holds it, from before the switch
        await held.insert_many([{"_id": "old", "n": 1}, {"_id": "gone", "n": 2}])
        await store.collection(fresh).insert_many([{"_id": "old", "n": 10}, {"_id": "new", "n": 3}])

        await store.rename_collection(fresh, live)

        assert sorted(d["_id"] for d in await held.find({})) == ["new", "old"]
        assert await held.get("old") == {"_id": "old", "n": 10, VERSION_FIELD: 1}
        assert await held.get("gone") is None
        names = await store.collection_names()
        assert live in names and fresh not in names
        assert await store.collection(fresh).count({}) == 0  # a name used again starts empty

    async def test_writes_after_the_rename_go_to_the_new_collection(self, store: DocumentStore) -> None:
        live, fresh = _name("live"), _name("fresh")
        held = store.collection(live)
        await held.insert({"_id": "a", "n": 1})
        await store.collection(fresh).insert({"_id": "a", "n": 2})
        await store.rename_collection(fresh, live)

        replaced = await held.replace({"_id": "a", "n": 3}, expected_version=1)
        await held.insert({"_id": "b"})

        assert replaced[VERSION_FIELD] == 2
        assert await store.collection(live).get("a") == {"_id": "a", "n": 3, VERSION_FIELD: 2}
        assert await store.collection(live).count({}) == 2

    async def test_indexes_come_along(self, store: DocumentStore) -> None:
        live, fresh = _name("live"), _name("fresh")
        await store.collection(live).insert({"_id": "x", "k": 1})
        await store.collection(fresh).ensure_index([("k", 1)], unique=True)
        await store.collection(fresh).insert({"_id": "a", "k": 1})
        await store.rename_collection(fresh, live)

        held = store.collection(live)
        await held.ensure_index([("k", 1)], unique=True)  # as the service does at its next start
        assert await held.insert_many([{"_id": "b", "k": 1}, {"_id": "c", "k": 2}]) == [False, True]

    async def test_rename_onto_a_missing_target(self, store: DocumentStore) -> None:
        live, fresh = _name("live"), _name("fresh")
        await store.collection(fresh).insert({"_id": "a"})
        await store.rename_collection(fresh, live)
        assert [d["_id"] for d in await store.collection(live).find({})] == ["a"]

    async def test_a_missing_source_leaves_the_target_empty(self, store: DocumentStore) -> None:
        live = _name("live")
        await store.collection(live).insert({"_id": "a"})
        await store.rename_collection(_name("never"), live)
        assert await store.collection(live).count({}) == 0

    async def test_drop_collection(self, store: DocumentStore) -> None:
        name = _name("drop")
        await store.collection(name).insert({"_id": "a"})
        await store.drop_collection(name)
        await store.drop_collection(name)  # nothing there: nothing happens
        assert name not in await store.collection_names()
        assert await store.collection(name).count({}) == 0
