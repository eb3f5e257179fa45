"""核注清单 synced from the Single Window (`declaration_bonded_lists`), found by 清单编号 or 统一编号."""

from __future__ import annotations

from collections.abc import Sequence

from guanwu.declaration.domain.bonded_lists import SyncedBondedList, synced_bonded_list_id
from guanwu.declaration.domain.errors import BONDED_LIST
from guanwu.platform.unit_of_work import Repository


class SyncedBondedListRepository(Repository[SyncedBondedList]):
    collection_name = "declaration_bonded_lists"
    noun = BONDED_LIST
    model = SyncedBondedList
    indexes = ([("tenant", 1), ("bond_invt_no", 1), ("sw_updated_at", -1)],)

    def id_of(self, aggregate: SyncedBondedList) -> str:
        return aggregate.id

    async def stored(self, keys: Sequence[tuple[str, str]]) -> dict[str, SyncedBondedList]:
        """The lists kept for these (tenant, 统一编号), by id (one query)."""
        ids = [synced_bonded_list_id(tenant, seq_no) for tenant, seq_no in keys]
        docs = await self.collection.get_many(ids)
        return {str(doc["_id"]): self.from_document(doc) for doc in docs}

    async def by_number(
        self, tenant: str, *, bond_invt_no: str | None, seq_no: str | None
    ) -> SyncedBondedList | None:
        """The tenant's list with this 统一编号, or the newest with this 清单编号 (a changed list keeps it)."""
        if seq_no is not None:
            return await self.get(tenant, synced_bonded_list_id(tenant, seq_no))
        docs = await self.collection.find(
            {"tenant": tenant, "bond_invt_no": bond_invt_no}, sort=[("sw_updated_at", -1)], limit=1
        )
        return self.from_document(docs[0]) if docs else None
