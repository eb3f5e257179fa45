"""One record per signing request (申报): the unsigned message, its signature, and what the Single Window said.

The declaration's request and the card's signature travel on different topics and arrive in either order;
each is kept as one half of the same record (`_id` derived from tenant and request id), and whichever
arrives second finds the record complete. The outcome and its event are written in one write, and only once:
a record that says `sent` or `rejected` is never sent again.
"""

from __future__ import annotations

import contextlib
from collections.abc import Sequence
from datetime import datetime
from enum import StrEnum
from typing import Any

from guanwu.contracts.envelope import Envelope
from guanwu.platform.idempotency import deterministic_id, insert_once
from guanwu.platform.outbox import add_events
from guanwu.platform.store.port import VERSION_FIELD, Collection, ConcurrencyConflict, Document, DocumentStore

DECLARATIONS = "sync_declarations"
REQUEST, SIGNATURE, SIGN_FAILURE = "request", "signature", "sign_failure"
ATTEMPTS = 20


class State(StrEnum):
    WAITING_FOR_SIGNATURE = "waiting_for_signature"
    WAITING_FOR_REQUEST = "waiting_for_request"
    READY = "ready"
    SENT = "sent"
    REJECTED = "rejected"
    SIGN_FAILED = "sign_failed"  # the card did not sign: nothing to send for this request


FINAL = frozenset({State.SENT, State.REJECTED, State.SIGN_FAILED})


def stamp(moment: datetime) -> str:
    """A fixed-width UTC text, so that stored times compare as strings (the retry sweep filters on them)."""
    return moment.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def record_id(tenant: str, request_id: str) -> str:
    return deterministic_id("declare", tenant, request_id)


def _state_with(record: Document) -> str:
    if record.get("state") in FINAL:
        return str(record["state"])
    if record.get(SIGN_FAILURE) and not record.get(SIGNATURE):
        return State.SIGN_FAILED
    if record.get(REQUEST) and record.get(SIGNATURE):
        return State.READY
    return State.WAITING_FOR_REQUEST if record.get(SIGNATURE) else State.WAITING_FOR_SIGNATURE


class DeclareRecords:
    def __init__(self, store: DocumentStore) -> None:
        self.collection: Collection = store.collection(DECLARATIONS)

    async def ensure_indexes(self) -> None:
        await self.collection.ensure_index([("tenant", 1), ("declaration_id", 1)])
        await self.collection.ensure_index([("state", 1), ("updated_at", 1)])

    async def keep(
        self, tenant: str, request_id: str, declaration_id: str, half: str, value: dict[str, Any], now: str
    ) -> Document:
        """Store one half; returns the record after the write (or as it was, when this half was known)."""
        new: Document = {
            "_id": record_id(tenant, request_id),
            "tenant": tenant,
            "request_id": request_id,
            "declaration_id": declaration_id,
            half: value,
            "created_at": now,
            "updated_at": now,
        }
        new["state"] = _state_with(new)
        if await insert_once(self.collection, new):
            return {**new, VERSION_FIELD: 1}
        for _ in range(ATTEMPTS):
            current = await self._get(new["_id"])
            if current.get(half):
                return current  # redelivered: the record already holds it
            changed = {**current, half: value, "updated_at": now}
            changed["state"] = _state_with(changed)
            try:
                return await self.collection.replace(changed, expected_version=current[VERSION_FIELD])
            except ConcurrencyConflict:
                continue
        raise ConcurrencyConflict(self.collection.name, new["_id"], -1)

    async def finish(
        self, record: Document, update: dict[str, Any], events: Sequence[tuple[str, Envelope]]
    ) -> bool:
        """Write the outcome with its events; False when the record was finished meanwhile (a re-send)."""
        current = record
        for _ in range(ATTEMPTS):
            if current.get("state") in FINAL:
                return False
            changed = add_events({**current, **update}, events)
            try:
                await self.collection.replace(changed, expected_version=current[VERSION_FIELD])
                return True
            except ConcurrencyConflict:
                current = await self._get(record["_id"])
        raise ConcurrencyConflict(self.collection.name, record["_id"], -1)

    async def note(self, record: Document, field: str, value: Any, now: str) -> None:
        """Best effort: a concurrent writer wins, the note is only for people reading the record."""
        with contextlib.suppress(ConcurrencyConflict):
            await self.collection.replace(
                {**record, field: value, "updated_at": now}, expected_version=record[VERSION_FIELD]
            )

    async def ready_before(self, cutoff: str, limit: int = 50) -> list[Document]:
        """Complete records left unsent (the Single Window was down) and untouched since `cutoff`."""
        return await self.collection.find(
            {"state": State.READY.value, "updated_at": {"$lt": cutoff}}, limit=limit
        )

    async def for_declaration(self, tenant: str, declaration_id: str) -> list[Document]:
        """Every request of one declaration, newest first (a declaration returned by customs is declared again)."""
        return await self.collection.find(
            {"tenant": tenant, "declaration_id": declaration_id}, sort=[("created_at", -1)]
        )

    async def _get(self, doc_id: str) -> Document:
        current = await self.collection.get(doc_id)
        if current is None:  # records are never deleted
            raise ConcurrencyConflict(self.collection.name, doc_id, -1)
        return current
