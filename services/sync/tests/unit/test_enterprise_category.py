"""企业类别: each DeclarationSynced carries the category its job asked by; the same version asked under another
category is announced again with it (an id of its own), never twice under the same one."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from pydantic import TypeAdapter

from guanwu.contracts.events import DeclarationSynced
from guanwu.contracts.sync import SyncCounts, SyncCriteria
from guanwu.sync.domain.synced import PageOf, SyncedRecord, enterprise_category_of, sort_page

from .jobs_support import BONDED_BY_DAY, BY_DAY, FakeSingleWindow, Record, seq_no
from .test_job_runner import Clock, Store, ask, current, make_runner, run_all

NOW = datetime(2026, 11, 30, 8, tzinfo=UTC)


def criteria(raw: dict[str, Any]) -> Any:
    return TypeAdapter(SyncCriteria).validate_python(raw)


def page_of(category: str | None, job_id: str = "j1") -> PageOf:
    return PageOf("acme", "declarations", job_id, "c1", NOW, 2000, category)  # type: ignore[arg-type]


def test_the_category_comes_from_the_declaration_criteria_and_none_for_bonded_lists() -> None:
    by_ticket = {"kind": "declarations", "mode": "by_ticket", "seq_no": seq_no(1)}
    assert (
        enterprise_category_of(criteria({**by_ticket, "enterprise_category": "3", "entry_kind": "0"})) == "3"
    )
    assert enterprise_category_of(criteria({**BY_DAY, "enterprise_category": "2"})) == "2"
    assert enterprise_category_of(criteria(BONDED_BY_DAY)) is None


def test_a_new_record_is_announced_with_the_category_and_keeps_it() -> None:
    page = sort_page(page_of("2"), [Record(seq_no(1), 1, NOW).item("declarations")], {})
    [(record, [(_, envelope)])] = page.new
    assert DeclarationSynced.model_validate(envelope.data).enterprise_category == "2"
    assert record.enterprise_categories == ["2"]


def test_the_same_version_under_another_category_is_announced_again_once() -> None:
    item = Record(seq_no(1), 1, NOW).item("declarations")
    [(first, [(_, announced)])] = sort_page(page_of("1", job_id="j0"), [item], {}).new

    page = sort_page(page_of("2"), [item], {seq_no(1): first})
    [(record, [(_, again)])] = page.changed
    assert DeclarationSynced.model_validate(again.data).enterprise_category == "2"
    assert again.id != announced.id and record.enterprise_categories == ["1", "2"]
    assert (record.version, record.job_id) == (first.version + 1, "j1")
    assert page.counts(None) == SyncCounts(pages=1, fetched=1, written=1)

    for category in ("1", "2"):
        page = sort_page(page_of(category, job_id="j2"), [item], {seq_no(1): record})
        assert page.new == page.changed == [] and page.counts(None).unchanged == 1


def test_an_older_item_is_not_announced_under_a_new_category() -> None:
    kept = SyncedRecord(
        tenant="acme",
        kind="declarations",
        seq_no=seq_no(1),
        sw_version=2,
        sw_updated_at=NOW,
        job_id="j0",
        synced_at=NOW,
        enterprise_categories=["1"],
    )
    page = sort_page(page_of("3"), [Record(seq_no(1), 1, NOW).item("declarations")], {seq_no(1): kept})
    assert page.changed == [] and page.counts(None).unchanged == 1


async def test_jobs_asking_by_two_categories_announce_each_record_under_both() -> None:
    fake = FakeSingleWindow()
    fake.seed("acme", "declarations", 12)
    store, clock = Store(), Clock()
    first = await ask(store, clock)  # 企业类别 1
    await run_all(make_runner(store, fake, clock))
    second = await ask(store, clock, {**BY_DAY, "enterprise_category": "2"})
    await run_all(make_runner(store, fake, clock))
    third = await ask(store, clock, {**BY_DAY, "enterprise_category": "2"})
    await run_all(make_runner(store, fake, clock))

    assert (await current(store, first)).counts.written == 12
    assert (await current(store, second)).counts.written == 12
    assert (await current(store, third)).counts == SyncCounts(pages=3, fetched=12, unchanged=12, expected=12)
    synced = await store.events("sync_records", DeclarationSynced.event_type)
    categories = sorted((e["data"]["seq_no"], e["data"]["enterprise_category"]) for e in synced)
    assert categories == sorted(
        (record.seq_no, category) for record in fake.records[("acme", "declarations")] for category in "12"
    )
    assert len({e["id"] for e in synced}) == 24
