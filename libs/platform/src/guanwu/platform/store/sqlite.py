"""The embedded document store: one SQLite file in a data folder, one table `(id, doc JSON)` per collection.

Choices:
- Two connections. Writes and reads by `_id` run at once on the calling thread, one at a time under a lock:
  each is one short statement (tens of microseconds), while handing it to a worker thread and back cost five
  times the statement itself (measured: 3,100 against 16,400 inserts/s). Queries that may scan (`find`,
  `count`) run on a second connection in a worker thread, so a large query never holds up the event loop;
  WAL lets it read while the writer writes. `BEGIN IMMEDIATE` serialises writes against other processes
  that open the same file (the event loop then waits for them, up to the busy timeout). Conditional writes
  are single `UPDATE ... WHERE id=? AND json_extract(doc,'$._version')=?` statements checked by rowcount,
  so they stay atomic either way.
- WAL with `synchronous=NORMAL` and autocommit: every acknowledged write is committed to the WAL and survives
  a process kill (a power cut may lose the last commits; that is the documented WAL/NORMAL trade-off).
- Filters, sorts and indexes are all `json_extract(doc, '$."field"')` expressions built by the same
  function, so SQLite matches expression indexes to queries. Unique indexes are UNIQUE expression indexes;
  like FerretDB 1.x (and unlike MongoDB) documents that lack the field never collide.
- Array paths: the filter semantics look inside arrays like Mongo does, which no expression index can serve.
  The store records which paths ever held an array in a collection (`_guanwu_array_paths`) and generates the
  array-aware SQL only for those, so filters on scalar fields keep using their indexes.

Values must be JSON (see `filters`): convert datetimes and Decimals before storing; other values raise TypeError.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import sqlite3
import threading
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

from guanwu.platform.store.blobs import BlobStore, check_bucket
from guanwu.platform.store.filters import (
    SqlTranslator,
    check_index,
    check_without,
    decode_document,
    encode_document,
    json_path,
    json_value_sql,
    order_by_sql,
    sql_literal,
)
from guanwu.platform.store.port import (
    VERSION_FIELD,
    ConcurrencyConflict,
    Document,
    DuplicateKeyError,
    Filter,
    OutboxPull,
    SortSpec,
    StoreError,
    as_inserted,
    with_kept_outbox,
)

T = TypeVar("T")

DEFAULT_FILE_NAME = "documents.sqlite3"
BLOB_FOLDER = "blobs"
_FILE_SUFFIXES = (".sqlite", ".sqlite3", ".db")
_COLLECTION_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,119}$")
_ARRAY_PATHS_TABLE = "_guanwu_array_paths"
_VERSION_SQL = json_value_sql(VERSION_FIELD)

_KEPT_OUTBOX = """
    FROM json_each(doc, '$."_outbox"') AS entry
    WHERE json_extract(entry.value, '$."envelope"."id"') NOT IN (SELECT value FROM json_each(:published))"""
_PULL_OUTBOX_SQL = (
    """UPDATE {table} SET doc = json_set(doc,
    '$."_outbox"', (SELECT json_group_array(json(entry.value))"""
    + _KEPT_OUTBOX
    + """),
    '$."_outbox_pending"', json(CASE WHEN EXISTS (SELECT 1"""
    + _KEPT_OUTBOX
    + """) AND json_extract(doc, '$."_outbox_pending"') THEN 'true' ELSE 'false' END))
WHERE id = :id AND (
    EXISTS (SELECT 1 FROM json_each(doc, '$."_outbox"') AS entry
            WHERE json_extract(entry.value, '$."envelope"."id"') IN (SELECT value FROM json_each(:published)))
    OR (coalesce(json_array_length(doc, '$."_outbox"'), 0) = 0 AND json_extract(doc, '$."_outbox_pending"'))
)"""
)
"""Removes published events from a document's outbox (keeping the others in order) and clears the pending
flag once nothing is left, in one statement. Same effect as `filters.pull_events`."""


_CLEAR_OUTBOX_SQL = (
    """UPDATE {table} SET doc = json_set(doc, '$."_outbox"', json('[]'), '$."_outbox_pending"', json('false'))
