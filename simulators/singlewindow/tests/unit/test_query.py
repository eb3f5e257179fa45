"""Keyset paging over seeded records: every matching record exactly once, in (updated_at, 统一编号) order, with
the total and the count oracle equal to what the kernel's data set says (computed here from its facts)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest

from guanwu.customs.fixtures.datasets import BEIJING, TRADERS, DataSet, DeclarationFacts

pytestmark = pytest.mark.unit

Simulator = Any  # the `sim` fixture's class (conftest.py), which test modules cannot import
START = datetime(2026, 3, 1, tzinfo=BEIJING)  # conftest.py seeds from here too


def month(**filters: Any) -> dict[str, Any]:
    """By-day filters over the whole period."""
    return {
        "updated_from": START.isoformat(),
        "updated_to": (START + timedelta(days=30)).isoformat(),
        **filters,
    }


DATA = DataSet(seed=7, start=START, days=30, declarations=900, bonded_lists=400)
DECLARATIONS = [DATA.declaration_facts(i) for i in range(DATA.declarations)]
LISTS = [DATA.bonded_list_facts(i) for i in range(DATA.bonded_lists)]


def ordered(records: list[Any]) -> list[str]:
    """统一编号 in the simulator's order: last change, then 统一编号."""
    return [r.seq_no for r in sorted(records, key=lambda r: (r.updated, r.seq_no))]


def in_order(items: list[dict[str, Any]]) -> bool:
    keys = [(datetime.fromisoformat(i["updated_at"]), i["seq_no"]) for i in items]
    return keys == sorted(keys)


@pytest.fixture
async def seeded(sim: Simulator) -> Simulator:
    await sim.seed(declarations=DATA.declarations, bonded_lists=DATA.bonded_lists)
    return sim


@pytest.mark.parametrize("limit", [1, 13, 500])
async def test_pages_cover_every_matching_declaration_exactly_once_in_order(
    seeded: Simulator, limit: int
) -> None:
    expected = ordered([f for f in DECLARATIONS if f.role == "1"])
    items, totals = await seeded.pages("declarations", limit, **month(enterprise_category="1"))
    assert [i["seq_no"] for i in items] == expected and in_order(items)
    assert totals == {len(expected)} == {await seeded.count("declarations", **month(enterprise_category="1"))}


async def test_the_three_categories_split_the_declarations(seeded: Simulator) -> None:
    counts = {}
    for category in "123":
        items, totals = await seeded.pages("declarations", 500, **month(enterprise_category=category))
        assert [i["seq_no"] for i in items] == ordered([f for f in DECLARATIONS if f.role == category])
        counts[category] = totals.pop()
    assert sum(counts.values()) == DATA.declarations and min(counts.values()) > 50


def _trade_name_in(category: str) -> str:
    used = [f.trade for f in DECLARATIONS if f.role == category]
    return TRADERS[max(set(used), key=used.count)].name


@pytest.mark.parametrize("category", ["1", "2"])
async def test_trade_name_picks_the_declarations_of_one_consignor(seeded: Simulator, category: str) -> None:
    name = _trade_name_in(category)
    filters = month(enterprise_category=category, trade_name=name)
    items, totals = await seeded.pages("declarations", 7, **filters)
    expected = ordered([f for f in DECLARATIONS if f.role == category and TRADERS[f.trade].name == name])
    assert [i["seq_no"] for i in items] == expected and totals == {len(expected)} and len(expected) > 5
    assert await seeded.count("declarations", **filters) == len(expected)


async def test_a_trade_name_nobody_uses_matches_nothing(seeded: Simulator) -> None:
    response = await seeded.query("declarations", **month(enterprise_category="2", trade_name="无此公司"))
    assert response.status_code == 200 and response.json() == {"items": [], "next_cursor": None, "total": 0}


async def test_the_day_range_includes_its_start_and_excludes_its_end(seeded: Simulator) -> None:
    record = DECLARATIONS[100]
    moment = DATA.moment(record.updated)
    same_moment = {f.seq_no for f in DECLARATIONS if f.updated == record.updated and f.role == record.role}
    around = {"enterprise_category": record.role, "updated_from": moment.isoformat()}
    hit = await seeded.query("declarations", **around, updated_to=(moment + timedelta(seconds=1)).isoformat())
    assert {i["seq_no"] for i in hit.json()["items"]} == same_moment and record.seq_no in same_moment
    missed = await seeded.query(
        "declarations",
        enterprise_category=record.role,
        updated_from=(moment - timedelta(hours=1)).isoformat(),
        updated_to=moment.isoformat(),
    )
    assert record.seq_no not in {i["seq_no"] for i in missed.json()["items"]}


async def test_a_naive_time_is_beijing_time(seeded: Simulator) -> None:
    naive = month(enterprise_category="3")
    naive = {
        key: value.replace("+08:00", "") if key.startswith("updated") else value
        for key, value in naive.items()
    }
    items, _ = await seeded.pages("declarations", 500, **naive)
    assert [i["seq_no"] for i in items] == ordered([f for f in DECLARATIONS if f.role == "3"])


