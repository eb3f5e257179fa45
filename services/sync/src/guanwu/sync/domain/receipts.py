"""Receipts (回执) read from the Single Window, and the cursor that says how far each tenant's feed was read.

Resuming after a crash: the cursor is saved after the receipts it covers, so a crash re-reads some receipts;
their record ids derive from the receipt id, so they are recognised and nothing is published twice.
"""

from __future__ import annotations

from pydantic import BaseModel

from guanwu.platform.ids import deterministic_id
from guanwu.sync.domain.single_window import RemoteReceipt


class ReceivedReceipt(RemoteReceipt):
    """A receipt as sync keeps it: the Single Window's fields, in the tenant it was read for."""

    tenant: str

    @property
    def id(self) -> str:
        return receipt_record_id(self.tenant, self.receipt_id)


def receipt_record_id(tenant: str, receipt_id: str) -> str:
    return deterministic_id("receipt", tenant, receipt_id)


def received(tenant: str, receipt: RemoteReceipt) -> ReceivedReceipt:
    return ReceivedReceipt(tenant=tenant, **receipt.model_dump())


class ReceiptCursor(BaseModel):
    """The position in one tenant's receipt feed up to which every receipt is kept."""

    tenant: str
    position: int = 0
    version: int = 0  # 0: never saved

    @property
    def id(self) -> str:
        return f"receipts:{self.tenant}"


def advanced(cursor: ReceiptCursor, position: int) -> ReceiptCursor:
    return cursor.model_copy(update={"position": position, "version": cursor.version + 1})


class KnownTenant(BaseModel):
    """A tenant that declared through guanwu: its receipts are polled from then on, also after a restart."""

    tenant: str

    @property
    def id(self) -> str:
        return self.tenant