WHERE id = ? AND """
    + _VERSION_SQL
    + " = ?"
)
"""Empties the outbox of a document still at the version the relay read (every writer that adds events bumps
`_version`), without decoding it: the common case of `pull_outbox_many`."""


def resolve_database_file(path_or_folder: str | os.PathLike[str]) -> Path:
    """A path ending in .sqlite/.sqlite3/.db is the file itself; anything else is the data folder."""
    path = Path(path_or_folder)
    if path.suffix in _FILE_SUFFIXES and not path.is_dir():
        return path
    return path / DEFAULT_FILE_NAME


class _Link:
    """One connection to the file and what it knows of it: the tables that exist, and per collection the
    paths that ever held an array."""

    def __init__(self, path: Path, busy_timeout_seconds: float) -> None:
        self._path = path
        self._busy_timeout = busy_timeout_seconds
        self._conn: sqlite3.Connection | None = None
        self._tables: set[str] = set()
        self._array_paths: dict[str, set[str]] = {}
        self._data_version = -1

    @property
    def conn(self) -> sqlite3.Connection:
        if self._conn is None:
            self._path.parent.mkdir(parents=True, exist_ok=True)
            # Used by one thread at a time (the store's lock or its worker), not always the one that opened it.
            conn = sqlite3.connect(
                self._path, timeout=self._busy_timeout, isolation_level=None, check_same_thread=False
            )
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=NORMAL")
            conn.execute(
                f"CREATE TABLE IF NOT EXISTS {_ARRAY_PATHS_TABLE} "
                "(collection TEXT NOT NULL, path TEXT NOT NULL, PRIMARY KEY (collection, path)) WITHOUT ROWID"
            )
            self._conn = conn
        return self._conn

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    def ensure_table(self, name: str) -> str:
        table = _quote(name)
        if name not in self._tables:
            self.conn.execute(
                f"CREATE TABLE IF NOT EXISTS {table} (id TEXT PRIMARY KEY NOT NULL, doc TEXT NOT NULL)"
            )
            self._tables.add(name)
            self._array_paths[name] = self._load_array_paths(name)
        return table

    def forget(self, *names: str) -> None:
        """Drop what this connection knows of these tables (renamed or dropped, maybe by another connection)."""
        for name in names:
            self._tables.discard(name)
            self._array_paths.pop(name, None)

    def array_paths(self, name: str) -> set[str]:
        # The other connection, or another process, may have written arrays on new paths: data_version
        # changes when someone else commits.
        version = self.conn.execute("PRAGMA data_version").fetchone()[0]
        if version != self._data_version:
            self._data_version = version
            for known in self._array_paths:
                self._array_paths[known] = self._load_array_paths(known)
        return self._array_paths[name]

    def _load_array_paths(self, name: str) -> set[str]:
        rows = self.conn.execute(
            f"SELECT path FROM {_ARRAY_PATHS_TABLE} WHERE collection = ?", (name,)
        ).fetchall()
        return {row[0] for row in rows}

    @contextmanager
    def transaction(self, name: str, arrays: frozenset[str] = frozenset()) -> Iterator[sqlite3.Connection]:
        """Statements in one write transaction that also records the collection's new array paths."""
        conn = self.conn
        new_paths = arrays - self._array_paths[name]
        conn.execute("BEGIN IMMEDIATE")
        try:
            yield conn
            self._record_array_paths(name, new_paths)
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        self._array_paths[name] |= new_paths

    def write(self, name: str, arrays: frozenset[str], sql: str, params: Sequence[Any]) -> int:
        """Run one write statement, recording new array paths in the same transaction; returns rowcount."""
        try:
            if arrays <= self._array_paths[name]:
                return self.conn.execute(sql, params).rowcount  # autocommit: no transaction needed
            with self.transaction(name, arrays) as conn:
                return conn.execute(sql, params).rowcount
        except sqlite3.IntegrityError as exc:
            raise DuplicateKeyError(f"{name}: {exc}") from exc

    def write_each(self, name: str, arrays: frozenset[str], sql: str, rows: Sequence[Any]) -> list[bool]:
        """Run one write statement per row in ONE transaction; per row, False when it hit a unique key.

        A constraint failure undoes only its own statement, so the other rows still commit."""
        written = []
        with self.transaction(name, arrays) as conn:
            for row in rows:
                try:
                    conn.execute(sql, row)
                except sqlite3.IntegrityError:
                    written.append(False)
                else:
                    written.append(True)
        return written

    def _record_array_paths(self, name: str, paths: set[str] | frozenset[str]) -> None:
        self.conn.executemany(
            f"INSERT OR IGNORE INTO {_ARRAY_PATHS_TABLE} (collection, path) VALUES (?, ?)",
            [(name, path) for path in sorted(paths)],
        )


