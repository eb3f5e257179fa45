"""Receipts that arrived before their declaration could be recognised, kept until it can.

A receipt names the declaration by 统一编号/海关编号, and the declaration learns its 统一编号 only from
DeclarationSubmitted. The Single Window answers fast, and on Kafka the two events travel under different
keys, so a receipt can overtake the acceptance. Dropping it would lose a state change; parking it keeps it
until the acceptance arrives and replays it then. A receipt of a declaration made outside guanwu stays parked.
"""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel

from guanwu.contracts.envelope import Envelope
from guanwu.contracts.events import ReceiptReceived
from guanwu.platform.ids import deterministic_id
from guanwu.platform.refusal import Noun
from guanwu.platform.unit_of_work import Repository, Write


class ParkedReceipt(BaseModel):
    """A receipt as it was delivered, filed under the customs numbers it names."""

    tenant: str
    seq_no: str | None
    entry_id: str | None
    notice_date: datetime
    envelope: Envelope


def _parked_id(tenant: str, receipt_id: str) -> str:
    # Derived from the receipt, so a redelivered receipt finds itself already parked.
    return deterministic_id("parked-receipt", tenant, receipt_id)


class ParkedReceiptRepository(Repository[ParkedReceipt]):
    collection_name = "declaration_parked_receipts"
    noun = Noun("parked_receipt", "暂存回执", "parked receipt")
    model = ParkedReceipt
    indexes = ([("tenant", 1), ("seq_no", 1)], [("tenant", 1), ("entry_id", 1)])

    def id_of(self, aggregate: ParkedReceipt) -> str:
        return _parked_id(aggregate.tenant, str(aggregate.envelope.data["receipt_id"]))

    def park(self, envelope: Envelope, receipt: ReceiptReceived) -> Write:
        """Stage the receipt, once however often it is delivered."""
        parked = ParkedReceipt(
            tenant=envelope.tenant,
            seq_no=receipt.seq_no,
            entry_id=receipt.entry_id,
            notice_date=receipt.notice_date,
            envelope=envelope,
        )
        return self.add(parked, once=True)

    async def waiting_for(self, tenant: str, *, seq_no: str | None, entry_id: str | None) -> list[Envelope]:
        """Parked receipts of these customs numbers, oldest notice first, then in the order sync announced them."""
        found: dict[str, Envelope] = {}
        for field, value in (("seq_no", seq_no), ("entry_id", entry_id)):
            if value:
                for doc in await self.collection.find({"tenant": tenant, field: value}):
                    found[str(doc["_id"])] = self.from_document(doc).envelope
        return sorted(found.values(), key=lambda env: (str(env.data.get("notice_date")), env.time, env.id))

    def release(self, tenant: str, receipt_id: str) -> Write:
        """Stage the removal of a parked receipt once it has been applied."""
        return self.remove(_parked_id(tenant, receipt_id))
