"""Rules of the pure domain that the HTTP layer cannot reach on its own."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from review_harness import PREPARER, submission

from guanwu.platform.http.errors import refusal_body
from guanwu.review.domain import (
    InvalidDecision,
    Reviewer,
    ReviewStatus,
    ReviewTask,
    approve,
    open_task,
    reject,
)

NOW = datetime(2026, 1, 5, 9, 30, tzinfo=UTC)


def pending() -> ReviewTask:
    return open_task(submission(), review_id="t1", tenant="acme", submitted_at=NOW, correlation_id=None)


def test_reject_refuses_a_blank_reason_whoever_calls_it() -> None:
    task = pending()
    with pytest.raises(InvalidDecision) as refused:
        reject(task, reviewer=Reviewer("r1"), comment=" \n", marks=None, now=NOW)
    assert refused.value.field == "comment" and refused.value.code == "review.comment_required"
    assert refused.value.status == 422
    assert refusal_body(refused.value) == {
        "error": {
            "code": "review.comment_required",
            "message_zh": "退回必须填写退回原因（comment）",
            "message_en": "A returned review needs a reason (comment)",
            "field": "comment",
        }
    }


def test_approve_records_who_decided_when_and_drops_a_blank_comment() -> None:
    task = pending()
    approved = approve(task, reviewer=Reviewer("r1"), comment="  ", now=NOW)
    assert (approved.status, approved.version, approved.decided_by) == (ReviewStatus.APPROVED, 2, "r1")
    assert approved.comment is None and approved.audit[-1].action == "approve"
    assert task.status is ReviewStatus.PENDING and task.prepared_by == PREPARER  # the input is not mutated