@pytest.mark.parametrize(
    "filters",
    [
        {"enterprise_type": "1", "data_source": "1"},
        {"enterprise_type": "2", "data_source": "2"},
        {"enterprise_type": "3", "data_source": "1", "ie_flag": "E"},
        {"enterprise_type": "1", "data_source": "1", "data_status": "3"},
        {"enterprise_type": "2", "data_source": "1", "data_status": "0", "ie_flag": "I"},
    ],
)
async def test_bonded_list_filters(seeded: Simulator, filters: dict[str, str]) -> None:
    def matches(f: Any) -> bool:
        return (
            f.role == filters["enterprise_type"]
            and f.data_source == filters["data_source"]
            and f.ie_flag == filters.get("ie_flag", f.ie_flag)
            and f.list_stat == filters.get("data_status", f.list_stat)
        )

    expected = ordered([f for f in LISTS if matches(f)])
    items, totals = await seeded.pages("bonded_lists", 9, **month(**filters))
    assert [i["seq_no"] for i in items] == expected and in_order(items) and len(expected) > 3
    assert totals == {len(expected)} and await seeded.count("bonded_lists", **month(**filters)) == len(
        expected
    )
    assert {i["list_stat"] for i in items} <= {filters.get("data_status", "0"), "0", "1", "2", "3"}


def _ticket(facts: DeclarationFacts, **changes: str) -> dict[str, str]:
    return {
        "seq_no": facts.seq_no,
        "enterprise_category": facts.role,
        "entry_kind": facts.entry_kind,
        **changes,
    }


async def test_a_declaration_by_ticket(seeded: Simulator) -> None:
    facts = DECLARATIONS[321]
    found = (await seeded.query("declarations", **_ticket(facts))).json()
    assert [i["seq_no"] for i in found["items"]] == [facts.seq_no] and found["total"] == 1
    assert found["next_cursor"] is None and found["items"][0]["entry_id"] == facts.entry_id
    other_role = next(r for r in "123" if r != facts.role)
    other_kind = next(k for k in "01234" if k != facts.entry_kind)
    for ticket in (
        _ticket(facts, enterprise_category=other_role),
        _ticket(facts, entry_kind=other_kind),
        _ticket(facts, seq_no="E20260000000000001"),
    ):
        answer = (await seeded.query("declarations", **ticket)).json()
        assert answer == {"items": [], "next_cursor": None, "total": 0}
        assert await seeded.count("declarations", **ticket) == 0
    assert await seeded.count("declarations", **_ticket(facts)) == 1


async def test_a_bonded_list_by_ticket_by_either_number(seeded: Simulator) -> None:
    facts = next(f for f in LISTS if f.bond_invt_no is not None)
    ticket = {"enterprise_type": facts.role, "data_source": facts.data_source, "ie_flag": facts.ie_flag}
    for number in (facts.seq_no, facts.bond_invt_no):
        found = (await seeded.query("bonded_lists", number=number, **ticket)).json()
        assert [(i["seq_no"], i["bond_invt_no"]) for i in found["items"]] == [
            (facts.seq_no, facts.bond_invt_no)
        ]
    other_ie = "I" if facts.ie_flag == "E" else "E"
    refused = (
        await seeded.query("bonded_lists", number=facts.seq_no, **{**ticket, "ie_flag": other_ie})
    ).json()
    assert refused["items"] == [] and refused["total"] == 0


@pytest.mark.parametrize(
    ("params", "mentions"),
    [
        (month(enterprise_category="1", limit=0), "limit"),
        (month(enterprise_category="1", limit=501), "limit"),
        (month(enterprise_category="4"), "enterprise_category"),
        (month(), "enterprise_category"),
        ({"enterprise_category": "1"}, "updated_from"),
        (month(enterprise_category="1", seq_no="E20260000000000001", entry_kind="0"), "not both"),
        ({"enterprise_category": "1", "seq_no": "E20260000000000001"}, "entry_kind"),
        ({"enterprise_category": "1", "seq_no": "e2026", "entry_kind": "0"}, "seq_no"),
        (
            {
                "enterprise_category": "1",
                "updated_from": "2026-03-02T00:00:00",
                "updated_to": "2026-03-01T00:00:00",
            },
            "after",
        ),
        (month(enterprise_category="1", updated_to="yesterday"), "updated_to"),
        (month(enterprise_category="1", cursor="not-a-cursor"), "cursor"),
        (month(enterprise_category="1", color="red"), "color"),
    ],
)
async def test_a_bad_parameter_is_a_400_that_says_which(
    seeded: Simulator, params: dict[str, Any], mentions: str
) -> None:
    response = await seeded.query("declarations", **params)
    assert response.status_code == 400, response.text
    body = response.json()
    assert set(body) == {"code", "message"} and mentions in body["message"]


async def test_a_bonded_list_ticket_needs_its_ie_flag(seeded: Simulator) -> None:
    response = await seeded.query(
        "bonded_lists", number=LISTS[0].seq_no, enterprise_type="1", data_source="1"
    )
    assert response.status_code == 400 and "ie_flag" in response.json()["message"]


async def test_a_cursor_is_good_only_for_the_query_it_came_from(seeded: Simulator) -> None:
    first = (await seeded.query("declarations", **month(enterprise_category="1", limit=5))).json()
    assert first["next_cursor"]
    other = await seeded.query("declarations", **month(enterprise_category="2", cursor=first["next_cursor"]))
    assert other.status_code == 400 and other.json()["code"] == "invalid_cursor"


async def test_an_enterprise_without_a_data_set_has_no_records(seeded: Simulator) -> None:
    response = await seeded.query("declarations", enterprise="nobody", **month(enterprise_category="1"))
    assert response.json() == {"items": [], "next_cursor": None, "total": 0}
    missing = await seeded.client.get("/sim/datasets/nobody/count", params={"kind": "declarations"})
    assert missing.status_code == 404 and missing.json()["code"] == "not_found"


async def test_the_count_oracle_refuses_filters_of_the_other_kind(seeded: Simulator) -> None:
    response = await seeded.client.get(
        "/sim/datasets/acme/count",
        params={"kind": "declarations", **month(enterprise_category="1", data_status="1")},
    )
    assert response.status_code == 400 and "data_status" in response.json()["message"]
