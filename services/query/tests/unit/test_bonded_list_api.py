"""The 核注清单 list and detail API: filters, 最近操作时间 range, latest first, paging, tenant isolation, roles,
and clear 422s for bad filters."""

from __future__ import annotations

from typing import Any

import pytest
from query_bonded import QD, SEQ, TRADER, inv201, listed, qd, seq
from query_harness import BONDED_URL, Service, at
from service_http import bearer

NOT_FOUND = {
    "error": {
        "code": "query.not_found",
        "message_zh": "核注清单不存在",
        "message_en": "Bonded list not found",
    }
}


async def _three_lists(service: Service) -> None:
    await service.deliver_sync(
        listed(seq(1), 1, bond_invt_no=qd(1), list_stat="0", ie_flag="I", data_source="1", updated=at(10)),
        listed(seq(2), 1, bond_invt_no=qd(2), list_stat="1", ie_flag="E", data_source="2", updated=at(30)),
        listed(seq(3), 1, bond_invt_no=None, list_stat="1", ie_flag="I", trade_name="甲公司", updated=at(20)),
    )


async def test_the_list_filters_and_pages_latest_change_first(service: Service) -> None:
    await _three_lists(service)
    assert await service.bonded_found() == [seq(2), seq(3), seq(1)]
    assert await service.bonded_found(bond_invt_no=qd(1)) == [seq(1)]
    assert await service.bonded_found(seq_no=seq(3)) == [seq(3)]
    assert await service.bonded_found(list_stat="1") == [seq(2), seq(3)]
    assert await service.bonded_found(ie_flag="I") == [seq(3), seq(1)]
    assert await service.bonded_found(data_source="2") == [seq(2)]
    assert await service.bonded_found(trade_name=TRADER) == [seq(2), seq(1)]
    assert await service.bonded_found(trade_name="甲") == []  # the whole name, not a part of it
    assert await service.bonded_found(list_stat="1", ie_flag="I") == [seq(3)]

    page = (await service.client.get(BONDED_URL, params={"skip": 1, "limit": 1}, headers=bearer())).json()
    assert page["total"] == 3 and [r["seq_no"] for r in page["items"]] == [seq(3)]
    assert "bonded_list" not in page["items"][0] and "receipts" not in page["items"][0]  # the detail has them

    await service.deliver_sync(listed(seq(1), 2, bond_invt_no=qd(1), updated=at(40)))
    assert await service.bonded_found() == [seq(1), seq(2), seq(3)]


async def test_the_receipts_status_is_what_the_list_filters_by(service: Service) -> None:
    await _three_lists(service)
    await service.deliver_sync(inv201("r1", seq_no=seq(2), bond_invt_no=qd(2), list_stat="3", notice=at(35)))
    assert await service.bonded_found(list_stat="3") == [seq(2)]
    assert await service.bonded_found(list_stat="1") == [seq(3)]


async def test_the_latest_change_range_is_from_inclusive_to_exclusive(service: Service) -> None:
    await _three_lists(service)
    await service.deliver_sync(inv201("r1", seq_no=seq(9), bond_invt_no=None, notice=at(20)))  # not synced
    assert await service.bonded_found() == [seq(2), seq(3), seq(1), seq(9)]  # no 最近操作时间: last

    window = {"updated_from": at(10).isoformat(), "updated_to": at(30).isoformat()}
    assert await service.bonded_found(**window) == [seq(3), seq(1)]
    assert await service.bonded_found(updated_from=at(20).isoformat()) == [seq(2), seq(3)]
    assert await service.bonded_found(updated_to="2026-03-01T09:20:00.000001+00:00") == [seq(3), seq(1)]
    # Without an offset: Beijing time, the Single Window's clock (09:20Z is 17:20 there).
    assert await service.bonded_found(updated_from="2026-03-01T17:20:00") == [seq(2), seq(3)]
    assert await service.bonded_found(updated_from="2026-03-02") == []


