"""Customs receipts move the lifecycle: a delete receipt (删单回执) marks the declaration 删单.

At-least-once delivery: the same receipt again finds the declaration already in that state and changes
nothing; a concurrent edit makes the versioned replace fail, and the receipt is applied to the new version.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

from guanwu.contracts.envelope import Envelope
from guanwu.contracts.events import DeclarationStatusChanged, DeleteReceiptReceived
from guanwu.contracts.events.base import Event
from guanwu.declaration.domain import Status, apply_receipt
from guanwu.declaration.repository import DeclarationRepository
from guanwu.platform.events import caused_by
from guanwu.platform.outbox import OutboxNotifier
from guanwu.platform.store.port import ConcurrencyConflict

SOURCE = "/guanwu/declaration"
ATTEMPTS = 5


async def mark_deleted_by_customs(
    envelope: Envelope,
    event: Event,
    *,
    repository: DeclarationRepository,
    outbox_written: OutboxNotifier,
    clock: Callable[[], datetime] = lambda: datetime.now(UTC),
) -> bool:
    """Returns True when a declaration changed state."""
    assert isinstance(event, DeleteReceiptReceived)
    for _ in range(ATTEMPTS):
        current = await repository.find_by_customs_numbers(
            envelope.tenant, entry_id=event.entry_id, seq_no=event.seq_no
        )
        if current is None:
            return (
                False  # not drafted in guanwu (e.g. declared elsewhere): the anomaly service still records it
            )
        changed = apply_receipt(
            current, Status.DELETED_BY_CUSTOMS, cause=f"删单回执 {event.receipt_id}", now=clock()
        )
        if changed is None:
            return False
        status_changed = changed.summary(DeclarationStatusChanged).model_copy(
            update={"previous_status": current.status.value, "cause": f"删单回执 {event.receipt_id}"}
        )
        try:
            await repository.save(changed, [caused_by(envelope, status_changed, source=SOURCE)])
        except ConcurrencyConflict:
            continue  # edited meanwhile: apply the receipt to the newer version
        outbox_written(repository.collection.name, changed.declaration_id)
        return True
    raise ConcurrencyConflict(repository.collection.name, event.entry_id or "", -1)
