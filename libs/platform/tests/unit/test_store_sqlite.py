"""The SQLite store passes the document store contract, keeps data across reopen and kill, and uses its indexes."""

from __future__ import annotations

import asyncio
import signal
import sqlite3
import sys
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

pytest.register_assert_rewrite("contract.store_contract")

from contract.store_contract import StoreContract  # noqa: E402

from guanwu.platform.store.filters import (  # noqa: E402
    SqlTranslator,
    compile_matcher,
    encode_document,
    order_by_sql,
)
from guanwu.platform.store.port import VERSION_FIELD, DocumentStore, DuplicateKeyError  # noqa: E402
from guanwu.platform.store.sqlite import (  # noqa: E402
    DEFAULT_FILE_NAME,
    SqliteDocumentStore,
    resolve_database_file,
)


class TestSqliteStore(StoreContract):
    @pytest.fixture(autouse=True)
    def _folder(self, tmp_path: Path) -> None:
        self.folder = tmp_path / "data"

    async def make_store(self) -> DocumentStore:
        return SqliteDocumentStore(self.folder)


# ------------------------------------------------------------------------------------------ SQLite specifics


async def test_data_survives_close_and_reopen(tmp_path: Path) -> None:
    store = SqliteDocumentStore(tmp_path)
    col = store.collection("declarations")
    await col.ensure_index([("tenant", 1), ("number", 1)], unique=True)
    await col.insert(
        {"_id": "a", "tenant": "t1", "number": "N1", "lines": [{"code": "8471"}], "名称": "电脑"}
    )
    await store.close()
    assert await store.ping() is False

    reopened = SqliteDocumentStore(tmp_path)
    col = reopened.collection("declarations")
    assert await col.get("a") == {
        "_id": "a",
        "tenant": "t1",
        "number": "N1",
        "lines": [{"code": "8471"}],
        "名称": "电脑",
        VERSION_FIELD: 1,
    }
    assert [d["_id"] for d in await col.find({"lines.code": "8471"})] == ["a"]  # array paths are remembered
    with pytest.raises(DuplicateKeyError):  # and so are unique indexes
        await col.insert({"_id": "b", "tenant": "t1", "number": "N1"})
    await reopened.close()


def test_path_or_folder(tmp_path: Path) -> None:
    assert resolve_database_file(tmp_path / "data") == tmp_path / "data" / DEFAULT_FILE_NAME
    assert resolve_database_file(tmp_path / "x.sqlite3") == tmp_path / "x.sqlite3"
    assert resolve_database_file(str(tmp_path / "x.db")) == tmp_path / "x.db"


_KILL_AFTER_WRITE = """
import asyncio, os, signal, sys
from guanwu.platform.store.sqlite import SqliteDocumentStore

async def main():
    col = SqliteDocumentStore(sys.argv[1]).collection("c")
    doc = await col.insert({"_id": "a", "n": 0})
    await col.replace({**doc, "n": 1}, expected_version=1)
    print("acknowledged", flush=True)
    os.kill(os.getpid(), signal.SIGKILL)  # no close, no checkpoint, no atexit

asyncio.run(main())
"""


async def test_an_acknowledged_write_survives_a_process_kill(tmp_path: Path) -> None:
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-c", _KILL_AFTER_WRITE, str(tmp_path), stdout=asyncio.subprocess.PIPE
    )
    out, _ = await proc.communicate()
    assert out.strip() == b"acknowledged"
    assert proc.returncode == -signal.SIGKILL
    store = SqliteDocumentStore(tmp_path)
    assert await store.collection("c").get("a") == {"_id": "a", "n": 1, VERSION_FIELD: 2}
    await store.close()


async def test_a_second_connection_sees_new_array_paths(tmp_path: Path) -> None:
    """Two stores on one file (like two processes): arrays written by one are looked into by the other."""
    one, two = SqliteDocumentStore(tmp_path), SqliteDocumentStore(tmp_path)
    await one.collection("c").insert({"_id": "a", "tags": "x"})
    assert [d["_id"] for d in await two.collection("c").find({"tags": "y"})] == []
    await one.collection("c").insert({"_id": "b", "tags": ["x", "y"]})
    assert [d["_id"] for d in await two.collection("c").find({"tags": "y"})] == ["b"]
    await one.close()
    await two.close()