async def test_one_list_by_number_is_the_tenants_only(service: Service) -> None:
    await service.deliver_sync(listed(), tenant="acme")
    other = bearer(tenant="globex")
    assert (await service.client.get(BONDED_URL, headers=other)).json() == {"total": 0, "items": []}
    for number in (QD, SEQ):
        missing = await service.client.get(f"{BONDED_URL}/{number}", headers=other)
        assert (missing.status_code, missing.json()) == (404, NOT_FOUND)
    for number in (qd(99), seq(99)):
        unknown = await service.client.get(f"{BONDED_URL}/{number}", headers=bearer())
        assert (unknown.status_code, unknown.json()) == (404, NOT_FOUND)


async def test_reading_needs_a_token_and_any_role(service: Service) -> None:
    await service.deliver_sync(listed())
    assert (await service.client.get(BONDED_URL)).status_code == 401
    assert (await service.client.get(f"{BONDED_URL}/{QD}")).status_code == 401
    for role in ("preparer", "reviewer", "manager", "integration", "admin"):
        headers = bearer(roles=(role,))
        assert (await service.client.get(f"{BONDED_URL}/{QD}", headers=headers)).status_code == 200
        assert (await service.client.get(BONDED_URL, headers=headers)).json()["total"] == 1


@pytest.mark.parametrize(
    ("params", "field", "error_type"),
    [
        ({"list_stat": "9"}, "list_stat", "literal_error"),
        ({"ie_flag": "X"}, "ie_flag", "literal_error"),
        ({"data_source": "3"}, "data_source", "literal_error"),
        ({"bond_invt_no": "QD1"}, "bond_invt_no", "string_pattern_mismatch"),
        ({"bond_invt_no": SEQ}, "bond_invt_no", "string_pattern_mismatch"),
        ({"seq_no": "i2026000000000000a"}, "seq_no", "string_pattern_mismatch"),
        ({"trade_name": ""}, "trade_name", "string_too_short"),
        ({"updated_from": "yesterday"}, "updated_from", "datetime_from_date_parsing"),
        ({"limit": "0"}, "limit", "greater_than_equal"),
    ],
)
async def test_a_bad_filter_is_refused_naming_it(
    service: Service, params: dict[str, str], field: str, error_type: str
) -> None:
    response = await service.client.get(BONDED_URL, params=params, headers=bearer())
    assert response.status_code == 422, response.text
    error = response.json()["error"]
    assert error["code"] == "request.invalid" and error["message_zh"].startswith("请求数据有误")
    [problem] = error["fields"]
    assert (problem["field"], problem["type"]) == (field, error_type)
    assert problem["message_zh"] and problem["message_en"]


async def test_a_range_that_ends_before_it_starts_is_refused(service: Service) -> None:
    for start, end in ((at(10), at(10)), (at(10), at(9))):
        params = {"updated_from": start.isoformat(), "updated_to": end.isoformat()}
        response = await service.client.get(BONDED_URL, params=params, headers=bearer())
        assert (response.status_code, response.json()) == (422, _invalid_range())
    far = {"updated_from": "0001-01-01T00:00:00+08:00"}
    response = await service.client.get(BONDED_URL, params=far, headers=bearer())
    assert (response.status_code, response.json()["error"]["code"]) == (422, "query.time_out_of_range")
    assert response.json()["error"]["field"] == "updated_from"


def _invalid_range() -> dict[str, Any]:
    return {
        "error": {
            "code": "query.invalid_range",
            "message_zh": "最近操作时间范围有误：结束时间（updated_to）须晚于开始时间（updated_from）",
            "message_en": "最近操作时间: updated_to must be after updated_from",
            "field": "updated_to",
        }
    }


@pytest.mark.parametrize("number", ["QD1", "I2026", "qd311126i000000001", "AB-CDEFGHIJKLMNOPQ"])
async def test_a_number_that_is_neither_kind_is_refused(service: Service, number: str) -> None:
    response = await service.client.get(f"{BONDED_URL}/{number}", headers=bearer())
    assert response.status_code == 422, response.text
    [problem] = response.json()["error"]["fields"]
    assert (problem["field"], problem["type"]) == ("number", "string_pattern_mismatch")
