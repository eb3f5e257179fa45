"""The collections of the receipts sync reads besides declaration receipts (`sync_receipts`): 核注清单
receipts and the receipts that could not be read."""

from __future__ import annotations

from guanwu.platform.refusal import Noun
from guanwu.sync.adapters.repositories import SyncRepository
from guanwu.sync.domain.receipts import BondedListReceipt, QuarantinedReceipt


class BondedListReceiptRepository(SyncRepository[BondedListReceipt]):
    """`sync_bonded_list_receipts`: one document per INV201/INV202 read (`_id` derived from tenant and receipt
    id, so a re-read finds it). Outbox collection (BondedListReceiptReceived)."""

    collection_name = "sync_bonded_list_receipts"
    noun = Noun("sync.bonded_list_receipt", "核注清单回执", "bonded list receipt")
    model = BondedListReceipt
    indexes = ([("tenant", 1), ("bond_invt_no", 1)],)

    async def count(self, tenant: str) -> int:
        return await self.collection.count({"tenant": tenant})


class ReceiptQuarantineRepository(SyncRepository[QuarantinedReceipt]):
    """`sync_receipt_quarantine`: the receipts that could not be read, with the reason and the raw payload
    (bounded); `_id` derived from tenant and receipt id, so a re-read quarantines it once."""

    collection_name = "sync_receipt_quarantine"
    noun = Noun("sync.receipt_quarantine", "无法解析的回执", "quarantined receipt")
    model = QuarantinedReceipt
    indexes = ([("tenant", 1), ("position", -1)],)

    async def newest_first(
        self, tenant: str, *, skip: int, limit: int
    ) -> tuple[int, list[QuarantinedReceipt]]:
        return await self.page(
            {"tenant": tenant}, sort=[("position", -1), ("_id", 1)], skip=skip, limit=limit
        )

    async def count(self, tenant: str) -> int:
        return await self.collection.count({"tenant": tenant})
