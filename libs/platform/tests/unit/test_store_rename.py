"""The memory and SQLite stores rename and drop collections by the contract; SQLite specifics: a rename made
through another connection (the `guanwu replay` process beside a running `guanwu up`), and no second copy of
an index after a rename."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

pytest.register_assert_rewrite("contract.rename_contract")

from contract.rename_contract import RenameContract  # noqa: E402

from guanwu.platform.store.memory import MemoryDocumentStore  # noqa: E402
from guanwu.platform.store.port import DocumentStore  # noqa: E402
from guanwu.platform.store.sqlite import SqliteDocumentStore  # noqa: E402


class TestMemoryRename(RenameContract):
    async def make_store(self) -> DocumentStore:
        return MemoryDocumentStore()


class TestSqliteRename(RenameContract):
    @pytest.fixture(autouse=True)
    def _folder(self, tmp_path: Path) -> None:
        self.folder = tmp_path / "data"

    async def make_store(self) -> DocumentStore:
        return SqliteDocumentStore(self.folder)


async def test_a_running_process_sees_a_rename_made_by_another(tmp_path: Path) -> None:
    running, replay = SqliteDocumentStore(tmp_path), SqliteDocumentStore(tmp_path)
    try:
        live = running.collection("query_rows")
        await live.insert({"_id": "a", "tags": ["x"]})
        assert await live.count({"tags": "x"}) == 1  # the running process knows the table and its array path
        fresh = replay.collection("query_rows__rebuild_1")
        await fresh.insert_many([{"_id": "a", "tags": ["y"]}, {"_id": "b", "tags": ["y", "z"]}])

        await replay.rename_collection("query_rows__rebuild_1", "query_rows")

        assert await live.count({"tags": "y"}) == 2  # array paths moved with the table
        assert await live.count({"tags": "x"}) == 0
        await live.insert({"_id": "c"})
        assert await replay.collection("query_rows").count({}) == 3
    finally:
        await running.close()
        await replay.close()


async def test_ensure_index_after_a_rename_adds_no_second_index(tmp_path: Path) -> None:
    store = SqliteDocumentStore(tmp_path)
    try:
        await store.collection("live").ensure_index([("tenant", 1), ("updated_at", -1)])
        await store.collection("fresh").ensure_index([("tenant", 1), ("updated_at", -1)])
        await store.rename_collection("fresh", "live")
        await store.collection("live").ensure_index([("tenant", 1), ("updated_at", -1)])
        await store.collection("live").ensure_index([("tenant", 1), ("updated_at", -1)], unique=True)
    finally:
        await store.close()
    with sqlite3.connect(store.path) as conn:
        sql = "SELECT sql FROM sqlite_master WHERE type='index' AND tbl_name='live' AND sql IS NOT NULL"
        definitions = [row[0].split(" ")[1] for row in conn.execute(sql)]
    assert sorted(definitions) == ["INDEX", "UNIQUE"]  # the renamed one, and the unique one asked for after
