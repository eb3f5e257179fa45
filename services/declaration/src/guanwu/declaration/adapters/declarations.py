"""Declarations in the document store; tenant-scoped reads; the aggregate version is the store's `_version`.

Decimals are stored as JSON strings (`model_dump(mode="json")`) so no amount is ever rounded through float.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import partial
from typing import Protocol

from guanwu.declaration.domain.errors import DECLARATION
from guanwu.declaration.domain.model import Declaration, Status
from guanwu.platform.store.port import Document, DocumentStore
from guanwu.platform.unit_of_work import Events, Repository, UnitOfWork, Write


class StatusChanges(Protocol):
    """Hears of every committed change of a declaration's status (metrics listen here)."""

    def moved_to(self, status: Status) -> None: ...


class _Unheard:
    def moved_to(self, status: Status) -> None:
        return None


class DeclarationRepository(Repository[Declaration]):
    """Besides the declarations, it reports each committed status change to `status_changes`: the status a
    declaration had when it was read, against the status it is saved with (a new one: its first status)."""

    collection_name = "declaration_declarations"
    noun = DECLARATION
    model = Declaration
    indexes = (
        [("tenant", 1), ("created_at", -1)],
        [("tenant", 1), ("document.head.entry_id", 1)],
        [("tenant", 1), ("document.head.seq_no", 1)],
        [("tenant", 1), ("client_seq_no", 1)],
        [("status", 1)],  # the background count of each status (metrics) and the signing sweep read it
    )

    def __init__(
        self, store: DocumentStore, uow: UnitOfWork, status_changes: StatusChanges | None = None
    ) -> None:
        super().__init__(store, uow)
        self._read_status: dict[str, Status] = {}
        self._status_changes = status_changes or _Unheard()

    def id_of(self, aggregate: Declaration) -> str:
        return aggregate.declaration_id

    def from_document(self, doc: Document) -> Declaration:
        declaration = super().from_document(doc)
        self._read_status[declaration.declaration_id] = declaration.status
        return declaration

    def add(self, aggregate: Declaration, events: Events = (), *, once: bool = False) -> Write:
        write = super().add(aggregate, events, once=once)
        write.when_stored(partial(self._status_changes.moved_to, aggregate.status))
        return write

    def save(self, aggregate: Declaration, events: Events = ()) -> Write:
        write = super().save(aggregate, events)
        if self._read_status.get(aggregate.declaration_id) != aggregate.status:
            write.when_stored(partial(self._status_changes.moved_to, aggregate.status))
        return write

    async def count_by_status(self) -> dict[Status, int]:
        """How many declarations each status has, over all tenants (an operator's view, for metrics).

        Choices: one count per status on the `status` index rather than a grouped count in the store: the
        store port has no grouping (FerretDB 1.x and the SQLite adapter would each need their own), the
        statuses are a short closed list, and a status with no declaration is then counted 0 rather than
        missing."""
        return {status: await self.collection.count({"status": status.value}) for status in Status}

    async def find_by_customs_numbers(
        self, tenant: str, *, entry_id: str | None, seq_no: str | None
    ) -> Declaration | None:
        """The declaration a receipt speaks of: by 海关编号, else by 统一编号."""
        for field, value in (("document.head.entry_id", entry_id), ("document.head.seq_no", seq_no)):
            if value:
                found = await self.find_one({"tenant": tenant, field: value})
                if found is not None:
                    return found
        return None

    async def of_tenant(self, tenant: str, declaration_ids: Sequence[str]) -> dict[str, Declaration]:
        """The tenant's declarations with these ids, by id (one read by `_id`; another tenant's are left out)."""
        docs = await self.collection.get_many(list(declaration_ids))
        return {doc["_id"]: self.from_document(doc) for doc in docs if doc.get("tenant") == tenant}

    async def by_seq_no(self, tenant: str, seq_nos: Sequence[str]) -> dict[str, Declaration]:
        """The tenant's declarations with these 统一编号, by 统一编号 (one query)."""
        docs = await self.collection.find({"tenant": tenant, "document.head.seq_no": {"$in": list(seq_nos)}})
        found = (self.from_document(doc) for doc in docs)
        return {d.document.head.seq_no: d for d in found if d.document.head.seq_no}

    async def by_client_seq_no(self, tenant: str, client_seq_nos: Sequence[str]) -> dict[str, Declaration]:
        """The tenant's declarations with these ClientSeqNo 客户端编号, by that number (one query)."""
        docs = await self.collection.find({"tenant": tenant, "client_seq_no": {"$in": list(client_seq_nos)}})
        found = (self.from_document(doc) for doc in docs)
        return {d.client_seq_no: d for d in found if d.client_seq_no}

    async def in_status(self, status: Status) -> list[Declaration]:
        """Declarations in `status`, over all tenants (a background sweep's view), on the status index: for a
        state declarations pass through (申报中), not for one they stay in."""
        return [self.from_document(doc) for doc in await self.collection.find({"status": status.value})]

    async def list_for(
        self, tenant: str, *, created_by: str | None, skip: int, limit: int
    ) -> tuple[int, list[Declaration]]:
        """A page of the tenant's declarations (or one preparer's), newest first, without the deleted ones."""
        query: dict[str, object] = {"tenant": tenant, "status": {"$ne": Status.DELETED.value}}
        if created_by is not None:
            query["created_by"] = created_by
        return await self.page(query, sort=[("created_at", -1)], skip=skip, limit=limit)
