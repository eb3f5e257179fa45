"""Helpers that make a consumer's effect idempotent under at-least-once delivery."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
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
        new_doc = _projection_doc(current or {}, ProjectionRow(doc_id, aggregate_version, fields))
        try:
            if current is None:
                await collection.insert(new_doc)
            else:
                await collection.replace(new_doc, expected_version=int(current["_version"]))
            return True
        except (DuplicateKeyError, ConcurrencyConflict):
            continue
    raise ConcurrencyConflict(collection.name, doc_id, aggregate_version)


@dataclass(frozen=True)
class ProjectionRow:
    """One projection write: the row, the aggregate version it reflects, and its fields."""

    doc_id: str
    aggregate_version: int
    fields: dict[str, Any]


async def apply_many_if_newer(collection: Collection, rows: Sequence[ProjectionRow]) -> int:
    """`apply_if_newer` for a batch, in a few store calls: one read of every row, one insert of the new ones,
    a guarded replace of each changed one. A row whose write meets a concurrent writer goes through
    `apply_if_newer` alone. Rows must be complete (each write replaces the row's fields). Returns how many
    rows changed."""
    latest: dict[str, ProjectionRow] = {}
    for row in rows:  # several events of one aggregate in a batch: the newest wins
        if row.doc_id not in latest or row.aggregate_version > latest[row.doc_id].aggregate_version:
            latest[row.doc_id] = row
    current = {doc["_id"]: doc for doc in await collection.get_many(list(latest))}
    newer = [
        row
        for row in latest.values()
        if row.doc_id not in current
        or int(current[row.doc_id].get(PROJECTION_VERSION_FIELD, 0)) < row.aggregate_version
    ]
    fresh = [row for row in newer if row.doc_id not in current]
    inserted = await collection.insert_many([_projection_doc({}, row) for row in fresh])
    retry = [row for row, ok in zip(fresh, inserted, strict=True) if not ok]
    changed = sum(inserted)
    for row in (r for r in newer if r.doc_id in current):
        try:
            old = current[row.doc_id]
            await collection.replace(_projection_doc(old, row), expected_version=int(old["_version"]))
            changed += 1
        except ConcurrencyConflict:
            retry.append(row)
    for row in retry:
        changed += await apply_if_newer(collection, row.doc_id, row.aggregate_version, row.fields)
    return changed


def _projection_doc(current: Document, row: ProjectionRow) -> Document:
    return {**current, **row.fields, "_id": row.doc_id, PROJECTION_VERSION_FIELD: row.aggregate_version}
