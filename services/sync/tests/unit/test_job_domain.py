"""The sync job's pure model: its states and lease, the idempotency decision by sw_version, quarantine, and the
kernel's identifier rules on by-ticket numbers."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from pydantic import TypeAdapter

from guanwu.contracts.events import DeclarationSynced, SyncCompleted, SyncProgressed, SyncStarted
from guanwu.contracts.sync import SyncCounts, SyncCriteria
from guanwu.sync.domain.jobs import (
    InvalidNumber,
    JobFinished,
    SyncJob,
    cancel_asked,
    check_numbers,
    claimable,
    claimed,
    failed,
    page_written,
    requested,
)
from guanwu.sync.domain.synced import PageOf, SyncedRecord, sort_page

from .jobs_support import BY_DAY, Record, seq_no

NOW = datetime(2026, 11, 30, 8, tzinfo=UTC)
CRITERIA: Any = TypeAdapter(SyncCriteria).validate_python(BY_DAY)


def new_job(**changes: Any) -> SyncJob:
    job = requested("acme", "j1", CRITERIA, requested_by="u1", requested_at=NOW, correlation_id="c1", now=NOW)
    return job.model_copy(update=changes)


def running(owner: str = "r1") -> SyncJob:
    step = claimed(new_job(), owner, NOW, 60)
    assert step is not None
    return step[0]


def test_a_queued_job_is_claimed_with_a_lease_and_announced_started() -> None:
    step = claimed(new_job(), "r1", NOW, 60)
    assert step is not None
    job, [(_, envelope)] = step
    assert (job.state, job.lease_owner, job.runs, job.version) == ("running", "r1", 1, 2)
    assert job.lease_until == NOW + timedelta(seconds=60)
    started = SyncStarted.model_validate(envelope.data)
    assert (started.resumed, started.kind, started.mode) == (False, "declarations", "by_day")
    assert envelope.correlationid == "c1" and envelope.tenant == "acme"


def test_a_running_job_is_claimable_again_only_once_its_lease_ran_out_and_then_resumes() -> None:
    job = running()
    assert not claimable(job, NOW + timedelta(seconds=59))
    assert claimed(job, "r2", NOW + timedelta(seconds=59), 60) is None
    step = claimed(job, "r2", NOW + timedelta(seconds=61), 60)
    assert step is not None
    again, [(_, envelope)] = step
    assert again.lease_owner == "r2" and again.runs == 2
    assert SyncStarted.model_validate(envelope.data).resumed is True


def test_each_page_moves_counts_and_cursor_and_renews_the_lease_until_the_last() -> None:
    page = SyncCounts(pages=1, fetched=5, written=4, quarantined=1, expected=12)
    job, [(_, progressed)] = page_written(running(), page, "c-5", NOW + timedelta(seconds=30), 60)
    assert job.cursor == "c-5" and job.counts.fetched == 5 and job.counts.expected == 12
    assert job.lease_until == NOW + timedelta(seconds=90)
    assert SyncProgressed.model_validate(progressed.data).cursor == "c-5"
    last = SyncCounts(pages=1, fetched=7, written=7)
    done, events = page_written(job, last, None, NOW, 60)
    assert done.state == "completed" and done.lease_owner is None and done.finished_at == NOW
    assert done.counts == SyncCounts(pages=2, fetched=12, written=11, quarantined=1, expected=12)
    assert SyncCompleted.model_validate(events[-1][1].data).counts.fetched == 12
    assert len({envelope.id for _, envelope in events}) == 2


def test_cancel_stops_a_queued_job_at_once_and_asks_a_running_one() -> None:
    step = cancel_asked(new_job(), "boss", NOW)
    assert step is not None and step[0].state == "cancelled" and step[0].cancel_requested_by == "boss"
    asked = cancel_asked(running(), "boss", NOW + timedelta(seconds=1))
    assert asked is not None
    job, events = asked
    assert (job.state, job.cancel_requested_by, events) == ("running", "boss", [])
    assert cancel_asked(job, "other", NOW) is None  # asked already
    taken_over = claimed(job, "r2", NOW + timedelta(seconds=120), 60)
    assert taken_over is not None and taken_over[0].state == "cancelled"


def test_a_running_job_nobody_holds_is_cancelled_at_once() -> None:
    step = cancel_asked(running(), "boss", NOW + timedelta(seconds=61))
    assert step is not None and step[0].state == "cancelled"


def test_an_ended_job_cannot_be_cancelled_and_a_cancelled_one_stays_so() -> None:
    done, _ = page_written(running(), SyncCounts(pages=1), None, NOW, 60)
    with pytest.raises(JobFinished) as refused:
        cancel_asked(done, "boss", NOW)
    assert refused.value.status == 409 and "completed" in refused.value.message_zh
    gone = cancel_asked(new_job(), "boss", NOW)
    assert gone is not None
    assert cancel_asked(gone[0], "boss", NOW) is None
    assert failed(gone[0], "refused", "no", NOW) is None


def test_a_failed_job_says_why() -> None:
    step = failed(running(), "refused", "单一窗口拒绝 refused: bad day", NOW)
    assert step is not None
    job, _ = step
    assert job.state == "failed" and job.reason == "单一窗口拒绝 refused: bad day"
    assert job.lease_owner is None and job.errors[-1].code == "refused"


@pytest.mark.parametrize(
    ("criteria", "field"),
    [
        ({"kind": "declarations", "mode": "by_ticket", "seq_no": "E20260000000000A01"}, "seq_no"),
        ({"kind": "declarations", "mode": "by_ticket", "seq_no": "E18000000000000001"}, "seq_no"),
        ({"kind": "bonded_lists", "mode": "by_ticket", "number": "QD3111X4I000065401"}, "number"),
        ({"kind": "bonded_lists", "mode": "by_ticket", "number": "QD311124X000065401"}, "number"),
        ({"kind": "bonded_lists", "mode": "by_ticket", "number": "A20260000000000001"}, "number"),
    ],
)
def test_numbers_are_checked_with_the_kernels_rules(criteria: dict[str, Any], field: str) -> None:
    fields = {"enterprise_category": "1", "entry_kind": "0"}
    if criteria["kind"] == "bonded_lists":
        fields = {"enterprise_type": "1", "data_source": "1", "ie_flag": "I"}
    parsed: Any = TypeAdapter(SyncCriteria).validate_python({**criteria, **fields})
    with pytest.raises(InvalidNumber) as refused:
        check_numbers(parsed)
    assert refused.value.status == 422 and refused.value.details["field"] == field
    assert refused.value.message_zh and refused.value.message_en
    assert refused.value.details["position"] is not None


def test_good_numbers_pass() -> None:
    for criteria in (
        {"kind": "declarations", "mode": "by_ticket", "seq_no": seq_no(1)},
        {"kind": "declarations", "mode": "by_ticket", "seq_no": "000000001139524197"},
    ):
        check_numbers(
            TypeAdapter(SyncCriteria).validate_python(
                {**criteria, "enterprise_category": "1", "entry_kind": "0"}
            )
        )
    for number in ("QD311124I000065401", seq_no(7, "I")):
        check_numbers(
            TypeAdapter(SyncCriteria).validate_python(
                {
                    "kind": "bonded_lists",
                    "mode": "by_ticket",
                    "number": number,
                    "enterprise_type": "1",
                    "data_source": "1",
                    "ie_flag": "I",
                }
            )
        )


# ------------------------------------------------------------------------------------ sorting a page

PAGE = PageOf("acme", "declarations", "j1", "c1", NOW, payload_max_chars=2000)


def kept(number: str, version: int, job_id: str = "j0") -> SyncedRecord:
    return SyncedRecord(
        tenant="acme",
        kind="declarations",
        seq_no=number,
        sw_version=version,
        sw_updated_at=NOW,
        job_id=job_id,
        synced_at=NOW,
        version=3,
    )


def items(*records: Record) -> list[dict[str, Any]]:
    return [record.item("declarations") for record in records]


def test_new_and_changed_records_are_written_with_their_event_the_rest_unchanged() -> None:
    fresh, newer, same, older = (Record(seq_no(n), 2, NOW) for n in range(1, 5))
    stored = {seq_no(2): kept(seq_no(2), 1), seq_no(3): kept(seq_no(3), 2), seq_no(4): kept(seq_no(4), 3)}
    page = sort_page(PAGE, items(fresh, newer, same, older), stored)
    assert [r.seq_no for r, _ in page.new] == [seq_no(1)]
    [(changed, [(_, envelope)])] = page.changed
    assert changed.seq_no == seq_no(2) and changed.sw_version == 2 and changed.version == 4
    synced = DeclarationSynced.model_validate(envelope.data)
    assert synced.document.head.seq_no == seq_no(2) and synced.job_id == "j1" and synced.sw_version == 2
    assert page.counts(9) == SyncCounts(pages=1, fetched=4, written=2, unchanged=2, expected=9)


def test_an_event_id_derives_from_the_record_and_its_version() -> None:
    record = Record(seq_no(1), 1, NOW)
    once = sort_page(PAGE, items(record), {}).new[0][1][0][1].id
    again = sort_page(PageOf("acme", "declarations", "j2", "c2", NOW, 2000), items(record), {}).new
    assert again[0][1][0][1].id == once
    record.version = 2
    assert sort_page(PAGE, items(record), {}).new[0][1][0][1].id != once


def test_a_record_this_job_wrote_before_a_restart_counts_as_written_and_announces_nothing() -> None:
    record = Record(seq_no(1), 2, NOW)
    page = sort_page(PAGE, items(record), {seq_no(1): kept(seq_no(1), 2, job_id="j1")})
    assert page.new == [] and page.changed == []
    assert page.counts(None).written == 1


def test_a_record_sent_twice_in_a_page_is_written_once() -> None:
    record = Record(seq_no(1), 1, NOW)
    page = sort_page(PAGE, items(record, record), {})
    assert len(page.new) == 1 and page.counts(None) == SyncCounts(pages=1, fetched=2, written=1, unchanged=1)


def test_unreadable_items_are_quarantined_with_the_reason_and_the_payload() -> None:
    broken = Record(seq_no(1), 1, NOW, malformed=True)
    unnamed = {"version": 1, "xml": "<x/>"}
    other = {**Record(seq_no(3), 1, NOW).item("declarations"), "seq_no": seq_no(4)}
    receipts = {**Record(seq_no(5), 1, NOW).item("declarations"), "receipts": "many"}
    page = sort_page(PAGE, [broken.item("declarations"), unnamed, other, receipts], {})
    assert page.new == [] and page.counts(None).quarantined == 4
    first, second, third, fourth = page.quarantined
    assert first.seq_no == seq_no(1) and first.sw_version == 1 and "XML" in first.reason
    assert "<DecMessage><broken" in first.payload and not first.truncated
    assert second.seq_no is None and "seq_no" in second.reason
    assert "统一编号不一致" in third.reason and third.seq_no == seq_no(4)
    assert fourth.reason.startswith("ValidationError") and "receipts" in fourth.reason
    assert len({item.id for item in page.quarantined}) == 4


def test_a_long_payload_is_cut_to_the_bound_and_says_how_long_it_was() -> None:
    record = {**Record(seq_no(1), 1, NOW, malformed=True).item("declarations"), "note": "x" * 5000}
    [item] = sort_page(PAGE, [record], {}).quarantined
    assert item.truncated and len(item.payload) == 2000 and item.payload_chars > 5000


def test_bonded_lists_are_read_with_the_inv101_parser() -> None:
    of = PageOf("acme", "bonded_lists", "j1", "c1", NOW, 2000)
    good, bad = Record(seq_no(1, "I"), 1, NOW), Record(seq_no(2, "I"), 1, NOW, malformed=True)
    page = sort_page(of, [good.item("bonded_lists"), bad.item("bonded_lists")], {})
    [(record, [(_, envelope)])] = page.new
    assert record.kind == "bonded_lists" and record.status == "1"
    assert envelope.data["bonded_list"]["head"]["seq_no"] == seq_no(1, "I")
    assert [item.seq_no for item in page.quarantined] == [seq_no(2, "I")]
