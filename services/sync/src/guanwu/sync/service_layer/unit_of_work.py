"""The unit of work of the sync service, naming its repositories."""

from __future__ import annotations

from guanwu.platform.outbox import OutboxNotifier
from guanwu.platform.store.port import DocumentStore
from guanwu.platform.unit_of_work import UnitOfWork
from guanwu.sync.adapters.job_repositories import (
    QuarantineRepository,
    SyncedRecordRepository,
    SyncJobRepository,
)
from guanwu.sync.adapters.receipts import BondedListReceiptRepository, ReceiptQuarantineRepository
from guanwu.sync.adapters.repositories import (
    DeclareRecordRepository,
    KnownTenantRepository,
    ReceiptCursorRepository,
    ReceiptRepository,
)


class SyncUnitOfWork(UnitOfWork):
    def __init__(self, store: DocumentStore, outbox_written: OutboxNotifier) -> None:
        super().__init__(store, outbox_written)
        self.declarations = DeclareRecordRepository(store, self)
        self.receipts = ReceiptRepository(store, self)
        self.bonded_list_receipts = BondedListReceiptRepository(store, self)
        self.receipt_quarantine = ReceiptQuarantineRepository(store, self)
        self.cursors = ReceiptCursorRepository(store, self)
        self.tenants = KnownTenantRepository(store, self)
        self.jobs = SyncJobRepository(store, self)
        self.synced = SyncedRecordRepository(store, self)
        self.quarantine = QuarantineRepository(store, self)
