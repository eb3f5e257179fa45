"""The declaration service's unit of work: its repositories, written together at commit."""

from __future__ import annotations

from guanwu.declaration.adapters.bonded_lists import SyncedBondedListRepository
from guanwu.declaration.adapters.declarations import DeclarationRepository, StatusChanges
from guanwu.declaration.adapters.imports import ImportRepository
from guanwu.declaration.adapters.job_orders import JobOrderRepository
from guanwu.declaration.adapters.parked_receipts import ParkedReceiptRepository
from guanwu.declaration.adapters.sends import SendRecordRepository
from guanwu.declaration.adapters.templates import TemplateRepository
from guanwu.platform.outbox import OutboxNotifier
from guanwu.platform.store.port import DocumentStore
from guanwu.platform.unit_of_work import UnitOfWork


class DeclarationUnitOfWork(UnitOfWork):
    def __init__(
        self,
        store: DocumentStore,
        outbox_written: OutboxNotifier,
        status_changes: StatusChanges | None = None,
    ) -> None:
        super().__init__(store, outbox_written)
        self.declarations = DeclarationRepository(store, self, status_changes)
        self.templates = TemplateRepository(store, self)
        self.parked_receipts = ParkedReceiptRepository(store, self)
        self.bonded_lists = SyncedBondedListRepository(store, self)
        self.job_orders = JobOrderRepository(store, self)
        self.imports = ImportRepository(store, self)
        self.sends = SendRecordRepository(store, self)
