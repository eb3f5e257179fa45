"""Declarations in the document store; tenant-scoped reads; the aggregate version is the store's `_version`.

Decimals are stored as JSON strings (`model_dump(mode="json")`) so no amount is ever rounded through float.
"""

from __future__ import annotations

from guanwu.declaration.domain.errors import DECLARATION
from guanwu.declaration.domain.model import Declaration, Status
from guanwu.platform.unit_of_work import Repository


class DeclarationRepository(Repository[Declaration]):
    collection_name = "declaration_declarations"
    noun = DECLARATION
    model = Declaration
    indexes = ([("tenant", 1), ("created_at", -1)], [("tenant", 1), ("document.head.entry_id", 1)])

    def id_of(self, aggregate: Declaration) -> str:
        return aggregate.declaration_id

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

    async def list_for(
        self, tenant: str, *, created_by: str | None, skip: int, limit: int
    ) -> tuple[int, list[Declaration]]:
        """A page of the tenant's declarations (or one preparer's), newest first, without the deleted ones."""
        query: dict[str, object] = {"tenant": tenant, "status": {"$ne": Status.DELETED.value}}
        if created_by is not None:
            query["created_by"] = created_by
        return await self.page(query, sort=[("created_at", -1)], skip=skip, limit=limit)
