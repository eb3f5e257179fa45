"""Receipts that arrived before their declaration could be recognised, kept until it can.

A receipt names the declaration by 统一编号/海关编号, and the declaration learns its 统一编号 only from
DeclarationSubmitted. The Single Window answers fast, and on Kafka the two events travel under different
keys, so a receipt can overtake the acceptance. Dropping it would lose a state change; parking it keeps it
until the acceptance arrives and replays it then. A receipt of a declaration made outside guanwu stays parked
until 数据同步 brings that declaration (DeclarationSynced), which replays it the same way. A receipt nothing
claims expires after `parked_receipt_ttl_seconds` (a warning in the log and a counter, never silently).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from pydantic import BaseModel

from guanwu.contracts.envelope import Envelope
from guanwu.contracts.events import ReceiptReceived
from guanwu.declaration.domain.records import Stamp, stamp
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
    parked_at: Stamp | None = None  # None: parked before receipts expired; the sweep leaves those alone

    @property
    def receipt_id(self) -> str:
        return str(self.envelope.data["receipt_id"])


def _parked_id(tenant: str, receipt_id: str) -> str:
    # Derived from the receipt, so a redelivered receipt finds itself already parked.
    return deterministic_id("parked-receipt", tenant, receipt_id)


class ParkedReceiptRepository(Repository[ParkedReceipt]):
    collection_name = "declaration_parked_receipts"
    noun = Noun("parked_receipt", "暂存回执", "parked receipt")
    model = ParkedReceipt
    indexes = ([("tenant", 1), ("seq_no", 1)], [("tenant", 1), ("entry_id", 1)], [("parked_at", 1)])

    def id_of(self, aggregate: ParkedReceipt) -> str:
        return _parked_id(aggregate.tenant, aggregate.receipt_id)

    def park(self, envelope: Envelope, receipt: ReceiptReceived, *, now: datetime) -> Write:
        """Stage the receipt, once however often it is delivered."""
        parked = ParkedReceipt(
            tenant=envelope.tenant,
            seq_no=receipt.seq_no,
            entry_id=receipt.entry_id,
            notice_date=receipt.notice_date,
            envelope=envelope,
            parked_at=now,
        )
        return self.add(parked, once=True)

    async def waiting_for(self, tenant: str, *, seq_no: str | None, entry_id: str | None) -> list[Envelope]:
        """Parked receipts of these customs numbers, oldest notice first, then in the order sync announced them."""
        return await self.waiting_for_any(
            tenant, seq_nos=[seq_no] if seq_no else [], entry_ids=[entry_id] if entry_id else []
        )

    async def waiting_for_any(
        self, tenant: str, *, seq_nos: Sequence[str], entry_ids: Sequence[str]
    ) -> list[Envelope]:
        """Parked receipts of any of these customs numbers (one query per kind of number), in replay order."""
        found: dict[str, Envelope] = {}
        for field, values in (("seq_no", seq_nos), ("entry_id", entry_ids)):
            if values:
                for doc in await self.collection.find({"tenant": tenant, field: {"$in": list(values)}}):
                    found[str(doc["_id"])] = self.from_document(doc).envelope
        return sorted(found.values(), key=lambda env: (str(env.data.get("notice_date")), env.time, env.id))

    async def parked_until(self, cutoff: datetime, *, limit: int) -> list[ParkedReceipt]:
        """Receipts parked at `cutoff` or before, all tenants, oldest first (the expiry sweep's view)."""
        docs = await self.collection.find(
            {"parked_at": {"$lte": stamp(cutoff)}}, sort=[("parked_at", 1)], limit=limit
        )
        return [self.from_document(doc) for doc in docs]

    async def expire(self, parked: ParkedReceipt) -> bool:
        """Remove an expired receipt at once (not staged: nothing rides on it); False when it was gone already
        (replayed meanwhile, or expired by another replica), so each expiry is reported once."""
        return await self.collection.delete(self.id_of(parked))

    def release(self, tenant: str, receipt_id: str) -> Write:
        """Stage the removal of a parked receipt once it has been applied."""
        return self.remove(_parked_id(tenant, receipt_id))
