"""The document store port: what services need from a document database, and nothing FerretDB 1.x lacks.

Documents are JSON-like dicts with a string `_id`. Every write that changes an existing document carries the
`_version` it read (optimistic concurrency); the store bumps it. Tenancy is not the store's business: the
repositories put `tenant` into every filter.

Filters are a small subset of MongoDB's query language so the Mongo adapter passes them through unchanged
and the SQLite adapter can translate them: `{"field": value}` (equality; dotted paths into sub-documents),
and operator dicts `{"field": {"$in": [...]}}`, `$nin`, `$ne`, `$gt`, `$gte`, `$lt`, `$lte`, `$exists`.
Sorting by a list of (field, 1|-1).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

Document = dict[str, Any]
Filter = Mapping[str, Any]
SortSpec = Sequence[tuple[str, int]]

VERSION_FIELD = "_version"
OUTBOX_FIELD = "_outbox"
OUTBOX_PENDING_FIELD = "_outbox_pending"


def as_inserted(doc: Document) -> Document:
    """The document as `insert` / `insert_many` store it: a new document starts at `_version` 1."""
    return {**doc, VERSION_FIELD: 1}


def with_kept_outbox(doc: Document, stored: Document, expected_version: int) -> Document:
    """What `replace_keeping_outbox` writes over `stored`: `doc`, its outbox entries after those `stored` still
    holds, at the next version (shared by the adapters)."""
    outbox = [*(stored.get(OUTBOX_FIELD) or []), *(doc.get(OUTBOX_FIELD) or [])]
    return {
        **doc,
        OUTBOX_FIELD: outbox,
        OUTBOX_PENDING_FIELD: bool(outbox),
        VERSION_FIELD: expected_version + 1,
    }


class StoreError(Exception):
    """Base of the store's errors."""


class DuplicateKeyError(StoreError):
    """An insert hit an existing `_id` or a unique index."""


class ConcurrencyConflict(StoreError):
    """The document changed (or vanished) since it was read: its `_version` no longer matches."""

    def __init__(self, collection: str, doc_id: str, expected_version: int) -> None:
        super().__init__(f"{collection}/{doc_id}: expected version {expected_version} is stale")
        self.collection = collection
        self.doc_id = doc_id
        self.expected_version = expected_version


@dataclass(frozen=True)
class OutboxPull:
    """Published events to take out of one document's outbox (see `Collection.pull_outbox`)."""

    doc_id: str
    event_ids: Sequence[str]
    read_version: int | None = None


class Collection(Protocol):
    name: str

    async def insert(self, doc: Document) -> Document:
        """Insert a new document (sets `_version` = 1). Raises DuplicateKeyError."""

    async def insert_many(self, docs: Sequence[Document]) -> list[bool]:
        """Insert new documents (each gets `_version` = 1) in one round trip. Returns, in order, whether each
        was inserted: False when its `_id` or a unique key existed already (also earlier in the same batch).
        Each document is inserted or refused on its own; any other failure raises."""

    async def get(self, doc_id: str) -> Document | None: ...

    async def get_many(self, doc_ids: Sequence[str]) -> list[Document]:
        """The documents with these ids that exist, in one round trip (order unspecified)."""

    async def find_one(self, filter: Filter) -> Document | None: ...

    async def find(
        self,
        filter: Filter,
        *,
        sort: SortSpec = (),
        skip: int = 0,
        limit: int = 0,
    ) -> list[Document]:
        """limit=0 means no limit."""

    async def count(self, filter: Filter) -> int: ...

    async def page(
        self,
        filter: Filter,
        *,
        sort: SortSpec = (),
        skip: int = 0,
        limit: int = 0,
        without: Sequence[str] = (),
    ) -> tuple[int, list[Document]]:
        """`count(filter)` and `find(filter, ...)` in one call: how many match and one page of them, what a
        list shows (SQLite: one trip to its reading thread; Mongo: the two queries at once). `without` names
        top-level fields left out of the page's documents (what a list's rows do not show: not decoded,
        not sent)."""

    async def replace(self, doc: Document, *, expected_version: int) -> Document:
        """Replace the whole document if its stored `_version` equals expected_version; bumps `_version`.
        Raises ConcurrencyConflict otherwise (also when the document does not exist)."""

    async def replace_keeping_outbox(self, doc: Document, *, expected_version: int) -> Document:
        """`replace`, except that the outbox entries the stored document still holds are kept, ahead of the new
        entries `doc` carries in `_outbox`; returns the document as written. One atomic step with respect to the
        relay's `pull_outbox` (in the store's process): an entry the relay cleaned up in the meantime is neither
        written back (which would publish it twice) nor is an unpublished one lost."""

    async def upsert(self, doc: Document) -> None:
        """Write the document whatever is there (for projections that carry their own ordering guard)."""

    async def delete(self, doc_id: str, *, expected_version: int | None = None) -> bool:
        """True when a document was deleted. With expected_version, raises ConcurrencyConflict on mismatch."""

    async def delete_many(self, filter: Filter) -> int: ...

    async def pull_outbox(
        self, doc_id: str, event_ids: Sequence[str], *, read_version: int | None = None
    ) -> None:
        """Remove published events from the document's outbox without bumping `_version`, and clear
        `_outbox_pending` when nothing is left. Atomic on the one document.

        `read_version` is a hint from a caller that published EVERY outbox entry of the document as read at
        that version: an adapter may then clear the whole outbox in one write guarded by the version (one
        round trip instead of several), falling back to the general path when the document changed."""

    async def pull_outbox_many(self, pulls: Sequence[OutboxPull]) -> None:
        """`pull_outbox` for several documents with one write to the store (the relay cleans a page at once)."""

    async def ensure_index(self, fields: Sequence[tuple[str, int]], *, unique: bool = False) -> None: ...


class DocumentStore(Protocol):
    def collection(self, name: str) -> Collection: ...

    async def rename_collection(self, source: str, target: str) -> None:
        """Give collection `source` the name `target`, replacing whatever `target` held (its documents and its
        indexes; `source`'s indexes come along). Readers of `target` see the old collection or the new one,
        never a mix (on FerretDB 1.x, which cannot replace a target in one step, there is a moment in which
        `target` reads empty: docs/stores.md). A `source` that does not exist is an empty collection: `target`
        is dropped. How a read model is rebuilt and switched over (`guanwu.platform.replay`)."""

    async def drop_collection(self, name: str) -> None:
        """Remove the collection with its documents and indexes; nothing when it does not exist."""

    async def collection_names(self) -> list[str]:
        """The collections that exist, sorted."""

    async def ping(self) -> bool:
        """True when the store answers (readiness)."""

    async def close(self) -> None: ...