class SqliteDocumentStore:
    """`DocumentStore` on a SQLite file. Usable from any event loop; `close()` when done."""

    def __init__(self, path_or_folder: str | os.PathLike[str], *, busy_timeout_seconds: float = 10.0) -> None:
        self.path = resolve_database_file(path_or_folder)
        self._writer = _Link(self.path, busy_timeout_seconds)
        self._writer_lock = threading.Lock()
        self._reader = _Link(self.path, busy_timeout_seconds)
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="guanwu-sqlite")
        self._closed = False
        self._collections: dict[str, SqliteCollection] = {}

    def collection(self, name: str) -> SqliteCollection:
        if name not in self._collections:
            if not _COLLECTION_NAME.match(name) or name.startswith(("sqlite_", "_guanwu")):
                raise ValueError(f"invalid collection name {name!r}")
            self._collections[name] = SqliteCollection(self, name)
        return self._collections[name]

    def blobs(self, bucket: str) -> BlobStore:
        """Blobs as files under the data folder, `blobs/<bucket>/` next to the database file."""
        from guanwu.platform.store.blobs_folder import FolderBlobStore

        return FolderBlobStore(self.path.parent / BLOB_FOLDER / check_bucket(bucket))

    async def rename_collection(self, source: str, target: str) -> None:
        """One write transaction: readers (WAL) see the old table or the new one. The source's indexes keep
        their names (`ix__<source>__…`: SQLite cannot rename an index, and building them again would hold the
        write lock for as long as that takes); `ensure_index` knows them by their definition."""
        self.collection(source), self.collection(target)  # checks both names

        def op(link: _Link) -> None:
            source_table, target_table = link.ensure_table(source), link.ensure_table(target)
            with link.transaction(target) as conn:
                conn.execute(f"DROP TABLE {target_table}")
                conn.execute(f"ALTER TABLE {source_table} RENAME TO {target_table}")
                conn.execute(f"DELETE FROM {_ARRAY_PATHS_TABLE} WHERE collection = ?", (target,))
                conn.execute(
                    f"UPDATE {_ARRAY_PATHS_TABLE} SET collection = ? WHERE collection = ?", (target, source)
                )
            link.forget(source, target)

        self.run_here(op)
        await self.run_in_worker(lambda link: link.forget(source, target))

    async def drop_collection(self, name: str) -> None:
        self.collection(name)  # checks the name

        def op(link: _Link) -> None:
            link.ensure_table(name)
            with link.transaction(name) as conn:
                conn.execute(f"DROP TABLE IF EXISTS {_quote(name)}")
                conn.execute(f"DELETE FROM {_ARRAY_PATHS_TABLE} WHERE collection = ?", (name,))
            link.forget(name)

        self.run_here(op)
        await self.run_in_worker(lambda link: link.forget(name))

    async def collection_names(self) -> list[str]:
        def op(link: _Link) -> list[str]:
            sql = "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name"
            names = [str(row[0]) for row in link.conn.execute(sql)]
            return [n for n in names if not n.startswith(("sqlite_", "_guanwu"))]

        return await self.run_in_worker(op)

    async def ping(self) -> bool:
        try:
            await self.run_in_worker(lambda link: link.conn.execute("SELECT 1").fetchone())
        except (StoreError, sqlite3.Error):
            return False
        return True

    async def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        loop = asyncio.get_running_loop()
        await loop.run_in_executor(self._executor, self._reader.close)
        self._executor.shutdown(wait=True)
        with self._writer_lock:
            self._writer.close()

    def run_here(self, fn: Callable[[_Link], T]) -> T:
        """Run fn on the writing connection, here and now (point reads go here too)."""
        if self._closed:
            raise StoreError(f"{self.path}: the store is closed")
        with self._writer_lock:
            return fn(self._writer)

    async def run_in_worker(self, fn: Callable[[_Link], T]) -> T:
        """Run fn on the reading connection in the store's worker thread (queries that may scan)."""
        if self._closed:
            raise StoreError(f"{self.path}: the store is closed")
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._executor, fn, self._reader)


