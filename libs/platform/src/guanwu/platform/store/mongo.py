"""The document store on a MongoDB-wire server (FerretDB 1.x locally, MongoDB in production).

Uses PyMongo's native async API (`AsyncMongoClient`, not Motor). A client belongs to the event loop it
first runs on: make one store per loop and `await close()` it.

Filters are validated by the shared parser (so an unsupported operator fails here as it does in SQLite)
and sent unchanged; documents are checked against the same JSON rules before every write.

`pull_outbox`: FerretDB 1.24 accepts `$pull` with a condition (`{"envelope.id": {"$in": ...}}`) but silently
removes nothing (only exact values are pulled). So the adapter reads the outbox, `$pullAll`s the exact
entries it found (atomic, idempotent, no `_version` bump), then clears `_outbox_pending` with a write that
only matches while the outbox is still empty: an event added in between keeps the flag set.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pymongo
from guanwu.platform.store.filters import (
    OUTBOX_EVENT_ID_PATH,
    check_document,
    check_index,
    check_sort,
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
    SortSpec,
)
from pymongo import AsyncMongoClient
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.errors import DuplicateKeyError as MongoDuplicateKeyError
from pymongo.errors import OperationFailure, PyMongoError

_DUPLICATE_KEY = 11000


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

    async def ping(self) -> bool:
        try:
            # Client-side operation timeout: bounds server selection too, so a dead server answers False fast.
            with pymongo.timeout(self._ping_timeout):
                await self._client.admin.command("ping")
        except PyMongoError:
            return False
        return True

    async def drop(self) -> None:
        """Drop the whole database (tests)."""
        await self._client.drop_database(self._db.name)

    async def close(self) -> None:
        await self._client.close()


class MongoCollection:
    def __init__(self, collection: AsyncCollection[Document]) -> None:
        self.name = collection.name
        self._col = collection

    async def insert(self, doc: Document) -> Document:
        stored = {**doc, VERSION_FIELD: 1}
        check_document(stored)
        try:
            await self._col.insert_one(dict(stored))  # insert_one would add fields to the dict it is given
        except MongoDuplicateKeyError as exc:
            raise DuplicateKeyError(f"{self.name}: {exc}") from exc
        return stored

    async def get(self, doc_id: str) -> Document | None:
        return await self._col.find_one({"_id": doc_id})

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
        parse_filter(filter)
        if skip < 0 or limit < 0:
            raise ValueError("skip and limit must not be negative")
        cursor = self._col.find(dict(filter), sort=check_sort(sort) or None, skip=skip, limit=limit)
        return await cursor.to_list()

    async def count(self, filter: Filter) -> int:
        parse_filter(filter)
        return await self._col.count_documents(dict(filter))

    async def replace(self, doc: Document, *, expected_version: int) -> Document:
        stored = {**doc, VERSION_FIELD: expected_version + 1}
        check_document(stored)
        try:
            result = await self._col.replace_one(
                {"_id": stored["_id"], VERSION_FIELD: expected_version}, stored
            )
        except MongoDuplicateKeyError as exc:
            raise DuplicateKeyError(f"{self.name}: {exc}") from exc
        if result.matched_count != 1:
            raise ConcurrencyConflict(self.name, stored["_id"], expected_version)
        return stored

    async def upsert(self, doc: Document) -> None:
        stored = doc if VERSION_FIELD in doc else {**doc, VERSION_FIELD: 1}
        check_document(stored)
        try:
            await self._col.replace_one({"_id": stored["_id"]}, stored, upsert=True)
        except MongoDuplicateKeyError as exc:
            raise DuplicateKeyError(f"{self.name}: {exc}") from exc

    async def delete(self, doc_id: str, *, expected_version: int | None = None) -> bool:
        query: dict[str, Any] = {"_id": doc_id}
        if expected_version is not None:
            query[VERSION_FIELD] = expected_version
        result = await self._col.delete_one(query)
        if result.deleted_count != 1 and expected_version is not None:
            raise ConcurrencyConflict(self.name, doc_id, expected_version)
        return result.deleted_count == 1

    async def delete_many(self, filter: Filter) -> int:
        parse_filter(filter)
        result = await self._col.delete_many(dict(filter))
        return result.deleted_count

    async def pull_outbox(self, doc_id: str, event_ids: Sequence[str]) -> None:
        published_ids = set(event_ids)
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

    async def ensure_index(self, fields: Sequence[tuple[str, int]], *, unique: bool = False) -> None:
        keys = check_index(fields)
        try:
            await self._col.create_index(keys, unique=unique)
        except OperationFailure as exc:
            if exc.code == _DUPLICATE_KEY:
                raise DuplicateKeyError(f"{self.name}: {exc}") from exc
            raise
