"""Helpers that make a consumer's effect idempotent under at-least-once delivery."""

from __future__ import annotations

import hashlib
from typing import Any

from guanwu.platform.store.port import Collection, ConcurrencyConflict, Document, DuplicateKeyError

PROJECTION_VERSION_FIELD = "aggregate_version"


def deterministic_id(*parts: str) -> str:
    """The same inputs always give the same id, so a redelivered event targets the same document."""
    digest = hashlib.sha256("\x1f".join(parts).encode("utf-8")).hexdigest()
    return digest[:32]


async def insert_once(collection: Collection, doc: Document) -> bool:
    """Insert a document whose `_id` is derived from the event; False when it already exists."""
    try:
        await collection.insert(doc)
    except DuplicateKeyError:
        return False
    return True


async def apply_if_newer(
    collection: Collection, doc_id: str, aggregate_version: int, fields: dict[str, Any]
) -> bool:
    """Projection write guarded by the aggregate's version: an old or repeated event changes nothing.

    Returns True when the projection changed. Conflicts with a concurrent writer are retried.
    """
    for _ in range(20):
        current = await collection.get(doc_id)
        if current is not None and int(current.get(PROJECTION_VERSION_FIELD, 0)) >= aggregate_version:
            return False
        new_doc: Document = {
            **(current or {}),
            **fields,
            "_id": doc_id,
            PROJECTION_VERSION_FIELD: aggregate_version,
        }
        try:
            if current is None:
                await collection.insert(new_doc)
            else:
                await collection.replace(new_doc, expected_version=int(current["_version"]))
            return True
        except (DuplicateKeyError, ConcurrencyConflict):
            continue
    raise ConcurrencyConflict(collection.name, doc_id, aggregate_version)
