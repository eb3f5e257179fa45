"""Document store port and its adapters (SQLite for the embedded default, MongoDB/FerretDB when distributed)."""

from guanwu.platform.store.memory import MemoryDocumentStore
from guanwu.platform.store.mongo import MongoDocumentStore
from guanwu.platform.store.port import (
    OUTBOX_FIELD,
    OUTBOX_PENDING_FIELD,
    VERSION_FIELD,
    Collection,
    ConcurrencyConflict,
    Document,
    DocumentStore,
    DuplicateKeyError,
    Filter,
    StoreError,
)
from guanwu.platform.store.sqlite import SqliteDocumentStore

__all__ = [
    "OUTBOX_FIELD",
    "OUTBOX_PENDING_FIELD",
    "VERSION_FIELD",
    "Collection",
    "ConcurrencyConflict",
    "Document",
    "DocumentStore",
    "DuplicateKeyError",
    "Filter",
    "MemoryDocumentStore",
    "MongoDocumentStore",
    "SqliteDocumentStore",
    "StoreError",
]
