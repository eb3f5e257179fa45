"""The review list (F-10): every query field of the seed checked against a recount of the stored tasks, the
最近操作时间 range (default: the last 7 days, China time), sort orders and pages."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from review_harness import Service, auth, submission
from review_listing import (
    NOW,
    SORT_FIELDS,
    TASKS,
    china_day,
    every_filter_agrees_with_a_recount,
    in_default_period,
    listed,
    seed,
    sorted_pages,
)

from guanwu.review.domain import CHINA_TIME


async def test_filters_combine(service: Service) -> None:
    tasks = await seed(service)
    expected = sorted(
        t.review_id
        for t in tasks
        if t.ie_flag == "E" and t.custom_master == "5100" and t.prepared_by == "p1" and in_default_period(t)
    )
    page = await listed(service, ie_flag="E", custom_master="5100", prepared_by="p1")
    assert sorted(r["review_id"] for r in page["items"]) == expected and page["total"] == len(expected)
    assert expected


async def test_the_period_defaults_to_the_last_7_days_and_takes_china_time_days(service: Service) -> None:
    tasks = await seed(service)
    page = await listed(service)
    today = china_day(NOW)
    assert (page["updated_from"], page["updated_to"]) == (str(today - timedelta(days=7)), str(today))
    assert page["total"] == sum(1 for t in tasks if in_default_period(t)) < len(tasks)
    day = china_day(NOW - timedelta(days=9))
    one_day = await listed(service, updated_from=str(day), updated_to=str(day))
    expected = sorted(t.review_id for t in tasks if china_day(t.updated_at) == day)
    assert sorted(r["review_id"] for r in one_day["items"]) == expected


async def test_a_task_just_after_china_midnight_counts_for_that_day(service: Service) -> None:
    midnight = datetime.combine(china_day(NOW) - timedelta(days=2), datetime.min.time(), CHINA_TIME)
    await service.submit(submission("before"), at=midnight - timedelta(microseconds=1))
    await service.submit(submission("after"), at=midnight + timedelta(microseconds=500))
    day = str(midnight.date())
    page = await listed(service, updated_from=day, updated_to=day)
    assert [r["declaration_id"] for r in page["items"]] == ["after"]


@pytest.mark.parametrize("field", SORT_FIELDS)
@pytest.mark.parametrize("order", ["asc", "desc"])
async def testsorted_pages_cover_the_list_once_in_order(service: Service, field: str, order: str) -> None:
    await sorted_pages(service, await seed(service, 30), field, order)


async def test_every_filter_matches_a_recount_of_the_stored_tasks(service: Service) -> None:
    await every_filter_agrees_with_a_recount(service)


async def test_rows_carry_the_result_columns_and_no_document(service: Service) -> None:
    await service.submit(submission("d1", entry_id="510120261000000001", seq_no="I20261000000000001"))
    [row] = (await listed(service))["items"]
    for column in ("ie_flag", "declaration_id", "entry_id", "declaration_status", "declare_status", "seq_no"):
        assert column in row
    assert (row["declaration_status"], row["entry_id"], row["custom_master"]) == (
        "待审核",
        "510120261000000001",
        "5100",
    )
    assert "document" not in row and "audit" not in row and row["version"] == 1


async def test_rows_count_the_green_and_red_marks(service: Service) -> None:
    await service.submit(submission("d1"))
    [row] = (await listed(service))["items"]
    version = row["version"]
    for path, state in (("head.bill_no", "ok"), ("head.contr_no", "ok"), ("goods[0].g_qty", "wrong")):
        answer = await service.client.post(
            f"{TASKS}/{row['review_id']}/mark",
            json={"field_path": path, "state": state},
            headers=auth(version=version),
        )
        assert answer.status_code == 200, answer.text
        version = answer.json()["version"]
    [row] = (await listed(service))["items"]
    assert (row["marks_ok"], row["marks_wrong"], row["marks_stale"], row["version"]) == (2, 1, 0, version)


async def test_a_task_stored_before_the_later_list_fields_still_lists(service: Service) -> None:
    """Rows are built from the stored documents, with the defaults the task model gives a missing field."""
    await service.submit(submission("d1"))
    [stored] = await service.stored()
    old = {k: v for k, v in stored.items() if k not in ("declare_mode", "kind", "_version")}
    await service.runtime.store.collection("review_tasks").replace(old, expected_version=stored["_version"])
    [row] = (await listed(service))["items"]
    assert (row["declare_mode"], row["kind"], row["version"]) == ("0", "declaration", stored["_version"] + 1)


async def test_a_period_from_the_first_to_the_last_day_a_date_can_name(service: Service) -> None:
    await service.submit(submission("d1"))
    assert (await listed(service, updated_from="0001-01-01", updated_to="9999-12-31"))["total"] == 1
    assert (await listed(service, updated_to="0001-01-02"))["total"] == 0


async def test_a_bad_period_or_sort_is_refused(service: Service) -> None:
    for params in ({"updated_from": "2026-13-01"}, {"sort": "trade_name"}, {"order": "up"}, {"limit": 0}):
        response = await service.client.get(TASKS, params=params, headers=auth())
        assert response.status_code == 422, params
