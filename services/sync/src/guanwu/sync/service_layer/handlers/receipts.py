"""Receipt ingestion (回执): each receipt of the feed becomes one stored record with its events in the same
write — a declaration receipt (DEC_RESULT), a 核注清单 receipt (INV201/INV202), or a quarantined one that
could not be read (no event; logged, counted and listed).

Resuming after a crash: the cursor is saved after the receipts it covers, so a crash re-reads some receipts;
their record ids derive from the receipt id, so they are recognised and nothing is published twice. A
receipt the feed serves twice is recognised the same way; the receipts of a page may come in any order.
"""

from __future__ import annotations

from functools import partial
from typing import NamedTuple

import structlog

from guanwu.contracts.envelope import Envelope
from guanwu.contracts.events.base import Event
from guanwu.platform.clock import Clock, utc_now
from guanwu.platform.unit_of_work import Write
from guanwu.sync.domain.events import bonded_list_receipt_events, receipt_events
from guanwu.sync.domain.receipts import (
    BondedListReceipt,
    KnownTenant,
    QuarantinedReceipt,
    Reading,
    ReceivedReceipt,
    advanced,
    read,
)
from guanwu.sync.domain.single_window import RemoteReceipt, SingleWindow
from guanwu.sync.service_layer.observer import UNOBSERVED, SyncObserver
from guanwu.sync.service_layer.unit_of_work import SyncUnitOfWork

log = structlog.get_logger(__name__)


async def read_receipts(
    tenant: str,
    *,
    uow: SyncUnitOfWork,
    single_window: SingleWindow,
    limit: int,
    observer: SyncObserver = UNOBSERVED,
    clock: Clock = utc_now,
) -> int:
    """Pull one page of receipts for a tenant; returns how many were read (quarantined ones included)."""
    async with uow:
        cursor = await uow.cursors.of(tenant)
        page = await single_window.receipts_after(tenant, cursor.position, limit)
        now = clock()
        for receipt in once_each(page.receipts):
            # One write for the page; a receipt read again after a crash finds its record (once).
            kept(read(tenant, receipt, now=now), uow=uow, observer=observer)
        # The receipts before the cursor: it never passes a receipt not kept, and they are announced even
        # when another poller moved the cursor meanwhile.
        await uow.commit()
        if page.receipts:
            moved = advanced(cursor, page.next_position)
            if cursor.version:
                uow.cursors.save(moved)
            else:
                uow.cursors.add(moved)
            await uow.commit()
    return len(page.receipts)


def once_each(receipts: list[RemoteReceipt]) -> list[RemoteReceipt]:
    """The page's receipts, one per receipt id (the feed may serve one twice; the first is kept)."""
    seen: set[str] = set()
    unique = []
    for receipt in receipts:
        if receipt.receipt_id not in seen:
            seen.add(receipt.receipt_id)
            unique.append(receipt)
    return unique


def kept(reading: Reading, *, uow: SyncUnitOfWork, observer: SyncObserver) -> Write:
    """Stage the record of one receipt with its events; what it was is reported once it is stored."""
    if isinstance(reading, ReceivedReceipt):
        write = uow.receipts.add(reading, receipt_events(reading), once=True)
        write.when_stored(partial(observer.receipt_stored, reading.channel))
    elif isinstance(reading, BondedListReceipt):
        write = uow.bonded_list_receipts.add(reading, bonded_list_receipt_events(reading), once=True)
        write.when_stored(partial(observer.bonded_list_receipt_stored, reading.message_type))
    else:
        write = uow.receipt_quarantine.add(reading, once=True)
        write.when_stored(partial(quarantine_reported, reading, observer))
    return write


def quarantine_reported(receipt: QuarantinedReceipt, observer: SyncObserver) -> None:
    log.warning(
        "receipt quarantined",
        tenant=receipt.tenant,
        receipt_id=receipt.receipt_id,
        position=receipt.position,
        message_type=receipt.message_type,
        reason=receipt.reason,
    )
    observer.receipt_quarantined(receipt.message_type)


async def follow_tenant_receipts(
    envelope: Envelope, _event: Event, *, uow: SyncUnitOfWork, tenants: PolledTenants
) -> None:
    """A tenant that declares is followed by the receipt poller from then on."""
    await tenants.learn(envelope.tenant, uow=uow)


class ReceiptCounts(NamedTuple):
    position: int
    receipts: int
    bonded_list_receipts: int
    quarantined: int


async def receipt_status(tenant: str, *, uow: SyncUnitOfWork) -> ReceiptCounts:
    """How far the tenant's receipt feed was read, and how many of its receipts sync keeps, by kind."""
    cursor = await uow.cursors.of(tenant)
    return ReceiptCounts(
        cursor.position,
        await uow.receipts.count(tenant),
        await uow.bonded_list_receipts.count(tenant),
        await uow.receipt_quarantine.count(tenant),
    )


async def quarantined_receipts(
    tenant: str, *, uow: SyncUnitOfWork, skip: int, limit: int
) -> tuple[int, list[QuarantinedReceipt]]:
    """The tenant's receipts that could not be read, newest (furthest in the feed) first."""
    return await uow.receipt_quarantine.newest_first(tenant, skip=skip, limit=limit)


class PolledTenants:
    """The enterprises whose receipts sync polls: the configured ones, then every tenant that declared through
    guanwu.

    A tenant is learned from the DeclarationDeclareRequested events sync keeps and stored, so an enterprise
    that starts declaring is followed without a restart (and still after one). Receipts of an enterprise that
    never declared through guanwu (e.g. 删单 of a declaration filed elsewhere) need it in the configured list.
    """

    def __init__(self, configured: list[str]) -> None:
        self.configured = list(dict.fromkeys(configured))
        self._learned: set[str] = set()  # learned in this process: skips a write per event

    async def learn(self, tenant: str, *, uow: SyncUnitOfWork) -> None:
        if tenant in self._learned:
            return
        async with uow:
            uow.tenants.add(KnownTenant(tenant=tenant), once=True)
            await uow.commit()
        self._learned.add(tenant)

    async def all(self, *, uow: SyncUnitOfWork) -> list[str]:
        """Configured first, then learned ones by name; each once."""
        return list(dict.fromkeys([*self.configured, *await uow.tenants.names()]))
