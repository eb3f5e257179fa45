"""Receipt ingestion (回执): each receipt becomes one stored record with its events in the same write.

Resuming after a crash: the cursor is saved after the receipts it covers, so a crash re-reads some receipts;
their record ids derive from the receipt id, so they are recognised and nothing is published twice.
"""

from __future__ import annotations

from guanwu.contracts.envelope import Envelope
from guanwu.contracts.events.base import Event
from guanwu.sync.domain.events import receipt_events
from guanwu.sync.domain.receipts import KnownTenant, advanced, received
from guanwu.sync.domain.single_window import SingleWindow
from guanwu.sync.service_layer.observer import UNOBSERVED, SyncObserver
from guanwu.sync.service_layer.unit_of_work import SyncUnitOfWork


async def read_receipts(
    tenant: str,
    *,
    uow: SyncUnitOfWork,
    single_window: SingleWindow,
    limit: int,
    observer: SyncObserver = UNOBSERVED,
) -> int:
    """Pull one page of receipts for a tenant; returns how many were read."""
    async with uow:
        cursor = await uow.cursors.of(tenant)
        page = await single_window.receipts_after(tenant, cursor.position, limit)
        writes = []
        for receipt in page.receipts:
            kept = received(tenant, receipt)
            # One write for the page; a receipt read again after a crash finds its record (once).
            writes.append((uow.receipts.add(kept, receipt_events(kept), once=True), kept.channel))
        # The receipts before the cursor: it never passes a receipt not kept, and they are announced even
        # when another poller moved the cursor meanwhile.
        await uow.commit()
        for write, channel in writes:
            if write.stored:
                observer.receipt_stored(channel)
        if page.receipts:
            moved = advanced(cursor, page.next_position)
            if cursor.version:
                uow.cursors.save(moved)
            else:
                uow.cursors.add(moved)
            await uow.commit()
    return len(page.receipts)


async def follow_tenant_receipts(
    envelope: Envelope, _event: Event, *, uow: SyncUnitOfWork, tenants: PolledTenants
) -> None:
    """A tenant that declares is followed by the receipt poller from then on."""
    await tenants.learn(envelope.tenant, uow=uow)


async def receipt_status(tenant: str, *, uow: SyncUnitOfWork) -> tuple[int, int]:
    """How far the tenant's receipt feed was read, and how many of its receipts sync keeps."""
    cursor = await uow.cursors.of(tenant)
    return cursor.position, await uow.receipts.count(tenant)


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
