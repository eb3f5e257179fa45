"""Receipts that arrived before their declaration could be recognised, kept until it can.

A receipt names the declaration by 统一编号/海关编号, and the declaration learns its 统一编号 only from
DeclarationSubmitted. The Single Window answers fast, and on Kafka the two events travel under different
keys, so a receipt can overtake the acceptance. Dropping it would lose a state change; parking it keeps it
until the acceptance arrives and replays it then. A receipt of a declaration made outside guanwu stays parked.
"""

from __future__ import annotations

from guanwu.contracts.envelope import Envelope
from guanwu.contracts.events import ReceiptReceived
from guanwu.platform.idempotency import deterministic_id, insert_once
from guanwu.platform.store.port import Collection, DocumentStore

COLLECTION = "declaration_parked_receipts"


class ParkedReceipts:
    def __init__(self, store: DocumentStore) -> None:
        self.collection: Collection = store.collection(COLLECTION)

    async def ensure_indexes(self) -> None:
        await self.collection.ensure_index([("tenant", 1), ("seq_no", 1)])
        await self.collection.ensure_index([("tenant", 1), ("entry_id", 1)])

    @staticmethod
    def _id(tenant: str, receipt_id: str) -> str:
        return deterministic_id("parked-receipt", tenant, receipt_id)

    async def park(self, envelope: Envelope, receipt: ReceiptReceived) -> None:
        await insert_once(
            self.collection,
            {
                "_id": self._id(envelope.tenant, receipt.receipt_id),
                "tenant": envelope.tenant,
                "seq_no": receipt.seq_no,
                "entry_id": receipt.entry_id,
                "notice_date": receipt.notice_date.isoformat(),
                "envelope": envelope.model_dump(mode="json"),
            },
        )

    async def waiting_for(self, tenant: str, *, seq_no: str | None, entry_id: str | None) -> list[Envelope]:
        """Parked receipts of these customs numbers, oldest notice first, then in the order sync announced them."""
        found: dict[str, dict[str, object]] = {}
        for field, value in (("seq_no", seq_no), ("entry_id", entry_id)):
            if value:
                for doc in await self.collection.find({"tenant": tenant, field: value}):
                    found[str(doc["_id"])] = doc
        envelopes = [Envelope.model_validate(doc["envelope"]) for doc in found.values()]
        return sorted(envelopes, key=lambda env: (str(env.data.get("notice_date")), env.time, env.id))

    async def release(self, tenant: str, receipt_id: str) -> None:
        await self.collection.delete(self._id(tenant, receipt_id))
