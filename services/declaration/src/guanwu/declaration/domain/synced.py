"""数据同步 (F-40): a declaration as the Single Window holds it (DeclarationSynced). Pure.

A declaration the service does not know (by 统一编号, or by the ClientSeqNo guanwu sent) was made outside
guanwu: it becomes one known here (origin `single_window`), in the state its Single Window status implies — no
CHANNEL: held undeclared there (暂存), a draft here that can be edited and submitted; a receipt CHANNEL: the
state that receipt gives (`lifecycle.receipt_target`), 已申报 for an informational one.

A known declaration takes the 统一编号 and 海关编号, and its state moves forward the way receipts move it; the
Single Window is the authority on whether it was declared at all, so a declaration not yet declared here
moves to the state the Single Window names wherever it was declared. Its document is replaced only when
nobody here has touched it (a declaration made outside guanwu and only ever synced): local edits are never
lost. The last applied `sw_version` is kept; a record at that version or an older one changes nothing.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

from guanwu.contracts.declaration import DeclarationDocument
from guanwu.contracts.events import DeclarationSynced
from guanwu.contracts.events.sync import SyncedReceipt
from guanwu.customs.messages.receipts import ReceiptStatus
from guanwu.customs.rules import Finding
from guanwu.declaration.domain.lifecycle import CUSTOMS, SINGLE_WINDOW, moves_forward, receipt_target
from guanwu.declaration.domain.model import (
    EDITABLE,
    AuditEntry,
    Declaration,
    FindingView,
    Origin,
    Status,
    changed_fields,
    record,
)
from guanwu.declaration.domain.records import ReceiptRecord, SyncMark
from guanwu.platform import ids

Check = Callable[[DeclarationDocument], list[Finding]]
"""The 暂存-level logic checks, run for a synced document that can be edited here."""

NOT_YET_AT_CUSTOMS = frozenset(
    {
        Status.DRAFT,
        Status.PENDING_REVIEW,
        Status.APPROVED,
        Status.RETURNED,
        Status.DECLARING,
        Status.DECLARE_FAILED,
        Status.RETURNED_BY_CUSTOMS,
    }
)
"""States from which a Single Window CHANNEL moves a declaration to whatever state it names: the Single Window
knows it was declared (or declared again after 退单), here or elsewhere."""


def synced_declaration_id(tenant: str, seq_no: str) -> str:
    """The id of a declaration made outside guanwu: derived from its 统一编号, so a redelivered record finds it."""
    return str(uuid.UUID(ids.deterministic_id("synced-declaration", tenant, seq_no)))


def single_window_status(event: DeclarationSynced) -> Status:
    """The state the Single Window's status implies: 草稿 without a CHANNEL, else the receipt's state."""
    if event.channel is None:
        return Status.DRAFT
    note = next((r.note for r in reversed(event.receipts) if r.channel == event.channel), None)
    return receipt_target(event.channel, note) or Status.DECLARED


def synced_in(
    event: DeclarationSynced, *, check: Check, declaration_id: str, tenant: str, now: datetime
) -> Declaration:
    """A declaration made outside guanwu, as the Single Window holds it, now known here."""
    status = single_window_status(event)
    document = _with_numbers(event.document, event, event.document)
    findings = [FindingView.of(f) for f in check(document)] if status in EDITABLE else []
    action = f"synced_in: 统一编号 {event.seq_no}, sw_version {event.sw_version}{_job(event)}"
    return Declaration(
        declaration_id=declaration_id,
        tenant=tenant,
        version=1,
        status=status,
        document=document,
        created_at=now,
        created_by=SINGLE_WINDOW,
        origin=Origin.SINGLE_WINDOW,
        client_seq_no=event.client_seq_no,
        synced=_mark(event, now),
        findings=findings,
        receipts=_merged([], event),
        audit=[AuditEntry(at=now, by=SINGLE_WINDOW, action=action, version=1)],
    )


def touched_here(declaration: Declaration) -> bool:
    """Whether its document is guanwu's: made here, or changed, submitted, reviewed or declared here."""
    return declaration.origin is Origin.GUANWU or any(
        entry.by not in (SINGLE_WINDOW, CUSTOMS) for entry in declaration.audit
    )


