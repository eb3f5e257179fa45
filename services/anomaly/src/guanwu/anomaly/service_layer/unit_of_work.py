"""The anomaly service's unit of work: its one repository."""

from __future__ import annotations

from guanwu.anomaly.adapters import AnomalyRepository, Registrations
from guanwu.anomaly.adapters.attachments import AttachmentRepository
from guanwu.anomaly.adapters.documents import KnownDocuments
from guanwu.anomaly.adapters.rules import RulesStore
from guanwu.platform.outbox import OutboxNotifier
from guanwu.platform.store.port import DocumentStore
from guanwu.platform.unit_of_work import UnitOfWork


class AnomalyUnitOfWork(UnitOfWork):
    def __init__(
        self,
        store: DocumentStore,
        outbox_written: OutboxNotifier,
        registrations: Registrations | None = None,
    ) -> None:
        super().__init__(store, outbox_written)
        self.anomalies = AnomalyRepository(store, self, registrations)
        self.attachments = AttachmentRepository(store, self)  # 附件' documents (their files are blobs)
        self.rules = RulesStore(store)  # auto-registration rules (written at once, no events)
        self.documents = KnownDocuments(store)  # what records are filled from (a guarded projection)
