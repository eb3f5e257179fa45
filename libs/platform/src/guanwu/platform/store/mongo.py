"""The document store on a MongoDB-wire server (FerretDB 1.x locally, MongoDB in production).

Uses PyMongo's native async API (`AsyncMongoClient`, not Motor). A client belongs to the event loop it
first runs on: make one store per loop and `await close()` it.

Filters are validated by the shared parser (so an unsupported operator fails here as it does in SQLite)
and sent unchanged; documents are checked against the same JSON rules before every write.

Atomicity on FerretDB 1.24 (SQLite and PostgreSQL backends alike; docs/stores.md): every update is a read of
the matching documents followed by a write by `_id`, with nothing in between re-checking the filter. Two
processes incrementing one counter through `replace` lose about half of the increments
(tests/integration/test_store_mongo.py), so the `_version` guard alone does not stop lost updates there
(MongoDB applies it atomically). Choices: a claims collection with unique inserts (atomic on FerretDB, but one
more round trip per write and stuck claims after a crash) or serialising writes per document inside the
process. The adapter does the latter: every conditional write and every outbox pull takes an asyncio lock for
its document, which makes the contract hold for all writers in one process (a service and its outbox relay
share one store). Writers in different processes on FerretDB 1.x can still lose updates: run one replica per
service on FerretDB, MongoDB in production. On MongoDB the lock costs one uncontended acquire.

`pull_outbox`: FerretDB 1.24 accepts `$pull` with a condition (`{"envelope.id": {"$in": ...}}`) but silently
removes nothing (only exact values are pulled). So the adapter reads the outbox, `$pullAll`s the exact
entries it found (atomic, idempotent, no `_version` bump), then clears `_outbox_pending` with a write that
only matches while the outbox is still empty: an event added in between keeps the flag set.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Iterator, Sequence
from contextlib import AsyncExitStack, asynccontextmanager, contextmanager
from typing import Any

import pymongo
from pymongo import AsyncMongoClient, UpdateOne
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.errors import BulkWriteError, OperationFailure, PyMongoError
from pymongo.results import UpdateResult

from guanwu.platform.store.blobs import BlobStore
from guanwu.platform.store.filters import (
    OUTBOX_EVENT_ID_PATH,
    check_document,
    check_index,
    check_sort,
    check_without,
    get_path,
    parse_filter,
)
from guanwu.platform.store.port import (
    OUTBOX_FIELD,
    OUTBOX_PENDING_FIELD,
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

_DUPLICATE_KEY_CODES = (11000, 11001, 12582)
_NOT_IMPLEMENTED = 238
_NAMESPACE_EXISTS = 48
_RENAME_ATTEMPTS = 5

# FerretDB 1.24 on PostgreSQL keeps one pooled connection per statement of an `update` command until the whole
# command ends (msg_update.go defers each statement's iterator Close inside its loop): a command with more
# statements than the pool (50 by default) waits for itself forever and wedges the server. Keep commands small.
_MAX_UPDATES_PER_COMMAND = 16


@contextmanager
def _duplicates_as(collection: str) -> Iterator[None]:
    """Map the server's duplicate-key failures to the port's DuplicateKeyError.

    FerretDB 1.24 on PostgreSQL reports a unique-index violation by an update (`replace_one`, upserts) or by
    `createIndex` over duplicates as code 1 InternalError carrying PostgreSQL's unique_violation (SQLSTATE
    23505), not as E11000 as MongoDB does: match both.
    """
    try:
        yield
    except OperationFailure as exc:
        if exc.code in _DUPLICATE_KEY_CODES or _is_postgres_unique_violation(exc):
            raise DuplicateKeyError(f"{collection}: {exc}") from exc
        raise


def _is_postgres_unique_violation(exc: OperationFailure) -> bool:
    return exc.code == 1 and "(SQLSTATE 23505)" in str(exc)


class _DocumentLocks:
    """One asyncio lock per document id while anybody holds or waits for it (no unbounded growth)."""

    def __init__(self) -> None:
        self._locks: dict[str, tuple[asyncio.Lock, int]] = {}

    @asynccontextmanager
    async def hold(self, doc_id: str) -> AsyncIterator[None]:
        lock, users = self._locks.get(doc_id) or (asyncio.Lock(), 0)
        self._locks[doc_id] = (lock, users + 1)
        try:
            async with lock:
                yield
        finally:
            lock, users = self._locks[doc_id]
            if users == 1:
                del self._locks[doc_id]
            else:
                self._locks[doc_id] = (lock, users - 1)

    @asynccontextmanager
    async def hold_all(self, doc_ids: Sequence[str]) -> AsyncIterator[None]:
        """Every lock of these documents, taken in sorted order: other holders take one lock at a time, so
        no two callers can wait for each other."""
        async with AsyncExitStack() as stack:
            for doc_id in sorted(set(doc_ids)):
                await stack.enter_async_context(self.hold(doc_id))
            yield


class MongoDocumentStore:
    def __init__(
        self, url: str, database: str, *, ping_timeout_seconds: float = 2.0, **client_options: Any
    ) -> None:
        self._client: AsyncMongoClient[Document] = AsyncMongoClient(url, **client_options)
        self._db = self._client[database]
        self._ping_timeout = ping_timeout_seconds
        self._collections: dict[str, MongoCollection] = {}

    @property
    def client(self) -> AsyncMongoClient[Document]:
        return self._client

    def collection(self, name: str) -> MongoCollection:
        if name not in self._collections:
            self._collections[name] = MongoCollection(self._db[name])
        return self._collections[name]

    def blobs(self, bucket: str) -> BlobStore:
        """Blobs in GridFS in this database (`<bucket>.files` / `<bucket>.chunks`)."""
        from guanwu.platform.store.blobs_gridfs import GridFSBlobStore

        return GridFSBlobStore(self._db, bucket)

    async def ping(self) -> bool:
        try:
            # Client-side operation timeout: bounds server selection too, so a dead server answers False fast.
            with pymongo.timeout(self._ping_timeout):
                await self._client.admin.command("ping")
        except PyMongoError:
            return False
        return True

    async def rename_collection(self, source: str, target: str) -> None:
        """MongoDB replaces the target in one step (`dropTarget`). FerretDB 1.24 answers that with
        NotImplemented; there the target is first renamed aside, the source renamed over, and the old one dropped:
        between the two renames the target reads empty, and a write that lands in that moment creates the target
        again (dropped and the rename tried again: a rebuild catches such writes up, `guanwu.platform.replay`)."""
        names = set(await self._db.list_collection_names())
        if source not in names:
            await self._db.drop_collection(target)
            return
        try:
            await self._rename(source, target, drop_target=True)
            return
        except OperationFailure as exc:
            if exc.code != _NOT_IMPLEMENTED:
                raise
        retired = f"{target}__retired_{uuid.uuid4().hex[:8]}"
        if target in names:
            await self._rename(target, retired)
        for _ in range(_RENAME_ATTEMPTS):
            try:
                await self._rename(source, target)
                break
            except OperationFailure as exc:
                if exc.code != _NAMESPACE_EXISTS:
                    raise
                await self._db.drop_collection(target)
        else:
            raise StoreError(f"{target}: recreated by writers on every attempt to rename {source} over it")
        await self._db.drop_collection(retired)

    async def _rename(self, source: str, target: str, *, drop_target: bool = False) -> None:
        database = self._db.name
        command: dict[str, Any] = {"renameCollection": f"{database}.{source}", "to": f"{database}.{target}"}
        if drop_target:
            command["dropTarget"] = True
        await self._client.admin.command(command)

    async def drop_collection(self, name: str) -> None:
        await self._db.drop_collection(name)

    async def collection_names(self) -> list[str]:
        return sorted(await self._db.list_collection_names())

    async def drop(self) -> None:
        """Drop the whole database (tests)."""
        await self._client.drop_database(self._db.name)

    async def close(self) -> None:
        await self._client.close()


class MongoCollection:
    def __init__(self, collection: AsyncCollection[Document]) -> None:
        self.name = collection.name
        self._col = collection
        self._locks = _DocumentLocks()

    async def insert(self, doc: Document) -> Document:
        stored = as_inserted(doc)
        check_document(stored)
        with _duplicates_as(self.name):
            await self._col.insert_one(dict(stored))  # insert_one would add fields to the dict it is given
        return stored

    async def insert_many(self, docs: Sequence[Document]) -> list[bool]:
        stored = [as_inserted(doc) for doc in docs]
        for doc in stored:
            check_document(doc)
        if not stored:
            return []
        inserted = [True] * len(stored)
        try:
            await self._col.insert_many(stored, ordered=False)
        except BulkWriteError as exc:
            for error in exc.details.get("writeErrors", []):
                if error.get("code") not in _DUPLICATE_KEY_CODES:
                    raise
                inserted[error["index"]] = False
        return inserted

    async def get(self, doc_id: str) -> Document | None:
        return await self._col.find_one({"_id": doc_id})

    async def get_many(self, doc_ids: Sequence[str]) -> list[Document]:
        # Concurrent reads by `_id`, not one `$in` query: FerretDB 1.24 sends only equality filters to
        # PostgreSQL and evaluates `$in` itself over every document of the collection (docs/stores.md).
        found = await asyncio.gather(*(self.get(doc_id) for doc_id in dict.fromkeys(doc_ids)))
        return [doc for doc in found if doc is not None]

    async def find_one(self, filter: Filter) -> Document | None:
        parse_filter(filter)
        return await self._col.find_one(dict(filter))

    async def find(
        self,
        filter: Filter,
        *,
        sort: SortSpec = (),
        skip: int = 0,
        limit: int = 0,
    ) -> list[Document]:
        return await self._find(filter, sort=sort, skip=skip, limit=limit)

    async def _find(
        self, filter: Filter, *, sort: SortSpec, skip: int, limit: int, without: Sequence[str] = ()
    ) -> list[Document]:
        parse_filter(filter)
        if skip < 0 or limit < 0:
            raise ValueError("skip and limit must not be negative")
        projection = {field: 0 for field in check_without(without)} or None
        cursor = self._col.find(
            dict(filter), projection, sort=check_sort(sort) or None, skip=skip, limit=limit
        )
        return await cursor.to_list()

    async def count(self, filter: Filter) -> int:
        parse_filter(filter)
        return await self._col.count_documents(dict(filter))

    async def page(
        self,
        filter: Filter,
        *,
        sort: SortSpec = (),
        skip: int = 0,
        limit: int = 0,
        without: Sequence[str] = (),
    ) -> tuple[int, list[Document]]:
        # Both queries in flight at once: one round trip's wait instead of two.
        total, docs = await asyncio.gather(
            self.count(filter), self._find(filter, sort=sort, skip=skip, limit=limit, without=without)
        )
        return total, docs

    async def replace(self, doc: Document, *, expected_version: int) -> Document:
        stored = {**doc, VERSION_FIELD: expected_version + 1}
        check_document(stored)
        async with self._locks.hold(stored["_id"]):
            result = await self._replace_one({"_id": stored["_id"], VERSION_FIELD: expected_version}, stored)
        if result.matched_count != 1:
            raise ConcurrencyConflict(self.name, stored["_id"], expected_version)
        return stored

    async def replace_keeping_outbox(self, doc: Document, *, expected_version: int) -> Document:
        # Under the document's lock, which the relay's pulls take too: its cleanup cannot land between
        # reading the outbox and writing it back.
        async with self._locks.hold(doc["_id"]):
            current = await self._col.find_one({"_id": doc["_id"]}, {OUTBOX_FIELD: 1, VERSION_FIELD: 1})
            if current is None or current.get(VERSION_FIELD) != expected_version:
                raise ConcurrencyConflict(self.name, doc["_id"], expected_version)
            stored = with_kept_outbox(doc, current, expected_version)
            check_document(stored)
            result = await self._replace_one({"_id": stored["_id"], VERSION_FIELD: expected_version}, stored)
        if result.matched_count != 1:
            raise ConcurrencyConflict(self.name, stored["_id"], expected_version)
        return stored

    async def upsert(self, doc: Document) -> None:
        stored = doc if VERSION_FIELD in doc else as_inserted(doc)
        check_document(stored)
        async with self._locks.hold(stored["_id"]):
            await self._replace_one({"_id": stored["_id"]}, stored, upsert=True)

    async def delete(self, doc_id: str, *, expected_version: int | None = None) -> bool:
        query: dict[str, Any] = {"_id": doc_id}
        if expected_version is not None:
            query[VERSION_FIELD] = expected_version
        async with self._locks.hold(doc_id):
            result = await self._col.delete_one(query)
        if result.deleted_count != 1 and expected_version is not None:
            raise ConcurrencyConflict(self.name, doc_id, expected_version)
        return result.deleted_count == 1

    async def delete_many(self, filter: Filter) -> int:
        parse_filter(filter)
        result = await self._col.delete_many(dict(filter))
        return result.deleted_count

    async def pull_outbox(
        self, doc_id: str, event_ids: Sequence[str], *, read_version: int | None = None
    ) -> None:
        async with self._locks.hold(doc_id):
            if read_version is not None and await self._clear_outbox_if_unchanged(doc_id, read_version):
                return
            await self._pull_outbox(doc_id, set(event_ids))

    async def pull_outbox_many(self, pulls: Sequence[OutboxPull]) -> None:
        """Bulk writes clear every outbox whose document is unchanged since the relay read it; the few
        documents that changed meanwhile (read again by `_id`) take the general path."""
        if not pulls:
            return
        async with self._locks.hold_all([p.doc_id for p in pulls]):
            guarded = [p for p in pulls if p.read_version is not None]
            rest = [p for p in pulls if p.read_version is None]
            if guarded and await self._clear_outboxes_if_unchanged(guarded) < len(guarded):
                current = await self.get_many([p.doc_id for p in guarded])
                still_pending = {d["_id"] for d in current if d.get(OUTBOX_PENDING_FIELD)}
                rest += [p for p in guarded if p.doc_id in still_pending]
            for pull in rest:
                await self._pull_outbox(pull.doc_id, set(pull.event_ids))

    async def _clear_outboxes_if_unchanged(self, pulls: Sequence[OutboxPull]) -> int:
        updates = [
            UpdateOne(
                {"_id": p.doc_id, VERSION_FIELD: p.read_version},
                {"$set": {OUTBOX_FIELD: [], OUTBOX_PENDING_FIELD: False}},
            )
            for p in pulls
        ]
        matched = 0
        for start in range(0, len(updates), _MAX_UPDATES_PER_COMMAND):
            chunk = updates[start : start + _MAX_UPDATES_PER_COMMAND]
            matched += (await self._col.bulk_write(chunk, ordered=False)).matched_count
        return matched

    async def _clear_outbox_if_unchanged(self, doc_id: str, read_version: int) -> bool:
        # Every writer that adds events bumps `_version`, so an unchanged version means the caller
        # published the whole outbox. Same-process writers are excluded by the document lock held here.
        result = await self._col.update_one(
            {"_id": doc_id, VERSION_FIELD: read_version},
            {"$set": {OUTBOX_FIELD: [], OUTBOX_PENDING_FIELD: False}},
        )
        return result.matched_count == 1

    async def _pull_outbox(self, doc_id: str, published_ids: set[str]) -> None:
        doc = await self._col.find_one({"_id": doc_id}, {OUTBOX_FIELD: 1, OUTBOX_PENDING_FIELD: 1})
        if doc is None:
            return
        outbox = doc.get(OUTBOX_FIELD) or []
        published = [e for e in outbox if get_path(e, OUTBOX_EVENT_ID_PATH) in published_ids]
        if published:
            await self._col.update_one({"_id": doc_id}, {"$pullAll": {OUTBOX_FIELD: published}})
        if len(published) == len(outbox) and doc.get(OUTBOX_PENDING_FIELD):
            await self._col.update_one(
                {"_id": doc_id, f"{OUTBOX_FIELD}.0": {"$exists": False}},
                {"$set": {OUTBOX_PENDING_FIELD: False}},
            )

    async def _replace_one(self, query: Document, doc: Document, *, upsert: bool = False) -> UpdateResult:
        with _duplicates_as(self.name):
            return await self._col.replace_one(query, doc, upsert=upsert)

    async def ensure_index(self, fields: Sequence[tuple[str, int]], *, unique: bool = False) -> None:
        keys = check_index(fields)
        with _duplicates_as(self.name):
            await self._col.create_index(keys, unique=unique)
