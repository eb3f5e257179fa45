"""Rules of the pure domain that the HTTP layer cannot reach on its own."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from review_harness import PREPARER, submission

from guanwu.platform.http.errors import refusal_body
from guanwu.review.domain import (
    InvalidDecision,
    ReviewCriteria,
    Reviewer,
    ReviewStatus,
    ReviewTask,
    approve,
    open_task,
    period,
    reject,
    store_filter,
)
from guanwu.review.domain.listing import china_day_start

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


def test_the_period_defaults_to_a_week_up_to_today_in_china_time() -> None:
    late_utc = datetime(2026, 12, 28, 17, 0, tzinfo=UTC)  # already 12-29 in China
    assert period(None, None, now=late_utc) == (date(2026, 12, 22), date(2026, 12, 29))
    assert period(date(2026, 12, 1), None, now=late_utc) == (date(2026, 12, 1), date(2026, 12, 29))
    assert period(None, date(2026, 12, 10), now=late_utc) == (date(2026, 12, 3), date(2026, 12, 10))
    assert period(date(2027, 1, 5), None, now=late_utc) == (date(2027, 1, 5), date(2027, 1, 5))


def test_the_first_and_last_days_a_date_can_name_make_a_period_too() -> None:
    assert china_day_start(date.min) == "0000-12-31T16:00:00"
    assert period(None, date(1, 1, 3), now=NOW) == (date.min, date(1, 1, 3))
    query = store_filter("acme", ReviewCriteria(), date.min, date.max)
    assert query["updated_at"] == {"$gte": "0000-12-31T16:00:00", "$lt": "9999-12-31T16:00:00"}


def test_a_china_day_starts_at_16_utc_the_day_before() -> None:
    assert china_day_start(date(2026, 12, 21)) == "2026-12-20T16:00:00"
    assert china_day_start(date(2027, 1, 1)) == "2026-12-31T16:00:00"
    query = store_filter(
        "acme", ReviewCriteria(ie_flag="E", enterprise_category="2"), date(2026, 12, 21), date(2026, 12, 28)
    )
    assert query == {
        "tenant": "acme",
        "ie_flag": "E",
        "enterprise_categories": "2",
        "updated_at": {"$gte": "2026-12-20T16:00:00", "$lt": "2026-12-28T16:00:00"},
    }
