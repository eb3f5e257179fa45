"""The lifecycle after 提交审核 (pure): review decisions, 申报 with the card, the Single Window, receipts.

    待审核 ─ReviewApproved→ 审核通过 ─申报→ 申报中 ─DeclarationSubmitted→ 已申报 ─receipts→ 入库成功 → 查验 → 放行 → 结关
        └─ReviewRejected→ 审核退回 (editable)      ├─SignFailed→ 审核通过 (declare again)     └→ 退单 (editable) / 删单
                                                    ├─no answer within the signing timeout→ 审核通过
                                                    └─DeclarationSubmitFailed→ 申报失败 (editable)

Every step driven by another service's event answers None when it does not apply (a redelivery, a stale
answer, a state it cannot come from), so a consumer can acknowledge it without changing anything.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from guanwu.contracts.events import (
    DeclarationSigned,
    DeclarationSubmitFailed,
    DeclarationSubmitted,
    ReceiptReceived,
    ReviewOutcome,
    ReviewRejected,
    SignFailed,
)
from guanwu.customs.messages.receipts import DecReceipt, ReceiptStatus
from guanwu.customs.rules import Finding
from guanwu.declaration.domain.errors import LifecycleError
from guanwu.declaration.domain.model import Declaration, Status, record, refuse_blocking, transition
from guanwu.declaration.domain.records import (
    ReceiptRecord,
    ReviewNote,
    Signature,
    SignFailure,
    SigningState,
    SubmissionFailure,
)

CUSTOMS = "customs"
SIGNER = "card-signer"
SINGLE_WINDOW = "single-window"
GUANWU = "guanwu"  # guanwu itself, e.g. the signing timeout
UNANSWERED = "unanswered"
"""The SignFailure reason of a signing request that no answer came to within the signing timeout."""

# ── review ──────────────────────────────────────────────────────────────────────────────────────────────


def apply_review(declaration: Declaration, outcome: ReviewOutcome, *, now: datetime) -> Declaration | None:
    """审核通过 / 审核退回, only for the version that was submitted and only while it waits for review."""
    if declaration.status is not Status.PENDING_REVIEW or outcome.declaration_version != declaration.version:
        return None
    rejected = isinstance(outcome, ReviewRejected)
    note = ReviewNote(
        review_id=outcome.review_id,
        outcome="rejected" if rejected else "approved",
        reviewer=outcome.reviewer,
        decided_at=outcome.decided_at,
        comment=outcome.comment,
        marks=outcome.marks,
    )
    return transition(
        declaration,
        Status.RETURNED if rejected else Status.APPROVED,
        action="review_rejected" if rejected else "review_approved",
        user_id=outcome.reviewer,
        now=now,
        update={"review": note},
    )


# ── 申报 and signing ───────────────────────────────────────────────────────────────────────────────────


def ensure_approved(declaration: Declaration) -> None:
    if declaration.status is not Status.APPROVED:
        raise LifecycleError(
            "declaration.not_approved",
            f"报关单处于「{declaration.status.value}」状态，审核通过后才能申报",
            f"The declaration is {declaration.status.name.lower()}: only an approved declaration can be declared",
        )


def request_declare(
    declaration: Declaration,
    declare_findings: list[Finding],
    *,
    request_id: str,
    content_sm3: str,
    user_id: str,
    now: datetime,
) -> Declaration:
    """申报: only after 审核通过, and only if the 申报-level checks still pass (code tables may have changed)."""
    ensure_approved(declaration)
    refuse_blocking(
        declare_findings,
        "报关单还有 {errors} 个错误，不能申报",
        "The declaration has {errors} error-level findings and cannot be declared",
    )
    signing = SigningState(
        request_id=request_id, requested_by=user_id, requested_at=now, content_sm3=content_sm3
    )
    return transition(
        declaration, Status.DECLARING, action="declare", user_id=user_id, now=now, update={"signing": signing}
    )


def _awaiting_signature(declaration: Declaration, request_id: str) -> SigningState | None:
    """The signing request this answer belongs to, if it is still the one waited for."""
    signing = declaration.signing
    if declaration.status is not Status.DECLARING or signing is None:
        return None
    if signing.request_id != request_id or signing.signature or signing.failure:
        return None
    return signing


def record_signature(
    declaration: Declaration, signed: DeclarationSigned, *, now: datetime
) -> Declaration | None:
    """The card signed: keep the signature (the state stays 申报中 until the Single Window accepts it).

    A signature over other bytes than the ones sent is refused like a failed signing.
    """
    signing = _awaiting_signature(declaration, signed.request_id)
    if signing is None:
        return None
    if signed.content_sm3.lower() != signing.content_sm3:
        mismatch = SignFailed(
            request_id=signed.request_id,
            declaration_id=signed.declaration_id,
            reason="content_mismatch",
            detail="签名内容与申报内容不一致 / the signature covers other content than was sent",
            failed_at=signed.signed_at,
        )
        return record_sign_failure(declaration, mismatch, now=now)
    signature = Signature.model_validate(signed, from_attributes=True)
    return record(
        declaration,
        action=f"signed ({signed.device}, 证书 {signed.certificate_serial})",
        user_id=SIGNER,
        now=now,
        update={"signing": signing.model_copy(update={"signature": signature})},
    )


def record_sign_failure(declaration: Declaration, failed: SignFailed, *, now: datetime) -> Declaration | None:
    """No signature: back to 审核通过 with the reason, so the preparer can fix the card and declare again."""
    signing = _awaiting_signature(declaration, failed.request_id)
    if signing is None:
        return None
    failure = SignFailure.model_validate(failed, from_attributes=True)
    return transition(
        declaration,
        Status.APPROVED,
        action=f"sign_failed: {failed.reason}",
        user_id=SIGNER,
        now=now,
        update={"signing": signing.model_copy(update={"failure": failure})},
    )


def time_out_signing(declaration: Declaration, *, now: datetime, timeout: timedelta) -> Declaration | None:
    """A signing request unanswered for `timeout` (its message dead-lettered, the signer gone): back to 审核通过
    with the reason, so the preparer can declare again; the answer that may still come is then ignored."""
    signing = declaration.signing
    if signing is None or _awaiting_signature(declaration, signing.request_id) is None:
        return None
    if now - signing.requested_at < timeout:
        return None
    seconds = int(timeout.total_seconds())
    failure = SignFailure(
        reason=UNANSWERED,
        detail=f"签名请求 {seconds} 秒内未得到答复 / no answer to the signing request within {seconds} s",
        failed_at=now,
    )
    return transition(
        declaration,
        Status.APPROVED,
        action=f"sign_timeout: {signing.request_id} unanswered after {seconds} s",
        user_id=GUANWU,
        now=now,
        update={"signing": signing.model_copy(update={"failure": failure})},
    )


def mark_submitted(
    declaration: Declaration, submitted: DeclarationSubmitted, *, now: datetime
) -> Declaration | None:
    """The Single Window took the signed declaration: 已申报, with the 统一编号 it assigned. A submission of an
    earlier signing request than the one waited for (e.g. one that timed out) is not this 申报's."""
    if declaration.status is not Status.DECLARING:
        return None
    signing = declaration.signing
    if submitted.request_id and signing is not None and signing.request_id != submitted.request_id:
        return None
    head = declaration.document.head.model_copy(
        update={
            "seq_no": submitted.seq_no,
            "entry_id": submitted.entry_id or declaration.document.head.entry_id,
        }
    )
    return transition(
        declaration,
        Status.DECLARED,
        action=f"submitted: 统一编号 {submitted.seq_no}",
        user_id=SINGLE_WINDOW,
        now=now,
        update={"document": declaration.document.model_copy(update={"head": head})},
    )


