"""Document store port and its adapters (SQLite for the embedded default, MongoDB/FerretDB when distributed)."""

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
    "StoreError",
]