async def test_scalar_filters_and_sorts_use_the_expression_indexes(tmp_path: Path) -> None:
    store = SqliteDocumentStore(tmp_path)
    col = store.collection("c")
    await col.ensure_index([("tenant", 1), ("status", 1)])
    await col.ensure_index([("meta.no", 1)], unique=True)
    await col.insert(
        {"_id": "a", "tenant": "t", "status": "s", "meta": {"no": "1"}, "items": [{"code": "1"}]}
    )

    async def plan(filter: dict[str, Any], sort: list[tuple[str, int]] | None = None) -> str:
        def explain(link: Any) -> str:
            link.ensure_table("c")
            where, params = SqlTranslator(link.array_paths("c")).where(filter)
            sql = f'EXPLAIN QUERY PLAN SELECT doc FROM "c" WHERE {where}{order_by_sql(sort or [])}'
            return " | ".join(str(row[-1]) for row in link.conn.execute(sql, params))

        return await store.run_in_worker(explain)

    assert "USING INDEX" in await plan({"tenant": "t", "status": {"$in": ["s", "x"]}})
    assert "USING INDEX" in await plan({"meta.no": "1", "items.code": "1"})  # the array filter rides along
    assert "USING INDEX" in await plan({"tenant": "t"}, sort=[("status", 1)])
    assert "TEMP B-TREE" not in await plan({"tenant": "t"}, sort=[("status", 1)])
    assert "USING INDEX" in await plan({"_id": "a"}) or "PRIMARY KEY" in await plan({"_id": "a"})
    await store.close()


# ------------------------------------------------------------- the SQL translation agrees with the matcher

_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-3, 3),
    st.sampled_from([0.0, 1.5, -2.0, 2.0]),
    st.sampled_from(["", "a", "b", "上海", "1"]),
    st.sampled_from(['{"x":"a"}', "{}", '["a"]', "[]", "[1]", "Z", "~"]),  # the JSON text of a value here
)
_leaf = st.one_of(_scalars, st.lists(_scalars, max_size=3))
_sub = st.dictionaries(st.sampled_from(["x", "y"]), _leaf, max_size=2)
_value = st.one_of(_leaf, _sub, st.lists(_sub, max_size=3))
_docs = st.lists(
    st.dictionaries(st.sampled_from(["a", "b", "c"]), _value, max_size=3), min_size=1, max_size=6
)
_paths = st.sampled_from(["a", "b", "a.x", "b.y", "a.x.y", "c", "_id"])
_conditions = st.one_of(
    _scalars,
    st.fixed_dictionaries({"$ne": _scalars}),
    st.fixed_dictionaries({"$in": st.lists(_scalars, max_size=3)}),
    st.fixed_dictionaries({"$nin": st.lists(_scalars, max_size=3)}),
    st.fixed_dictionaries({"$exists": st.booleans()}),
    st.builds(
        lambda op, v: {op: v},
        st.sampled_from(["$gt", "$gte", "$lt", "$lte"]),
        st.one_of(st.integers(-3, 3), st.sampled_from([0.5, "a", "b", ""])),
    ),
    st.builds(  # a range with both ends (string bounds on either side of the brackets `[` and `{`)
        lambda low, high, a, b: {low: a, high: b},
        st.sampled_from(["$gt", "$gte"]),
        st.sampled_from(["$lt", "$lte"]),
        st.one_of(st.integers(-3, 3), st.sampled_from(["", "1", "a", "[", "Z"])),
        st.one_of(st.integers(-3, 3), st.sampled_from(["b", "Z", "[", "[1", "\\", "|", "~", "上海"])),
    ),
)
_filters = st.dictionaries(_paths, _conditions, max_size=2)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(docs=_docs, filter=_filters)
def test_sql_translation_matches_the_python_matcher(
    docs: list[dict[str, Any]], filter: dict[str, Any]
) -> None:
    conn = sqlite3.connect(":memory:")
    conn.execute("CREATE TABLE c (id TEXT PRIMARY KEY, doc TEXT)")
    arrays: set[str] = set()
    for i, doc in enumerate(docs):
        text, paths = encode_document({"_id": str(i), **doc})
        arrays |= paths
        conn.execute("INSERT INTO c VALUES (?, ?)", (str(i), text))
    where, params = SqlTranslator(arrays).where(filter)
    from_sql = {row[0] for row in conn.execute(f"SELECT id FROM c WHERE {where}", params)}
    matches = compile_matcher(filter)
    from_python = {str(i) for i, doc in enumerate(docs) if matches({"_id": str(i), **doc})}
    assert from_sql == from_python, (where, params)