def mark_submit_failed(
    declaration: Declaration, failed: DeclarationSubmitFailed, *, now: datetime
) -> Declaration | None:
    """The Single Window refused the signed declaration: 申报失败, with its reason; correct and review again."""
    signing = declaration.signing
    if (
        declaration.status is not Status.DECLARING
        or signing is None
        or signing.request_id != failed.request_id
    ):
        return None
    failure = SubmissionFailure.model_validate(failed, from_attributes=True)
    return transition(
        declaration,
        Status.DECLARE_FAILED,
        action=f"submit_failed: {failed.code}",
        user_id=SINGLE_WINDOW,
        now=now,
        update={"submission_failure": failure},
    )


# ── customs receipts ───────────────────────────────────────────────────────────────────────────────────

PROGRESS = (
    Status.DECLARING,
    Status.DECLARED,
    Status.ACCEPTED,
    Status.INSPECTION,
    Status.RELEASED,
    Status.CLOSED,
)
"""The forward path of a declared declaration; a receipt never moves it backwards (receipts can arrive late)."""

RETURNABLE = frozenset(PROGRESS[:4])
"""退单 comes before 放行; a late 退单 after 放行 is history only."""


def receipt_target(channel: str, note: str | None) -> Status | None:
    """The state a receipt code stands for (kernel's reading of CHANNEL), or None for an informational one."""
    receipt = DecReceipt(channel=channel, status=ReceiptStatus.from_channel(channel), note=note)
    code = receipt.status
    if code.is_deleted:
        return Status.DELETED_BY_CUSTOMS
    if code.is_returned:
        return Status.RETURNED_BY_CUSTOMS
    if code.is_closed:
        return Status.CLOSED
    if receipt.is_inspection:  # before 放行: an 无纸放行 notice announcing 查验 means 查验
        return Status.INSPECTION
    if code.is_released:
        return Status.RELEASED
    return {ReceiptStatus.ACCEPTED: Status.ACCEPTED, ReceiptStatus.DECLARED: Status.DECLARED}.get(code)


