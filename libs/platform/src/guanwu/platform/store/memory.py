"""An in-memory `DocumentStore` for unit tests, with the semantics of the real adapters.

Documents are kept as the JSON text the SQLite adapter would store (so non-JSON values fail the same way and
every read returns a fresh copy) plus the parsed form for matching. Filters go through the shared Python
matcher of `filters`, the reference the SQL translation is tested against. Every operation runs without an
await between its read and its write, so each is atomic on the event loop.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from guanwu.platform.store.blobs import MemoryBlobStore, check_bucket
from guanwu.platform.store.filters import (
    check_index,
    check_without,
    compile_matcher,
    decode_document,
    encode_document,
    get_path,
    pull_events,
    sort_documents,
)
from guanwu.platform.store.port import (
    VERSION_FIELD,
    ConcurrencyConflict,
    Document,
    DuplicateKeyError,
    Filter,
    OutboxPull,
    SortSpec,
    as_inserted,
    with_kept_outbox,
)


class MemoryDocumentStore:
    def __init__(self) -> None:
        self._collections: dict[str, MemoryCollection] = {}
        self._blobs: dict[str, MemoryBlobStore] = {}
        self._closed = False

    def collection(self, name: str) -> MemoryCollection:
        if name not in self._collections:
            self._collections[name] = MemoryCollection(name)
        return self._collections[name]

    def blobs(self, bucket: str) -> MemoryBlobStore:
        """Blobs in memory, one store per bucket for the life of this store."""
        return self._blobs.setdefault(check_bucket(bucket), MemoryBlobStore())

    async def rename_collection(self, source: str, target: str) -> None:
        # The target's object takes over the source's contents: read models hold their Collection objects.
        moved = self._collections.pop(source, None) or MemoryCollection(source)
        self.collection(target).take_over(moved)

    async def drop_collection(self, name: str) -> None:
        dropped = self._collections.pop(name, None)
        if dropped is not None:
            dropped.take_over(MemoryCollection(name))  # a holder of the old object sees it empty

    async def collection_names(self) -> list[str]:
        return sorted(self._collections)

    async def ping(self) -> bool:
        return not self._closed

    async def close(self) -> None:
        self._closed = True


class MemoryCollection:
    def __init__(self, name: str) -> None:
        self.name = name
        self._texts: dict[str, str] = {}  # insertion order = natural order, as in a fresh SQLite table
        self._docs: dict[str, Document] = {}
        self._unique: list[list[str]] = []

    def take_over(self, other: MemoryCollection) -> None:
        """This collection's contents and indexes become `other`'s (`MemoryDocumentStore.rename_collection`)."""
        self._texts, self._docs, self._unique = other._texts, other._docs, other._unique

    async def insert(self, doc: Document) -> Document:
        stored = as_inserted(doc)
        text = self._encode(stored)
        if stored["_id"] in self._texts:
            raise DuplicateKeyError(f"{self.name}: duplicate _id {stored['_id']!r}")
        self._write(stored, text)
        return stored

    async def insert_many(self, docs: Sequence[Document]) -> list[bool]:
        stored = [as_inserted(doc) for doc in docs]
        texts = [self._encode(doc) for doc in stored]  # a non-JSON document refuses the whole batch
        inserted = []
        for doc, text in zip(stored, texts, strict=True):
            try:
                if doc["_id"] in self._texts:
                    raise DuplicateKeyError(doc["_id"])
                self._write(doc, text)
            except DuplicateKeyError:
                inserted.append(False)
            else:
                inserted.append(True)
        return inserted

    async def get(self, doc_id: str) -> Document | None:
        text = self._texts.get(doc_id)
        return None if text is None else decode_document(text)

    async def get_many(self, doc_ids: Sequence[str]) -> list[Document]:
        return [decode_document(self._texts[i]) for i in dict.fromkeys(doc_ids) if i in self._texts]

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
        if skip < 0 or limit < 0:
            raise ValueError("skip and limit must not be negative")
        ids = self._matching_ids(filter)
        if sort:
            ids = [d["_id"] for d in sort_documents([self._docs[i] for i in ids], sort)]
        ids = ids[skip : skip + limit] if limit else ids[skip:]
        return [decode_document(self._texts[i]) for i in ids]

    async def count(self, filter: Filter) -> int:
        return len(self._matching_ids(filter))

    async def page(
        self,
        filter: Filter,
        *,
        sort: SortSpec = (),
        skip: int = 0,
        limit: int = 0,
        without: Sequence[str] = (),
    ) -> tuple[int, list[Document]]:
        left_out = set(check_without(without))
        docs = await self.find(filter, sort=sort, skip=skip, limit=limit)
        return await self.count(filter), [{k: v for k, v in d.items() if k not in left_out} for d in docs]

    async def replace(self, doc: Document, *, expected_version: int) -> Document:
        stored = {**doc, VERSION_FIELD: expected_version + 1}
        text = self._encode(stored)
        current = self._docs.get(stored["_id"])
        if current is None or current.get(VERSION_FIELD) != expected_version:
            raise ConcurrencyConflict(self.name, stored["_id"], expected_version)
        self._write(stored, text)
        return stored

    async def replace_keeping_outbox(self, doc: Document, *, expected_version: int) -> Document:
        current = self._docs.get(doc["_id"])
        if current is None or current.get(VERSION_FIELD) != expected_version:
            raise ConcurrencyConflict(self.name, doc["_id"], expected_version)
        stored = with_kept_outbox(doc, current, expected_version)
        self._write(stored, self._encode(stored))
        return stored

    async def upsert(self, doc: Document) -> None:
        stored = doc if VERSION_FIELD in doc else as_inserted(doc)
        self._write(stored, self._encode(stored))

    async def delete(self, doc_id: str, *, expected_version: int | None = None) -> bool:
        current = self._docs.get(doc_id)
        if expected_version is not None and (
            current is None or current.get(VERSION_FIELD) != expected_version
        ):
            raise ConcurrencyConflict(self.name, doc_id, expected_version)
        if current is None:
            return False
        del self._docs[doc_id], self._texts[doc_id]
        return True

    async def delete_many(self, filter: Filter) -> int:
        ids = self._matching_ids(filter)
        for doc_id in ids:
            del self._docs[doc_id], self._texts[doc_id]
        return len(ids)

    async def pull_outbox(
        self, doc_id: str, event_ids: Sequence[str], *, read_version: int | None = None
    ) -> None:
        # read_version is only a round-trip saver; local writes are cheap, so the general path serves.
        text = self._texts.get(doc_id)
        if text is None:
            return
        doc = decode_document(text)
        if pull_events(doc, set(event_ids)):
            self._write(doc, self._encode(doc))

    async def pull_outbox_many(self, pulls: Sequence[OutboxPull]) -> None:
        for pull in pulls:
            await self.pull_outbox(pull.doc_id, pull.event_ids, read_version=pull.read_version)

    async def ensure_index(self, fields: Sequence[tuple[str, int]], *, unique: bool = False) -> None:
        paths = [f for f, _ in check_index(fields)]
        if not unique or paths in self._unique:
            return
        seen: set[tuple[Any, ...]] = set()
        for doc in self._docs.values():
            key = _unique_key(doc, paths)
            if key is not None and key in seen:
                raise DuplicateKeyError(f"{self.name}: duplicate values for unique index {paths}")
            if key is not None:
                seen.add(key)
        self._unique.append(paths)

    # ------------------------------------------------------------------------------------------- helpers

    def _encode(self, doc: Document) -> str:
        return encode_document(doc)[0]

    def _matching_ids(self, filter: Filter) -> list[str]:
        matches = compile_matcher(filter)
        return [doc_id for doc_id, doc in self._docs.items() if matches(doc)]

    def _write(self, doc: Document, text: str) -> None:
        doc_id = doc["_id"]
        parsed = decode_document(text)
        for paths in self._unique:
            key = _unique_key(parsed, paths)
            if key is None:
                continue
            for other_id, other in self._docs.items():
                if other_id != doc_id and _unique_key(other, paths) == key:
                    raise DuplicateKeyError(f"{self.name}: {doc_id!r} duplicates {other_id!r} on {paths}")
        self._docs[doc_id] = parsed
        self._texts[doc_id] = text


def _unique_key(doc: Document, paths: list[str]) -> tuple[Any, ...] | None:
    """The index key, or None when a field is missing or null: like SQLite and FerretDB 1.x (not MongoDB),
    such documents never collide. Numbers compare across int/float; booleans, strings and numbers never
    collide with each other (1 == 1.0, True != 1)."""
    values = [get_path(doc, p) for p in paths]
    if any(v is None for v in values):
        return None
    return tuple((type(v) is bool, v if not isinstance(v, dict | list) else repr(v)) for v in values)
