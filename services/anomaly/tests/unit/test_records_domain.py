"""The records' pure rules: the form's checks, every transition and refusal of 变更状态, 修改 and 删除, and the
history entries and events each step leaves."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import pytest
from anomaly_harness import NOW

from guanwu.anomaly.domain.records import (
    Anomaly,
    AnomalyCategory,
    AnomalyEdit,
    AnomalyInput,
    AnomalyType,
    HandlingStatus,
    HistoryAction,
    StatusChange,
    anomaly_entered,
    deleted,
    edited,
    status_changed,
)
from guanwu.contracts.events.anomaly import FieldChange
from guanwu.platform.refusal import InvalidRequest, Refusal

OPEN, IN_PROGRESS, DONE = HandlingStatus.OPEN, HandlingStatus.IN_PROGRESS, HandlingStatus.DONE
LATER = datetime(2026, 12, 2, 9, tzinfo=UTC)
ENTRY_ID = "610120260000012345"  # 海关编号: 6101 关区, 2026, 0 出口


def entered(**fields: Any) -> Anomaly:
    values: dict[str, Any] = {
        "document_no": ENTRY_ID,
        "anomaly_type": AnomalyType.INSPECTION,
        "occurred_on": date(2026, 3, 2),
        **fields,
    }
    return anomaly_entered(AnomalyInput(**values), anomaly_id="a1", tenant="acme", user_id="u1", now=NOW)


def at(status: HandlingStatus) -> Anomaly:
    """A record at `status`, reached through the state machine."""
    anomaly = entered()
    path = {OPEN: [], IN_PROGRESS: [IN_PROGRESS], DONE: [IN_PROGRESS, DONE]}[status]
    for step in path:
        completed = date(2026, 3, 5) if step is DONE else None
        anomaly, _ = status_changed(
            anomaly, StatusChange(to_status=step, completed_on=completed), user_id="u2", now=LATER
        )
    return anomaly


def refused_field(error: pytest.ExceptionInfo[InvalidRequest]) -> str:
    assert error.value.status == 422 and error.value.message_zh and error.value.message_en
    return str(error.value.details["field"])


# ── 新增: the form's checks ───────────────────────────────────────────────────────────────────────────────


@pytest.mark.parametrize(
    ("category", "number", "ie_flag", "position"),
    [
        (AnomalyCategory.DECLARATION, "61012026000001234", None, None),  # 17 digits
        (AnomalyCategory.DECLARATION, "61012026000001234X", None, 18),
        (AnomalyCategory.DECLARATION, "610120262000012345", None, 9),  # 9th is neither 1 nor 0
        (AnomalyCategory.DECLARATION, ENTRY_ID, "I", 9),  # an export number, said to be an import
        (AnomalyCategory.DECLARATION, "QD610126E000000305", None, 1),  # a list number is not a 报关单号
        (AnomalyCategory.BONDED_LIST, ENTRY_ID, None, 1),  # nor the reverse
        (AnomalyCategory.BONDED_LIST, "QD610126X000000305", None, 9),
    ],
)
def test_a_document_number_the_kernel_refuses_is_refused_naming_the_field(
    category: AnomalyCategory, number: str, ie_flag: str | None, position: int | None
) -> None:
    with pytest.raises(InvalidRequest) as error:
        entered(category=category, document_no=number, ie_flag=ie_flag)
    assert refused_field(error) == "document_no"
    assert error.value.code == "anomaly.invalid_document_no"
    assert error.value.details["position"] == position


def test_valid_numbers_of_each_category_are_registered_with_a_first_history_entry() -> None:
    assert entered(ie_flag="E").document_no == ENTRY_ID
    anomaly = entered(category=AnomalyCategory.BONDED_LIST, document_no="QD610126E000000305")
    assert (anomaly.version, anomaly.category) == (1, AnomalyCategory.BONDED_LIST)
    [entry] = anomaly.history
    assert (entry.version, entry.at, entry.by, entry.action, entry.changes) == (
        1,
        NOW,
        "u1",
        HistoryAction.REGISTERED,
        [],
    )


@pytest.mark.parametrize(
    "fields",
    [
        {"handling_status": DONE},  # 已处理 without 完成日期
        {"handling_status": DONE, "completed_on": date(2026, 3, 1)},  # before 发生日期
        {"handling_status": OPEN, "completed_on": date(2026, 3, 3)},  # 完成日期 before 已处理
        {"handling_status": IN_PROGRESS, "completed_on": date(2026, 3, 3)},
    ],
)
def test_a_completion_date_is_required_at_done_only_and_not_before_the_occurrence(fields: Any) -> None:
    with pytest.raises(InvalidRequest) as error:
        entered(**fields)
    assert refused_field(error) == "completed_on"


def test_done_on_the_day_it_occurred_is_fine() -> None:
    assert entered(handling_status=DONE, completed_on=date(2026, 3, 2)).completed_on == date(2026, 3, 2)


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("document_no", ""),
        ("document_no", "6" * 19),
        ("ie_flag", "X"),
        ("anomaly_type", "丢单"),
        ("occurred_on", "2026-02-30"),
        ("handling_status", "已关闭"),
        ("trade_name", "x" * 101),
        ("client_name", "x" * 101),
        ("responsible_post", "x" * 51),
        ("responsible_person", "x" * 51),
        ("penalized", "maybe"),
        ("penalty_target", "x" * 101),
        ("reason", "x" * 501),
        ("category", "other"),
        ("unknown", 1),
    ],
)
def test_each_field_of_the_form_is_checked(field: str, value: Any) -> None:
    values = {"document_no": ENTRY_ID, "anomaly_type": "查验", "occurred_on": "2026-03-02", field: value}
    with pytest.raises(ValueError, match=field):
        AnomalyInput.model_validate(values)


@pytest.mark.parametrize("field", ["document_no", "anomaly_type", "occurred_on"])
def test_the_starred_fields_are_required(field: str) -> None:
    values = {"document_no": ENTRY_ID, "anomaly_type": "查验", "occurred_on": "2026-03-02"}
    del values[field]
    with pytest.raises(ValueError, match=field):
        AnomalyInput.model_validate(values)


# ── 变更状态: every transition and refusal ────────────────────────────────────────────────────────────


@pytest.mark.parametrize(
    ("start", "target", "completed_on", "reason"),
    [
        (OPEN, IN_PROGRESS, None, None),
        (IN_PROGRESS, DONE, date(2026, 3, 5), None),
        (IN_PROGRESS, OPEN, None, "误操作"),
        (DONE, IN_PROGRESS, None, "海关要求补充材料"),
        (DONE, OPEN, None, "重新处理"),
    ],
)
def test_allowed_transitions_move_the_status_and_leave_an_entry_and_an_event(
    start: HandlingStatus, target: HandlingStatus, completed_on: date | None, reason: str | None
) -> None:
    before = at(start)
    change = StatusChange(to_status=target, completed_on=completed_on, reason=reason)
    after, event = status_changed(before, change, user_id="u3", now=LATER)

    assert (after.handling_status, after.completed_on) == (target, completed_on)
    assert (after.version, after.updated_by, after.updated_at) == (before.version + 1, "u3", LATER)
    entry = after.history[-1]
    assert (entry.version, entry.by, entry.action, entry.reason) == (
        after.version,
        "u3",
        HistoryAction.STATUS_CHANGED,
        reason,
    )
    assert FieldChange(field="handling_status", before=start.value, after=target.value) in entry.changes
    assert (event.from_status, event.to_status, event.version, event.reason) == (
        start.value,
        target.value,
        after.version,
        reason,
    )
    assert (event.before.handling_status, event.after.handling_status) == (start.value, target.value)


def test_reopening_clears_the_completion_date_in_the_record_and_its_history() -> None:
    after, _ = status_changed(
        at(DONE), StatusChange(to_status=OPEN, reason="重新处理"), user_id="u", now=LATER
    )
    assert after.completed_on is None
    assert FieldChange(field="completed_on", before="2026-03-05", after=None) in after.history[-1].changes


@pytest.mark.parametrize("status", list(HandlingStatus))
def test_the_same_status_again_is_refused(status: HandlingStatus) -> None:
    completed = date(2026, 3, 6) if status is DONE else None
    with pytest.raises(Refusal) as error:
        status_changed(
            at(status), StatusChange(to_status=status, completed_on=completed), user_id="u", now=LATER
        )
    assert (error.value.status, error.value.code) == (409, "anomaly.status_unchanged")


def test_a_matter_settled_at_once_goes_straight_to_done_with_its_completion_date() -> None:
    change = StatusChange(to_status=DONE, completed_on=date(2026, 3, 5))
    done, event = status_changed(at(OPEN), change, user_id="u", now=LATER)
    assert (done.handling_status, done.completed_on) == (DONE, date(2026, 3, 5))
    assert (event.from_status, event.to_status) == ("未处理", "已处理")
    with pytest.raises(Refusal) as error:
        status_changed(at(OPEN), StatusChange(to_status=DONE), user_id="u", now=LATER)
    assert error.value.code == "anomaly.invalid_completed_on"


@pytest.mark.parametrize(("start", "target"), [(IN_PROGRESS, OPEN), (DONE, IN_PROGRESS), (DONE, OPEN)])
@pytest.mark.parametrize("reason", [None, "   "])
def test_going_back_without_a_reason_is_refused(
    start: HandlingStatus, target: HandlingStatus, reason: str | None
) -> None:
    with pytest.raises(InvalidRequest) as error:
        status_changed(at(start), StatusChange(to_status=target, reason=reason), user_id="u", now=LATER)
    assert refused_field(error) == "reason"


@pytest.mark.parametrize(
    ("start", "target", "completed_on"),
    [
        (IN_PROGRESS, DONE, None),  # required
        (IN_PROGRESS, DONE, date(2026, 3, 1)),  # before 发生日期 2026-03-02
        (OPEN, IN_PROGRESS, date(2026, 3, 5)),  # only at 已处理
    ],
)
def test_a_wrong_completion_date_is_refused(
    start: HandlingStatus, target: HandlingStatus, completed_on: date | None
) -> None:
    with pytest.raises(InvalidRequest) as error:
        status_changed(
            at(start), StatusChange(to_status=target, completed_on=completed_on), user_id="u", now=LATER
        )
    assert refused_field(error) == "completed_on"


# ── 修改 and 删除 ─────────────────────────────────────────────────────────────────────────────────────


def form_of(anomaly: Anomaly, **changes: Any) -> AnomalyEdit:
    return AnomalyEdit(**{**anomaly.model_dump(include=set(AnomalyEdit.model_fields)), **changes})


def test_an_edit_keeps_each_changed_field_before_and_after() -> None:
    before = entered(trade_name="西安某贸易")
    step = edited(before, form_of(before, trade_name="西安新贸易", penalized=True), user_id="u2", now=LATER)
    assert step is not None
    after, event = step
    assert (after.trade_name, after.penalized, after.version) == ("西安新贸易", True, 2)
    expected = [
        FieldChange(field="trade_name", before="西安某贸易", after="西安新贸易"),
        FieldChange(field="penalized", before=None, after="true"),
    ]
    assert after.history[-1].changes == expected == event.changes
    assert (after.history[-1].action, after.history[-1].by, after.history[-1].at) == (
        HistoryAction.CHANGED,
        "u2",
        LATER,
    )
    assert (event.before.penalized, event.after.penalized, event.changed_by) == (None, True, "u2")


def test_an_edit_that_changes_nothing_is_no_step() -> None:
    anomaly = entered()
    assert edited(anomaly, form_of(anomaly), user_id="u2", now=LATER) is None


def test_an_edit_checks_a_changed_number_and_the_completion_date() -> None:
    anomaly = entered()
    with pytest.raises(InvalidRequest) as error:
        edited(anomaly, form_of(anomaly, document_no="123"), user_id="u", now=LATER)
    assert refused_field(error) == "document_no"
    with pytest.raises(InvalidRequest) as error:
        edited(anomaly, form_of(anomaly, completed_on=date(2026, 3, 5)), user_id="u", now=LATER)
    assert refused_field(error) == "completed_on"
    done = at(DONE)
    with pytest.raises(InvalidRequest) as error:  # 发生日期 moved after the 完成日期
        edited(done, form_of(done, occurred_on=date(2026, 3, 9)), user_id="u", now=LATER)
    assert refused_field(error) == "completed_on"


def test_a_deleted_record_keeps_everything_and_says_who_when_and_why() -> None:
    before = at(IN_PROGRESS)
    after, event = deleted(before, user_id="u9", now=LATER, reason="重复登记")
    assert (after.deleted_at, after.deleted_by, after.delete_reason) == (LATER, "u9", "重复登记")
    assert after.model_dump(include=set(AnomalyInput.model_fields)) == before.model_dump(
        include=set(AnomalyInput.model_fields)
    )
    assert (after.history[-1].action, after.history[-1].reason) == (HistoryAction.DELETED, "重复登记")
    assert event.before == event.after and (event.version, event.reason) == (after.version, "重复登记")
