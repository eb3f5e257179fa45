"""What a task takes from its declaration's later events (pure): the declaration's state (系统状态), its
receipts (申报状态), and whether a pending task must be withdrawn because the declaration was deleted or
changed version outside review (ReviewWithdrawn)."""

from __future__ import annotations

from datetime import datetime

from guanwu.contracts.events import (
    DeclarationDeleted,
    DeclarationStatusChanged,
    DeclarationSummary,
    ReceiptReceived,
)
from guanwu.customs.messages.receipts import ReceiptStatus
from guanwu.review.domain.tasks import ReviewStatus, ReviewTask, WithdrawReason, withdraw

_REVIEW_DECISIONS = frozenset({ReviewStatus.APPROVED.value, ReviewStatus.REJECTED.value})


def withdrawal_reason(task: ReviewTask, event: DeclarationSummary) -> WithdrawReason | None:
    """Why this declaration event withdraws the task, or None: only a pending task, only for a declaration
    version newer than the one under review, and never for review's own decision moving the declaration."""
    if task.status is not ReviewStatus.PENDING or event.version <= task.declaration_version:
        return None
    if isinstance(event, DeclarationDeleted):
        return "declaration_deleted"
    if (
        isinstance(event, DeclarationStatusChanged)
        and event.previous_status == ReviewStatus.PENDING.value
        and event.status in _REVIEW_DECISIONS
    ):
        return None
    return "declaration_changed"


def follow_declaration(
    task: ReviewTask, event: DeclarationSummary, *, at: datetime
) -> tuple[ReviewTask | None, WithdrawReason | None]:
    """The task after a newer declaration event (its 系统状态, withdrawn when it must be), or (None, None) when
    the event is not newer than what the task has seen (a redelivery, or one overtaken)."""
    if event.version <= task.declaration_seen_version:
        return None, None
    reason = withdrawal_reason(task, event)
    followed = task.model_copy(
        update={
            "declaration_status": event.status,
            "declaration_seen_version": event.version,
            "entry_id": event.entry_id or task.entry_id,
            "seq_no": event.seq_no or task.seq_no,
            "version": task.version + 1,
            "updated_at": at,
        }
    )
    if reason is None:
        return followed, None
    withdrawn = withdraw(followed.model_copy(update={"version": task.version}), reason, now=at)
    assert withdrawn is not None
    return withdrawn, reason


def follow_receipt(task: ReviewTask, receipt: ReceiptReceived, *, at: datetime) -> ReviewTask | None:
    """申报状态 from the latest receipt (by NOTICE_DATE); None when this one is not newer (a redelivery, or
    one that arrived after a later receipt)."""
    if task.declare_status_at is not None and receipt.notice_date <= task.declare_status_at:
        return None
    status = ReceiptStatus.from_channel(receipt.channel)
    return task.model_copy(
        update={
            "declare_status": receipt.channel,
            "declare_status_name": status.label,
            "declare_status_at": receipt.notice_date,
            "entry_id": receipt.entry_id or task.entry_id,
            "version": task.version + 1,
            "updated_at": at,
        }
    )
