"""Seeded data sets: the same seed gives the same records, a new data set replaces the old, `touch` changes
exactly n records, and 100,000 declarations are kept in a few bytes each."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import httpx
import pytest

from guanwu.customs.fixtures.datasets import BEIJING
from guanwu.singlewindow_sim.app import create_app
from guanwu.singlewindow_sim.state import SingleWindowState

pytestmark = pytest.mark.unit

Simulator = Any  # the `sim` fixture's class (conftest.py)
ALL = ("1", "2", "3")


async def _everything(sim: Simulator, **window: str) -> dict[str, dict[str, Any]]:
    """Every declaration of the window, by 统一编号."""
    out = {}
    for category in ALL:
        items, _ = await sim.pages(
            "declarations", 500, **(window or sim.month()), enterprise_category=category
        )
        out |= {item["seq_no"]: item for item in items}
    return out


async def test_the_same_seed_gives_the_same_records_in_another_simulator(sim: Simulator) -> None:
    await sim.seed(declarations=120, bonded_lists=30)
    ours = await sim.pages("declarations", 50, **sim.month(enterprise_category="2"))
    other = SingleWindowState(clock=sim.clock, sleep=sim.sleeps)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=create_app(other)), base_url="http://b"
    ) as b:
        twin = type(sim)(b, other, sim.clock, sim.sleeps)
        await twin.seed(declarations=120, bonded_lists=30)
        assert await twin.pages("declarations", 50, **sim.month(enterprise_category="2")) == ours
        filters = sim.month(enterprise_type="1", data_source="1")
        assert await twin.pages("bonded_lists", 8, **filters) == await sim.pages("bonded_lists", 8, **filters)
        await twin.seed(seed=8, declarations=120, bonded_lists=30)
        theirs, _ = await twin.pages("declarations", 50, **sim.month(enterprise_category="2"))
        assert {i["seq_no"] for i in theirs}.isdisjoint({i["seq_no"] for i in ours[0]})


async def test_a_new_data_set_replaces_the_old_one(sim: Simulator) -> None:
    await sim.seed(declarations=100)
    summary = await sim.seed(declarations=40, bonded_lists=5, days=10)
    assert (summary["declarations"], summary["bonded_lists"], summary["days"]) == (40, 5, 10)
    assert len(await _everything(sim)) == 40
    read = (await sim.client.get("/sim/datasets/acme")).json()
    assert (
        read["enterprise_name"] == summary["enterprise_name"]
        and summary["enterprise_name"] in read["trade_names"]
    )
    assert datetime.fromisoformat(read["end"]) - datetime.fromisoformat(read["start"]) == timedelta(days=10)


async def test_the_default_period_is_the_30_days_before_now(sim: Simulator) -> None:
    response = await sim.client.post(
        "/sim/datasets", json={"enterprise": "acme", "seed": 1, "declarations": 30}
    )
    summary = response.json()
    assert datetime.fromisoformat(summary["end"]) == sim.clock.now
    records = await _everything(sim, updated_from=summary["start"], updated_to=summary["end"])
    assert len(records) == 30


async def test_touch_changes_exactly_n_records_now(sim: Simulator) -> None:
    await sim.seed(declarations=200)
    before = await _everything(sim)
    response = await sim.client.post("/sim/datasets/acme/touch", json={"kind": "declarations", "count": 15})
    touched = response.json()
    assert response.status_code == 200 and touched["count"] == 15 and len(set(touched["seq_nos"])) == 15
    assert datetime.fromisoformat(touched["updated_at"]) == sim.clock.now
    now = sim.clock.now
    changed = await _everything(
        sim, updated_from=now.isoformat(), updated_to=(now + timedelta(seconds=1)).isoformat()
    )
    assert set(changed) == set(touched["seq_nos"])
    for seq_no, item in changed.items():
        assert item["version"] == before[seq_no]["version"] + 1
        assert item["xml"] == before[seq_no]["xml"]
    assert set(await _everything(sim)) == set(before) - set(changed)
    summary = (await sim.client.get("/sim/datasets/acme")).json()
    assert summary["touched"] == {"declarations": 15, "bonded_lists": 0}


async def test_touch_takes_the_records_changed_longest_ago_and_bonded_lists_too(sim: Simulator) -> None:
    await sim.seed(bonded_lists=60)
    every = []
    for role in ALL:
        for source in ("1", "2"):
            items, _ = await sim.pages(
                "bonded_lists", 500, **sim.month(enterprise_type=role, data_source=source)
            )
            every += items
    assert len(every) == 60
    oldest = sorted(every, key=lambda i: (datetime.fromisoformat(i["updated_at"]), i["seq_no"]))[:10]
    touched = (
        await sim.client.post("/sim/datasets/acme/touch", json={"kind": "bonded_lists", "count": 10})
    ).json()
    assert touched["seq_nos"] == [i["seq_no"] for i in oldest]


@pytest.mark.parametrize(
    ("enterprise", "body", "status"),
    [
        ("acme", {"kind": "declarations", "count": 11}, 422),
        ("acme", {"kind": "invoices", "count": 1}, 422),
        ("acme", {"kind": "declarations", "count": 0}, 422),
        ("nobody", {"kind": "declarations", "count": 1}, 404),
    ],
)
async def test_touch_refuses_what_it_cannot_do(
    sim: Simulator, enterprise: str, body: dict[str, Any], status: int
) -> None:
    await sim.seed(declarations=10)
    response = await sim.client.post(f"/sim/datasets/{enterprise}/touch", json=body)
    assert response.status_code == status and set(response.json()) == {"code", "message"}


@pytest.mark.parametrize(
    "body",
    [
        {"seed": 1, "declarations": 100_001},
        {"seed": 1, "bonded_lists": 20_001},
        {"seed": -1},
        {"declarations": 5},
        {"seed": 1, "days": 0},
        {"seed": 1, "days": 367},
        {"seed": 1, "start": "1970-01-01T00:00:00Z"},
        {"seed": 1, "start": "soon"},
        {"seed": 1, "size": 3},
    ],
)
async def test_an_impossible_data_set_is_refused_with_422(sim: Simulator, body: dict[str, Any]) -> None:
    response = await sim.client.post("/sim/datasets", json={"enterprise": "acme", **body})
    assert response.status_code == 422 and response.json()["code"] == "invalid_request"
    assert (await sim.client.get("/sim/datasets/acme")).status_code == 404


async def test_a_naive_start_is_beijing_time(sim: Simulator) -> None:
    summary = await sim.seed(start="2026-03-01T00:00:00", declarations=1)
    assert datetime.fromisoformat(summary["start"]) == datetime(2026, 3, 1, tzinfo=BEIJING)


async def test_a_hundred_thousand_declarations_fit_in_a_few_bytes_each(sim: Simulator) -> None:
    summary = await sim.seed(declarations=100_000, bonded_lists=20_000)
    assert (summary["declarations"], summary["bonded_lists"]) == (100_000, 20_000)
    records = sim.state.records["acme"]
    for index in (records.declarations, records.bonded_lists):
        columns = [index.seq_keys, index.updated, index.versions, index.order, *index.columns.values()]
        assert sum(c.itemsize * len(c) for c in columns) <= 48 * len(index)
    first = (await sim.query("declarations", **sim.month(enterprise_category="1", limit=500))).json()
    assert len(first["items"]) == 500 and first["total"] == await sim.count(
        "declarations", **sim.month(enterprise_category="1")
    )
