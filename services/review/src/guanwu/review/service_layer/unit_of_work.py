from __future__ import annotations

from guanwu.platform.outbox import OutboxNotifier
from guanwu.platform.store.port import DocumentStore
from guanwu.platform.unit_of_work import UnitOfWork
from guanwu.review.adapters import ReviewRepository


class ReviewUnitOfWork(UnitOfWork):
    """The review tasks a command or a submission changes, written with their events at commit."""

    def __init__(self, store: DocumentStore, outbox_written: OutboxNotifier) -> None:
        super().__init__(store, outbox_written)
        self.tasks = ReviewRepository(store, self)
