"""The declaration service's unit of work: its repositories, written together at commit."""

from __future__ import annotations

from typing import Protocol

from guanwu.declaration.adapters.declarations import DeclarationRepository
from guanwu.declaration.adapters.parked_receipts import ParkedReceiptRepository
from guanwu.declaration.adapters.templates import TemplateRepository
from guanwu.declaration.domain.model import Status
from guanwu.platform.outbox import OutboxNotifier
from guanwu.platform.store.port import DocumentStore
from guanwu.platform.unit_of_work import UnitOfWork


class StatusChanges(Protocol):
    """Hears of every committed change of a declaration's status (metrics listen here)."""

    def moved_to(self, status: Status) -> None: ...


class _Unheard:
    def moved_to(self, status: Status) -> None:
        return None


class DeclarationUnitOfWork(UnitOfWork):
    def __init__(
        self,
        store: DocumentStore,
        outbox_written: OutboxNotifier,
        status_changes: StatusChanges | None = None,
    ) -> None:
        super().__init__(store, outbox_written)
        self.declarations = DeclarationRepository(store, self)
        self.templates = TemplateRepository(store, self)
        self.parked_receipts = ParkedReceiptRepository(store, self)
        self._status_changes = status_changes or _Unheard()

    async def commit(self) -> None:
        """Write what was staged; each declaration stored in a new status is reported once, also when a later
        write of the same commit failed."""
        moves = self.declarations.staged_moves()
        try:
            await super().commit()
        finally:
            for write, status in moves:
                if write.stored:
                    self._status_changes.moved_to(status)
