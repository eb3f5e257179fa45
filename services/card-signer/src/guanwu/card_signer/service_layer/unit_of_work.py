from __future__ import annotations

from guanwu.card_signer.adapters.repository import SignResultRepository
from guanwu.platform.outbox import OutboxNotifier
from guanwu.platform.store.port import DocumentStore
from guanwu.platform.unit_of_work import UnitOfWork


class CardSignerUnitOfWork(UnitOfWork):
    """The answer to a sign request, written with its event at commit."""

    def __init__(self, store: DocumentStore, outbox_written: OutboxNotifier) -> None:
        super().__init__(store, outbox_written)
        self.results = SignResultRepository(store, self)