def test_string_equalities_and_closed_string_ranges_leave_out_the_type_tests() -> None:
    """They are exact without them, and a filter on indexed fields alone is then answered from the index
    (no document read): the review list's count."""
    where, _ = SqlTranslator().where(
        {"tenant": "t", "status": {"$in": ["a", "b"]}, "at": {"$gte": "2026-01-01", "$lt": "2026-02-01"}}
    )
    assert "json_type" not in where
    for kept in ({"a": 1}, {"a": "{x"}, {"a": {"$gte": "2026"}}, {"a": {"$gte": "a", "$lt": "{"}}):
        assert "json_type" in SqlTranslator().where(kept)[0], kept


def test_every_string_equality_and_range_agrees_with_the_matcher_on_every_kind_of_value() -> None:
    """Exhaustive beside the generated cases: strings either side of the brackets, against values of every
    type whose SQL form may compare equal or in range (object and array texts, numbers, booleans, null)."""
    values: list[Any] = [None, True, False, 0, 1, 2.5, "", "a", "Z", "[", "[1", "{", "~", "上海"]
    values += [{"x": "a"}, {}, ["a"], [], [1], '{"x":"a"}', '["a"]', "[]"]
    bounds: list[Any] = ["", "1", "a", "Z", "[", "[1", "\\", "{", "|", "~", "上海", '{"x":"a"}', "[]", 0, 3]
    conn = sqlite3.connect(":memory:")
    conn.execute("CREATE TABLE c (id TEXT PRIMARY KEY, doc TEXT)")
    docs = [{"_id": str(i), "v": v} for i, v in enumerate(values)] + [{"_id": "missing"}]
    arrays: set[str] = set()
    for doc in docs:
        text, paths = encode_document(doc)
        arrays |= paths
        conn.execute("INSERT INTO c VALUES (?, ?)", (doc["_id"], text))
    filters: list[dict[str, Any]] = [{"v": {low: a, high: b}} for low in ("$gt", "$gte") for high in ("$lt", "$lte")
                                     for a in bounds for b in bounds]  # fmt: skip
    filters += [{"v": {op: b}} for op in ("$gt", "$gte", "$lt", "$lte", "$ne") for b in bounds]
    filters += [{"v": b} for b in bounds] + [{"v": {"$in": [b, "a"]}} for b in bounds]
    filters += [{"v": {"$nin": [b, "a"]}} for b in bounds]
    for filter in filters:
        where, params = SqlTranslator(arrays).where(filter)
        from_sql = {row[0] for row in conn.execute(f"SELECT id FROM c WHERE {where}", params)}
        matches = compile_matcher(filter)
        assert from_sql == {d["_id"] for d in docs if matches(d)}, (filter, where)
    # Without arrays on the path (the store knows which paths held one), the same filters.
    scalars = [d for d in docs if not isinstance(d.get("v"), list)]
    conn.execute("DELETE FROM c WHERE json_type(doc, '$.v') = 'array'")
    for filter in filters:
        where, params = SqlTranslator().where(filter)
        from_sql = {row[0] for row in conn.execute(f"SELECT id FROM c WHERE {where}", params)}
        matches = compile_matcher(filter)
        assert from_sql == {d["_id"] for d in scalars if matches(d)}, (filter, where)
