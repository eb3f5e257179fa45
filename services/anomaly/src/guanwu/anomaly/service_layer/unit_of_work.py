"""The anomaly service's unit of work: its one repository."""

from __future__ import annotations

from typing import Protocol

from guanwu.anomaly.adapters import AnomalyRepository
from guanwu.anomaly.domain import Anomaly
from guanwu.platform.outbox import OutboxNotifier
from guanwu.platform.store.port import DocumentStore
from guanwu.platform.unit_of_work import UnitOfWork


class Registrations(Protocol):
    """Hears of every record a commit stored as new (metrics listen here)."""

    def registered(self, anomaly: Anomaly) -> None: ...


class _Unheard:
    def registered(self, anomaly: Anomaly) -> None:
        return None


class AnomalyUnitOfWork(UnitOfWork):
    def __init__(
        self,
        store: DocumentStore,
        outbox_written: OutboxNotifier,
        registrations: Registrations | None = None,
    ) -> None:
        super().__init__(store, outbox_written)
        self.anomalies = AnomalyRepository(store, self)
        self._registrations = registrations or _Unheard()

    async def commit(self) -> None:
        """Write what was staged; each record stored as new is reported once (a redelivered receipt's, which
        found its record, is not)."""
        added = self.anomalies.staged_additions()
        try:
            await super().commit()
        finally:
            for write, anomaly in added:
                if write.stored:
                    self._registrations.registered(anomaly)