class SqliteCollection:
    def __init__(self, store: SqliteDocumentStore, name: str) -> None:
        self.name = name
        self._store = store

    async def insert(self, doc: Document) -> Document:
        stored = as_inserted(doc)
        text, arrays = encode_document(stored)

        def op(link: _Link) -> None:
            table = link.ensure_table(self.name)
            link.write(
                self.name, arrays, f"INSERT INTO {table} (id, doc) VALUES (?, ?)", (stored["_id"], text)
            )

        self._store.run_here(op)
        return stored

    async def insert_many(self, docs: Sequence[Document]) -> list[bool]:
        if not docs:
            return []
        encoded = [encode_document(as_inserted(doc)) for doc in docs]
        arrays = frozenset().union(*(paths for _, paths in encoded))
        rows = [(doc["_id"], text) for doc, (text, _) in zip(docs, encoded, strict=True)]

        def op(link: _Link) -> list[bool]:
            table = link.ensure_table(self.name)
            return link.write_each(self.name, arrays, f"INSERT INTO {table} (id, doc) VALUES (?, ?)", rows)

        return self._store.run_here(op)

    async def get_many(self, doc_ids: Sequence[str]) -> list[Document]:
        wanted = json.dumps(list(dict.fromkeys(doc_ids)))

        def op(link: _Link) -> list[str]:
            table = link.ensure_table(self.name)
            sql = f"SELECT doc FROM {table} WHERE id IN (SELECT value FROM json_each(?))"
            return [row[0] for row in link.conn.execute(sql, (wanted,))]

        return [decode_document(text) for text in self._store.run_here(op)]

    async def get(self, doc_id: str) -> Document | None:
        def op(link: _Link) -> str | None:
            table = link.ensure_table(self.name)
            row = link.conn.execute(f"SELECT doc FROM {table} WHERE id = ?", (doc_id,)).fetchone()
            return None if row is None else str(row[0])

        text = self._store.run_here(op)
        return None if text is None else decode_document(text)

    async def find_one(self, filter: Filter) -> Document | None:
        found = await self.find(filter, limit=1)
        return found[0] if found else None

    async def find(
        self,
        filter: Filter,
        *,
        sort: SortSpec = (),
        skip: int = 0,
        limit: int = 0,
    ) -> list[Document]:
        select = self._select(filter, sort, skip, limit)
        # A filter naming one `_id` reads at most one row by the primary key: cheap enough to run here.
        texts = (
            self._store.run_here(select)
            if isinstance(filter.get("_id"), str)
            else await self._store.run_in_worker(select)
        )
        return [decode_document(text) for text in texts]

    async def count(self, filter: Filter) -> int:
        return await self._store.run_in_worker(self._counter(filter))

    async def page(
        self,
        filter: Filter,
        *,
        sort: SortSpec = (),
        skip: int = 0,
        limit: int = 0,
        without: Sequence[str] = (),
    ) -> tuple[int, list[Document]]:
        """The count and the page in one trip to the reading thread (each trip is two thread switches, which
        cost milliseconds on a loaded machine) and one read transaction, so they agree. The fields `without`
        names are removed by SQLite (`json_remove`, in C) before the text reaches Python."""
        counter, select = self._counter(filter), self._select(filter, sort, skip, limit, without)

        def op(link: _Link) -> tuple[int, list[str]]:
            link.conn.execute("BEGIN")
            try:
                return counter(link), select(link)
            finally:
                link.conn.execute("COMMIT")

        total, texts = await self._store.run_in_worker(op)
        return total, [decode_document(text) for text in texts]

    def _select(
        self, filter: Filter, sort: SortSpec, skip: int, limit: int, without: Sequence[str] = ()
    ) -> Callable[[_Link], list[str]]:
        if skip < 0 or limit < 0:
            raise ValueError("skip and limit must not be negative")
        order = order_by_sql(sort)
        left_out = [sql_literal(json_path(field)) for field in check_without(without)]
        column = f"json_remove(doc, {', '.join(left_out)})" if left_out else "doc"

        def op(link: _Link) -> list[str]:
            table = link.ensure_table(self.name)
            where, params = SqlTranslator(link.array_paths(self.name)).where(filter)
            sql = f"SELECT {column} FROM {table} WHERE {where}{order} LIMIT ? OFFSET ?"
            return [row[0] for row in link.conn.execute(sql, [*params, limit or -1, skip])]

        return op

    def _counter(self, filter: Filter) -> Callable[[_Link], int]:
        def op(link: _Link) -> int:
            table = link.ensure_table(self.name)
            where, params = SqlTranslator(link.array_paths(self.name)).where(filter)
            return int(link.conn.execute(f"SELECT count(*) FROM {table} WHERE {where}", params).fetchone()[0])

        return op

    async def replace(self, doc: Document, *, expected_version: int) -> Document:
        stored = {**doc, VERSION_FIELD: expected_version + 1}
        text, arrays = encode_document(stored)

        def op(link: _Link) -> int:
            table = link.ensure_table(self.name)
            sql = f"UPDATE {table} SET doc = ? WHERE id = ? AND {_VERSION_SQL} = ?"
            return link.write(self.name, arrays, sql, (text, stored["_id"], expected_version))

        if self._store.run_here(op) != 1:
            raise ConcurrencyConflict(self.name, stored["_id"], expected_version)
        return stored

    async def replace_keeping_outbox(self, doc: Document, *, expected_version: int) -> Document:
        # The outbox entries of `doc` are new, so their array paths are all a new write can add.
        arrays = encode_document({**doc, VERSION_FIELD: expected_version + 1})[1]

        def op(link: _Link) -> Document | None:
            table = link.ensure_table(self.name)
            with link.transaction(self.name, arrays) as conn:
                row = conn.execute(f"SELECT doc FROM {table} WHERE id = ?", (doc["_id"],)).fetchone()
                current = None if row is None else decode_document(str(row[0]))
                if current is None or current.get(VERSION_FIELD) != expected_version:
                    return None
                stored = with_kept_outbox(doc, current, expected_version)
                conn.execute(
                    f"UPDATE {table} SET doc = ? WHERE id = ?", (encode_document(stored)[0], doc["_id"])
                )
                return stored

        try:
            written = self._store.run_here(op)
        except sqlite3.IntegrityError as exc:
            raise DuplicateKeyError(f"{self.name}: {exc}") from exc
        if written is None:
            raise ConcurrencyConflict(self.name, doc["_id"], expected_version)
        return written

    async def upsert(self, doc: Document) -> None:
        stored = doc if VERSION_FIELD in doc else as_inserted(doc)
        text, arrays = encode_document(stored)

        def op(link: _Link) -> None:
            table = link.ensure_table(self.name)
            sql = f"INSERT INTO {table} (id, doc) VALUES (?, ?) ON CONFLICT (id) DO UPDATE SET doc = excluded.doc"
            link.write(self.name, arrays, sql, (stored["_id"], text))

        self._store.run_here(op)

    async def delete(self, doc_id: str, *, expected_version: int | None = None) -> bool:
        def op(link: _Link) -> int:
            table = link.ensure_table(self.name)
            if expected_version is None:
                return link.conn.execute(f"DELETE FROM {table} WHERE id = ?", (doc_id,)).rowcount
            sql = f"DELETE FROM {table} WHERE id = ? AND {_VERSION_SQL} = ?"
            return link.conn.execute(sql, (doc_id, expected_version)).rowcount

        deleted = self._store.run_here(op) == 1
        if not deleted and expected_version is not None:
            raise ConcurrencyConflict(self.name, doc_id, expected_version)
        return deleted

    async def delete_many(self, filter: Filter) -> int:
        def op(link: _Link) -> int:
            table = link.ensure_table(self.name)
            where, params = SqlTranslator(link.array_paths(self.name)).where(filter)
            return link.conn.execute(f"DELETE FROM {table} WHERE {where}", params).rowcount

        return self._store.run_here(op)

    async def pull_outbox(
        self, doc_id: str, event_ids: Sequence[str], *, read_version: int | None = None
    ) -> None:
        # One UPDATE that SQLite's JSON functions carry out: no decoding, checking and re-encoding of the whole
        # document in Python for every relayed command (that cost as much as the command's own write).
        # read_version is only a round-trip saver for remote stores.
        published = json.dumps(list(event_ids))

        def op(link: _Link) -> None:
            table = link.ensure_table(self.name)
            link.conn.execute(_PULL_OUTBOX_SQL.format(table=table), {"published": published, "id": doc_id})

        self._store.run_here(op)

    async def pull_outbox_many(self, pulls: Sequence[OutboxPull]) -> None:
        """One transaction: a document unchanged since the relay read it has its outbox emptied by a plain
        guarded `json_set` (the relay published all of it); the others take the general pull."""

        def op(link: _Link) -> None:
            table = link.ensure_table(self.name)
            with link.transaction(self.name) as conn:
                for pull in pulls:
                    if pull.read_version is not None:
                        cleared = conn.execute(
                            _CLEAR_OUTBOX_SQL.format(table=table), (pull.doc_id, pull.read_version)
                        )
                        if cleared.rowcount == 1:
                            continue
                    published = json.dumps(list(pull.event_ids))
                    conn.execute(
                        _PULL_OUTBOX_SQL.format(table=table), {"published": published, "id": pull.doc_id}
                    )

        if pulls:
            self._store.run_here(op)

    async def ensure_index(self, fields: Sequence[tuple[str, int]], *, unique: bool = False) -> None:
        fields = check_index(fields)
        terms = [f"{json_value_sql(f)} {'ASC' if d > 0 else 'DESC'}" for f, d in fields]
        if [f for f, _ in fields] == ["_id"]:
            return  # the primary key
        spec = "__".join(f"{f}_{d}" for f, d in fields)
        index = _quote(f"ix__{self.name}__{'u__' if unique else ''}{spec}")

        def op(link: _Link) -> None:
            table = link.ensure_table(self.name)
            kind = "UNIQUE INDEX" if unique else "INDEX"
            if _has_index(link.conn, self.name, kind, ", ".join(terms)):
                return  # the same index under the name it had before a rename_collection
            try:
                link.conn.execute(f"CREATE {kind} IF NOT EXISTS {index} ON {table} ({', '.join(terms)})")
            except sqlite3.IntegrityError as exc:
                raise DuplicateKeyError(f"{self.name}: {exc}") from exc

        self._store.run_here(op)


def _has_index(conn: sqlite3.Connection, table: str, kind: str, terms: str) -> bool:
    """Whether the table has an index of this kind on exactly these terms, under whatever name."""
    sql = "SELECT sql FROM sqlite_master WHERE type = 'index' AND tbl_name = ? AND sql IS NOT NULL"
    for (definition,) in conn.execute(sql, (table,)):
        text = str(definition)
        if text.startswith(f"CREATE {kind} ") and text.endswith(f"({terms})"):
            return True
    return False


def _quote(identifier: str) -> str:
    return '"' + identifier.replace('"', '""') + '"'
