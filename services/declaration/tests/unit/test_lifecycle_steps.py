"""The pure lifecycle steps after 提交审核: review, signing answers, acceptance, receipts."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from guanwu.contracts.events import (
    DeclarationSigned,
    DeclarationSubmitted,
    FieldMark,
    ReceiptReceived,
    ReviewApproved,
    ReviewRejected,
    SignFailed,
)
from guanwu.customs import fixtures
from guanwu.declaration.domain.errors import LifecycleError
from guanwu.declaration.domain.lifecycle import (
    apply_receipt,
    apply_review,
    mark_submitted,
    receipt_target,
    record_sign_failure,
    record_signature,
    request_declare,
)
from guanwu.declaration.domain.model import Declaration, Status, delete, draft, revise, transition

NOW = datetime(2026, 11, 27, 9, 0, tzinfo=UTC)
SM3 = "ab" * 32


def declaration(status: Status = Status.DRAFT) -> Declaration:
    created = draft(fixtures.export_air(), [], declaration_id="d1", tenant="acme", user_id="u1", now=NOW)
    return (
        created if status is Status.DRAFT else transition(created, status, action="x", user_id="u1", now=NOW)
    )


def review(cls: type[ReviewApproved] | type[ReviewRejected], version: int, **extra: object) -> ReviewApproved:
    return cls(
        review_id="rv1",
        declaration_id="d1",
        declaration_version=version,
        reviewer="r1",
        decided_at=NOW,
        **extra,  # type: ignore[arg-type]
    )


def declaring() -> Declaration:
    approved = declaration(Status.APPROVED)
    return request_declare(approved, [], request_id="q1", content_sm3=SM3, user_id="u1", now=NOW)


def signed(request_id: str = "q1", content_sm3: str = SM3) -> DeclarationSigned:
    return DeclarationSigned(
        request_id=request_id,
        declaration_id="d1",
        signature_b64="c2ln",
        content_sm3=content_sm3,
        user_id="1234567812345678",
        certificate_serial="0a",
        signer_subject="CN=操作员",
        device="soft",
        signed_at=NOW,
    )


def receipt(receipt_id: str, channel: str, note: str | None = None, **extra: object) -> ReceiptReceived:
    fields: dict[str, object] = {"notice_date": NOW, **extra}
    return ReceiptReceived(receipt_id=receipt_id, channel=channel, note=note, **fields)  # type: ignore[arg-type]


def test_approval_moves_only_the_submitted_version_out_of_review() -> None:
    pending = declaration(Status.PENDING_REVIEW)
    approved = apply_review(pending, review(ReviewApproved, pending.version), now=NOW)
    assert approved is not None and approved.status is Status.APPROVED
    assert approved.review is not None and approved.review.reviewer == "r1"
    assert approved.audit[-1].by == "r1" and approved.audit[-1].action == "review_approved"
    # A decision about another version (stale) or a redelivery changes nothing.
    assert apply_review(pending, review(ReviewApproved, pending.version - 1), now=NOW) is None
    assert apply_review(approved, review(ReviewApproved, pending.version), now=NOW) is None


def test_rejection_returns_it_editable_with_the_reviewers_marks() -> None:
    pending = declaration(Status.PENDING_REVIEW)
    marks = [FieldMark(field_path="head.bill_no", verdict="wrong", comment="提单号有误")]
    returned = apply_review(
        pending, review(ReviewRejected, pending.version, comment="请改", marks=marks), now=NOW
    )
    assert returned is not None and returned.status is Status.RETURNED
    assert returned.review is not None and returned.review.outcome == "rejected"
    assert returned.review.marks == marks and returned.review.comment == "请改"


def test_declare_only_after_approval_and_without_errors() -> None:
    with pytest.raises(LifecycleError) as refused:
        request_declare(declaration(), [], request_id="q", content_sm3=SM3, user_id="u1", now=NOW)
    assert refused.value.code == "declaration.not_approved"
    going = declaring()
    assert going.status is Status.DECLARING
    assert (
        going.signing is not None and going.signing.request_id == "q1" and going.signing.requested_by == "u1"
    )


def test_a_signature_is_kept_once_and_only_for_the_request_waited_for() -> None:
    going = declaring()
    kept = record_signature(going, signed(), now=NOW)
    assert kept is not None and kept.status is Status.DECLARING
    assert kept.signing is not None and kept.signing.signature is not None
    assert kept.signing.signature.certificate_serial == "0a"
    assert record_signature(kept, signed(), now=NOW) is None  # redelivered
    assert record_signature(going, signed(request_id="old"), now=NOW) is None  # a stale answer


def test_a_signature_over_other_bytes_counts_as_a_failure() -> None:
    answered = record_signature(declaring(), signed(content_sm3="cd" * 32), now=NOW)
    assert answered is not None and answered.status is Status.APPROVED
    assert answered.signing is not None and answered.signing.failure is not None
    assert answered.signing.failure.reason == "content_mismatch" and answered.signing.signature is None


def test_a_failed_signing_returns_to_approved_with_the_reason() -> None:
    failed = SignFailed(
        request_id="q1", declaration_id="d1", reason="pin_wrong", retries_left=2, failed_at=NOW
    )
    answered = record_sign_failure(declaring(), failed, now=NOW)
    assert answered is not None and answered.status is Status.APPROVED
    assert answered.signing is not None and answered.signing.failure is not None
    assert answered.signing.failure.retries_left == 2
    assert record_sign_failure(answered, failed, now=NOW) is None


def test_acceptance_records_the_seq_no_and_is_applied_once() -> None:
    accepted = DeclarationSubmitted(declaration_id="d1", seq_no="610120260000123456", submitted_at=NOW)
    declared = mark_submitted(declaring(), accepted, now=NOW)
    assert declared is not None and declared.status is Status.DECLARED
    assert declared.document.head.seq_no == "610120260000123456"
    assert mark_submitted(declared, accepted, now=NOW) is None


@pytest.mark.parametrize(
    ("channel", "note", "expected"),
    [
        ("L", None, Status.ACCEPTED),
        ("7", None, Status.DECLARED),
        ("C", None, Status.INSPECTION),
        ("S", None, Status.INSPECTION),
        ("I", "无纸放行，需查验", Status.INSPECTION),
        ("I", None, Status.RELEASED),
        ("P", None, Status.RELEASED),
        ("B", None, Status.RELEASED),
        ("R", None, Status.CLOSED),
        ("E", None, Status.RETURNED_BY_CUSTOMS),
        ("Z", None, Status.RETURNED_BY_CUSTOMS),
        ("v", None, Status.RETURNED_BY_CUSTOMS),
        ("D", None, Status.DELETED_BY_CUSTOMS),
        ("A", None, Status.DELETED_BY_CUSTOMS),
        ("T", None, None),
        ("??", None, None),
    ],
)
def test_receipt_codes_map_to_states(channel: str, note: str | None, expected: Status | None) -> None:
    assert receipt_target(channel, note) is expected


def test_receipts_move_forward_only_and_are_kept_once() -> None:
    current = mark_submitted(
        declaring(),
        DeclarationSubmitted(declaration_id="d1", seq_no="610120260000123456", submitted_at=NOW),
        now=NOW,
    )
    assert current is not None
    for receipt_id, channel, expected in [
        ("r1", "L", Status.ACCEPTED),
        ("r2", "P", Status.RELEASED),
        ("r3", "C", Status.RELEASED),  # a late 查验 notice does not undo 放行
        ("r4", "E", Status.RELEASED),  # nor does a late 退单
        ("r5", "R", Status.CLOSED),
    ]:
        moved = apply_receipt(current, receipt(receipt_id, channel, entry_id="610120261000000001"), now=NOW)
        assert moved is not None and moved.status is expected, receipt_id
        current = moved
    assert [r.receipt_id for r in current.receipts] == ["r1", "r2", "r3", "r4", "r5"]
    assert current.receipts[1].label == "海关已放行"
    assert current.document.head.entry_id == "610120261000000001"
    assert apply_receipt(current, receipt("r2", "P"), now=NOW + timedelta(hours=1)) is None


def test_a_customs_return_makes_it_editable_but_not_deletable() -> None:
    returned = apply_receipt(declaring(), receipt("r1", "Z", note="申报要素不全"), now=NOW)
    assert returned is not None and returned.status is Status.RETURNED_BY_CUSTOMS
    assert revise(returned, fixtures.export_air(), [], user_id="u1", now=NOW).version == returned.version + 1
    with pytest.raises(LifecycleError) as refused:
        delete(returned, user_id="u1", now=NOW)
    assert refused.value.code == "declaration.not_deletable"


def test_a_receipt_arriving_after_a_later_one_takes_its_place_in_the_history() -> None:
    released = apply_receipt(declaring(), receipt("r2", "P", notice_date=NOW + timedelta(seconds=1)), now=NOW)
    assert released is not None
    late = apply_receipt(released, receipt("r1", "L", entry_id="610120261000000001"), now=NOW)
    assert late is not None and late.status is Status.RELEASED  # 入库成功 does not undo 放行
    assert [r.channel for r in late.receipts] == ["L", "P"]
    assert late.document.head.entry_id == "610120261000000001"