def apply_sync(
    declaration: Declaration, event: DeclarationSynced, *, check: Check, now: datetime
) -> Declaration | None:
    """A newer Single Window record of a known declaration: its numbers, its state forward, its receipts, and its
    document when nobody here touched it. None when it is not newer, or when nothing here would change (then no
    new version is written, which would make a pending review decision stale)."""
    if declaration.synced is not None and event.sw_version <= declaration.synced.sw_version:
        return None
    takes_document = not touched_here(declaration)
    base = event.document if takes_document else declaration.document
    document = _with_numbers(base, event, declaration.document)
    receipts = _merged(declaration.receipts, event)
    target = _target(declaration.status, event)
    changes = changed_fields(
        declaration.document.model_dump(mode="json", exclude_none=True),
        document.model_dump(mode="json", exclude_none=True),
    )
    if not changes and target is None and receipts == declaration.receipts:
        return None
    update: dict[str, Any] = {"document": document, "receipts": receipts, "synced": _mark(event, now)}
    status = target or declaration.status
    if target is not None:
        update["status"] = target
        changes = [{"field": "status", "before": declaration.status.value, "after": target.value}, *changes]
    if takes_document and changes and status in EDITABLE:
        update["findings"] = [FindingView.of(f) for f in check(document)]
    action = f"synced: sw_version {event.sw_version}{_job(event)}"
    return record(declaration, action=action, user_id=SINGLE_WINDOW, now=now, update=update, changes=changes)


def _target(current: Status, event: DeclarationSynced) -> Status | None:
    if event.channel is None or current is Status.DELETED:
        return None  # held undeclared at the Single Window; or deleted here, which nothing undoes
    target = single_window_status(event)
    if current in NOT_YET_AT_CUSTOMS:
        return None if target is current else target
    return target if moves_forward(current, target) else None


def _with_numbers(
    document: DeclarationDocument, event: DeclarationSynced, known: DeclarationDocument
) -> DeclarationDocument:
    """`document` with the 统一编号 and the 海关编号 the Single Window gives (or the one known already)."""
    entry_id = event.entry_id or document.head.entry_id or known.head.entry_id
    head = document.head.model_copy(update={"seq_no": event.seq_no, "entry_id": entry_id})
    return document.model_copy(update={"head": head})


def _merged(known: Sequence[ReceiptRecord], event: DeclarationSynced) -> list[ReceiptRecord]:
    """The history with the Single Window's receipts it lacks (one notice is one code at one time), in notice
    order."""
    seen = {(r.channel, r.notice_date) for r in known}
    new = []
    for receipt in event.receipts:
        if (receipt.channel, receipt.notice_date) not in seen:
            seen.add((receipt.channel, receipt.notice_date))
            new.append(_receipt(event.seq_no, receipt))
    if not new:
        return list(known)
    return sorted([*known, *new], key=lambda r: r.notice_date)


def _receipt(seq_no: str, receipt: SyncedReceipt) -> ReceiptRecord:
    moment = receipt.notice_date.isoformat()
    return ReceiptRecord(
        receipt_id=f"sync-{ids.deterministic_id('synced-receipt', seq_no, receipt.channel, moment)}",
        channel=receipt.channel,
        label=ReceiptStatus.from_channel(receipt.channel).label,
        notice_date=receipt.notice_date,
        note=receipt.note,
    )


def _mark(event: DeclarationSynced, now: datetime) -> SyncMark:
    return SyncMark(
        sw_version=event.sw_version,
        sw_updated_at=event.sw_updated_at,
        channel=event.channel,
        job_id=event.job_id,
        synced_at=now,
    )


def _job(event: DeclarationSynced) -> str:
    return f" (job {event.job_id})" if event.job_id else ""
