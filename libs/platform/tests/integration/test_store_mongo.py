"""The MongoDB-wire store passes the document store contract against the real FerretDB.

Besides the contract, this module pins what FerretDB 1.24 itself does, so the day it changes we notice.
"""

from __future__ import annotations

import asyncio
import json
import sys
import uuid
from collections.abc import AsyncIterator, Iterator
from typing import Any, ClassVar

import pytest

pytest.register_assert_rewrite("contract.store_contract")

import pymongo  # noqa: E402
from contract.store_contract import StoreContract  # noqa: E402
from pymongo import AsyncMongoClient  # noqa: E402
from pymongo.asynchronous.collection import AsyncCollection  # noqa: E402

from guanwu.platform.store.mongo import MongoDocumentStore  # noqa: E402
from guanwu.platform.store.port import DocumentStore  # noqa: E402

RawCollection = AsyncCollection[dict[str, Any]]

_ARRAY_NEGATION = "FerretDB 1.24: $ne/$nin on a path that crosses an array of sub-documents ignores the array"


@pytest.fixture(scope="module")
def database(mongo_url: str) -> Iterator[str]:
    """A fresh database for this module, dropped afterwards (sync client: no event loop outlives a test)."""
    name = f"guanwu_store_contract_{uuid.uuid4().hex[:8]}"
    yield name
    client: pymongo.MongoClient[dict[str, object]] = pymongo.MongoClient(mongo_url)
    try:
        client.drop_database(name)
    finally:
        client.close()


class TestMongoStore(StoreContract):
    KNOWN_FILTER_DEVIATIONS: ClassVar[dict[str, str]] = {
        str({"items.code": {"$nin": ["8517"]}}): _ARRAY_NEGATION,
        str({"items.code": {"$ne": "8517"}}): _ARRAY_NEGATION,
    }

    @pytest.fixture(autouse=True)
    def _target(self, mongo_url: str, database: str) -> None:
        self.url, self.database = mongo_url, database

    async def make_store(self) -> DocumentStore:
        return MongoDocumentStore(self.url, self.database)


async def test_ping_is_false_fast_when_nothing_listens() -> None:
    store = MongoDocumentStore("mongodb://127.0.0.1:9/", "nothing", ping_timeout_seconds=0.5)
    try:
        async with asyncio.timeout(5):
            assert await store.ping() is False
    finally:
        await store.close()


@pytest.fixture
async def raw(
    mongo_url: str, database: str
) -> AsyncIterator[pymongo.asynchronous.collection.AsyncCollection]:  # type: ignore[type-arg]
    client: AsyncMongoClient[dict[str, object]] = AsyncMongoClient(mongo_url)
    yield client[database][f"raw_{uuid.uuid4().hex[:8]}"]
    await client.close()


_RACER = """
import asyncio, json, os, sys, time
from guanwu.platform.store.mongo import MongoDocumentStore
from guanwu.platform.store.port import ConcurrencyConflict

async def main(url, database, collection, go_file, increments):
    store = MongoDocumentStore(url, database)
    col = store.collection(collection)
    while not os.path.exists(go_file):  # both racers start together
        await asyncio.sleep(0.005)
    started, done = time.time(), 0
    while done < increments:
        doc = await col.get("counter")
        try:
            await col.replace({**doc, "n": doc["n"] + 1}, expected_version=doc["_version"])
        except ConcurrencyConflict:
            continue
        done += 1
    print(json.dumps({"done": done, "started": started, "ended": time.time()}))
    await store.close()

asyncio.run(main(*sys.argv[1:5], int(sys.argv[5])))
"""


async def test_the_version_guard_across_processes_on_ferretdb(
    mongo_url: str, database: str, tmp_path: Any
) -> None:
    """Two processes increment one counter through the adapter's guarded replace. MongoDB applies the
    `_version` guard atomically, so every acknowledged increment counts. FerretDB 1.24 (PostgreSQL backend
    too) reads the matching document and then writes by `_id` with nothing re-checking the guard: both writers
    can win the same version, and increments are lost. The adapter's per-document lock only covers writers in
    one process, hence "one replica per service on FerretDB" (docs/stores.md). This pins that: the day it
    fails, FerretDB became atomic and the limit can go."""
    collection = f"race_{uuid.uuid4().hex[:8]}"
    store = MongoDocumentStore(mongo_url, database)
    await store.collection(collection).insert({"_id": "counter", "n": 0})
    go_file = tmp_path / "go"
    increments = 300
    racers = [
        await asyncio.create_subprocess_exec(
            sys.executable,
            "-c",
            _RACER,
            mongo_url,
            database,
            collection,
            str(go_file),
            str(increments),
            stdout=asyncio.subprocess.PIPE,
        )
        for _ in range(2)
    ]
    go_file.write_text("go")
    reports = [json.loads((await racer.communicate())[0]) for racer in racers]
    final = await store.collection(collection).get("counter")
    ferretdb = "ferretdbVersion" in await store.client.admin.command("buildInfo")
    await store.close()

    assert [r["done"] for r in reports] == [increments, increments]
    overlapped = max(r["started"] for r in reports) < min(r["ended"] for r in reports)
    if not overlapped:
        pytest.skip("the two racers did not run at the same time on this busy machine")
    assert final is not None
    lost = 2 * increments - final["n"]
    if ferretdb:
        assert lost > 0, (
            "no update lost across processes: FerretDB may be atomic now; lift the one-replica limit"
        )
    else:
        assert lost == 0, "MongoDB lost guarded updates"


async def test_ferretdb_pull_with_a_condition_removes_nothing(raw: RawCollection) -> None:
    """Why pull_outbox reads the entries and $pullAll's exact values."""
    entries = [{"topic": "t", "envelope": {"id": "e1"}}, {"topic": "t", "envelope": {"id": "e2"}}]
    await raw.insert_one({"_id": "a", "_outbox": entries})
    result = await raw.update_one({"_id": "a"}, {"$pull": {"_outbox": {"envelope.id": {"$in": ["e1"]}}}})
    assert result.modified_count == 0
    result = await raw.update_one({"_id": "a"}, {"$pullAll": {"_outbox": [entries[0]]}})
    assert result.modified_count == 1
    assert (await raw.find_one({"_id": "a"}) or {})["_outbox"] == [entries[1]]
