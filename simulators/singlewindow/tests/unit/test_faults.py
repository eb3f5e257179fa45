"""Faults on demand per enterprise: latency, 503s, hangs, malformed XML (the same records every run),
duplicated and out-of-order receipts. The simulator's sleep is the test's: nothing here waits."""

from __future__ import annotations

from typing import Any

import pytest

from guanwu.customs.messages import XmlError, parse_dec_message
from guanwu.customs.messages.inv101 import parse_inv101
from guanwu.customs.messages.receipts import parse_dec_result

pytestmark = pytest.mark.unit

Simulator = Any  # the `sim` fixture's class (conftest.py)
RECEIPT = {
    "enterprise": "acme",
    "entry_id": "311120260000012345",
    "seq_no": "E20260000000000042",
    "channel": "P",
}


async def _feed(sim: Simulator, **params: Any) -> Any:
    return await sim.client.get("/sim/receipts", params={"enterprise": "acme", **params})


async def _inject(sim: Simulator, count: int) -> None:
    receipts = [{**RECEIPT, "note": f"第{n}份回执"} for n in range(count)]
    assert (await sim.client.post("/sim/receipts/batch", json=receipts)).status_code == 201


async def test_latency_is_waited_before_every_single_window_request(sim: Simulator) -> None:
    await sim.seed(declarations=10)
    await sim.set_faults(latency_ms=250)
    headers = await sim.login()
    await sim.query("declarations", headers, **sim.month(enterprise_category="1"))
    await _feed(sim)
    assert sim.sleeps.seconds == [0.25, 0.25, 0.25]


async def test_an_error_rate_of_one_answers_every_request_503(sim: Simulator) -> None:
    await sim.seed(declarations=10)
    headers = await sim.login()
    await sim.set_faults(error_rate=1.0)
    responses = [
        await sim.client.post("/sim/session", json={"enterprise": "acme"}),
        await sim.query("declarations", headers, **sim.month(enterprise_category="1")),
        await _feed(sim),
        await sim.client.post("/sim/declarations", params={"enterprise": "acme"}, content=b"<DecMessage/>"),
    ]
    for response in responses:
        assert response.status_code == 503 and response.json()["code"] == "unavailable"
        assert response.headers["retry-after"] == "1"


async def test_a_hanging_request_waits_its_hang_then_answers_504(sim: Simulator) -> None:
    await sim.set_faults(timeout_rate=1.0, hang_seconds=7)
    response = await _feed(sim)
    assert response.status_code == 504 and response.json()["code"] == "timeout"
    assert sim.sleeps.seconds == [7]


async def test_which_requests_fail_follows_the_seed(sim: Simulator) -> None:
    async def statuses() -> list[int]:
        await sim.set_faults(seed=3, error_rate=0.3, timeout_rate=0.2, hang_seconds=1)
        return [(await _feed(sim)).status_code for _ in range(30)]

    first = await statuses()
    assert first == await statuses()  # setting the faults again starts the same sequence
    assert {200, 503, 504} == set(first)


async def test_the_same_records_are_malformed_on_every_read(sim: Simulator) -> None:
    await sim.seed(declarations=300, bonded_lists=100)
    await sim.set_faults(seed=5, malformed_rate=0.3)

    async def broken(kind: str, limit: int, **filters: str) -> set[str]:
        items, _ = await sim.pages(kind, limit, **sim.month(**filters))
        parse = parse_dec_message if kind == "declarations" else parse_inv101
        out = set()
        for item in items:
            try:
                parse(item["xml"].encode())
            except XmlError:
                out.add(item["seq_no"])
        return out

    declarations = await broken("declarations", 50, enterprise_category="1")
    assert declarations == await broken("declarations", 7, enterprise_category="1")
    total = await sim.count("declarations", **sim.month(enterprise_category="1"))
    assert 0.15 * total < len(declarations) < 0.45 * total
    lists = await broken("bonded_lists", 20, enterprise_type="1", data_source="1")
    assert lists and lists == await broken("bonded_lists", 3, enterprise_type="1", data_source="1")
    await sim.set_faults(seed=6, malformed_rate=0.3)
    assert declarations != await broken("declarations", 50, enterprise_category="1")


async def test_malformed_receipts_are_the_same_on_every_read(sim: Simulator) -> None:
    await _inject(sim, 40)
    await sim.set_faults(seed=9, malformed_rate=0.5)

    async def broken(limit: int) -> set[int]:
        out, after = set(), 0
        while True:
            page = (await _feed(sim, after=after, limit=limit)).json()
            for entry in page["receipts"]:
                try:
                    parse_dec_result(entry["xml"].encode())
                except XmlError:
                    out.add(entry["position"])
            if page["next_position"] == after:
                return out
            after = page["next_position"]

    first = await broken(40)
    assert first == await broken(6) and 5 < len(first) < 35


async def test_duplicated_receipts_appear_twice_and_the_cursor_moves_once(sim: Simulator) -> None:
    await _inject(sim, 3)
    await sim.set_faults(duplicate_receipts=True)
    page = (await _feed(sim)).json()
    assert [e["position"] for e in page["receipts"]] == [1, 1, 2, 2, 3, 3] and page["next_position"] == 3
    assert page["receipts"][0] == page["receipts"][1]


async def test_out_of_order_receipts_come_reversed_per_page(sim: Simulator) -> None:
    await _inject(sim, 5)
    await sim.set_faults(out_of_order_receipts=True)
    first = (await _feed(sim, limit=3)).json()
    second = (await _feed(sim, after=first["next_position"], limit=3)).json()
    assert [e["position"] for e in first["receipts"]] == [3, 2, 1] and first["next_position"] == 3
    assert [e["position"] for e in second["receipts"]] == [5, 4] and second["next_position"] == 5


async def test_faults_are_per_enterprise_and_spare_the_controls(sim: Simulator) -> None:
    await sim.seed(declarations=10)
    await sim.set_faults(error_rate=1.0)
    assert (await sim.client.get("/sim/receipts", params={"enterprise": "other"})).status_code == 200
    assert (await sim.client.post("/sim/receipts", json=RECEIPT)).status_code == 201
    assert await sim.count("declarations", **sim.month(enterprise_category="1")) >= 0
    assert (await sim.client.get("/sim/datasets/acme")).status_code == 200


async def test_faults_can_be_read_and_cleared(sim: Simulator) -> None:
    await sim.set_faults(error_rate=1.0, expire_session_every=4)
    read = (await sim.client.get("/sim/faults/acme")).json()
    assert (read["error_rate"], read["expire_session_every"], read["session_ttl_seconds"]) == (1.0, 4, 600)
    assert (await sim.client.delete("/sim/faults/acme")).status_code == 204
    assert (await _feed(sim)).status_code == 200
    assert (await sim.client.get("/sim/faults/acme")).json()["error_rate"] == 0.0


@pytest.mark.parametrize(
    "faults",
    [
        {"error_rate": 1.5},
        {"error_rate": 0.6, "timeout_rate": 0.5},
        {"latency_ms": -1},
        {"expire_session_every": 0},
        {"hang_seconds": 3600},
        {"flood": True},
    ],
)
async def test_impossible_faults_are_refused_with_422(sim: Simulator, faults: dict[str, Any]) -> None:
    response = await sim.client.put("/sim/faults", json={"enterprise": "acme", **faults})
    assert response.status_code == 422 and response.json()["code"] == "invalid_request"