def moves_forward(current: Status, target: Status | None) -> bool:
    """Whether a receipt meaning `target` moves a declaration in `current` (forward only, see PROGRESS)."""
    if target is None or target is current:
        return False
    if target is Status.DELETED_BY_CUSTOMS:
        return current is not Status.DELETED  # a draft deleted here is already gone
    if target is Status.RETURNED_BY_CUSTOMS:
        return current in RETURNABLE
    return current in PROGRESS and PROGRESS.index(target) > PROGRESS.index(current)


def apply_receipt(declaration: Declaration, receipt: ReceiptReceived, *, now: datetime) -> Declaration | None:
    """Keep the receipt in the history (in notice order) and move the state if the receipt moves it forward;
    once per receipt (by its id, or by its code and time: the same notice 数据同步 brought already)."""
    if any(
        known.receipt_id == receipt.receipt_id
        or (known.channel, known.notice_date) == (receipt.channel, receipt.notice_date)
        for known in declaration.receipts
    ):
        return None
    status = ReceiptStatus.from_channel(receipt.channel)
    entry = ReceiptRecord(
        receipt_id=receipt.receipt_id,
        channel=receipt.channel,
        label=status.label,
        notice_date=receipt.notice_date,
        note=receipt.note,
    )
    head = declaration.document.head
    # 入库成功 is where the 海关编号 usually first appears; keep what the customs assigned.
    numbers = {"entry_id": head.entry_id or receipt.entry_id, "seq_no": head.seq_no or receipt.seq_no}
    update = {
        # Kept in notice order: receipts are separate messages and may arrive in another order (stable sort).
        "receipts": sorted([*declaration.receipts, entry], key=lambda known: known.notice_date),
        "document": declaration.document.model_copy(update={"head": head.model_copy(update=numbers)}),
    }
    action = f"receipt {receipt.channel} {status.label} ({receipt.receipt_id})"
    target = receipt_target(receipt.channel, receipt.note)
    if moves_forward(declaration.status, target):
        assert target is not None
        return transition(declaration, target, action=action, user_id=CUSTOMS, now=now, update=update)
    return record(declaration, action=action, user_id=CUSTOMS, now=now, update=update)
