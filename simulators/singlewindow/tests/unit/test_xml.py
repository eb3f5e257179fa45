"""What the simulator sends reads with the kernel's parsers: DecMessage and INV101 documents equal to the data
set's, DEC_RESULT, INV201 and INV202 receipts carrying what was injected."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest

from guanwu.customs.fixtures.datasets import BEIJING, DataSet, receipt_note
from guanwu.customs.messages import parse_dec_message
from guanwu.customs.messages.inv101 import InvtStatus, parse_inv101, parse_inv201, parse_inv202
from guanwu.customs.messages.receipts import parse_dec_result

pytestmark = pytest.mark.unit

Simulator = Any  # the `sim` fixture's class (conftest.py)
START = datetime(2026, 3, 1, tzinfo=BEIJING)  # conftest.py seeds from here too
DATA = DataSet(seed=7, start=START, days=30, declarations=150, bonded_lists=60)


@pytest.fixture
async def seeded(sim: Simulator) -> Simulator:
    await sim.seed(declarations=DATA.declarations, bonded_lists=DATA.bonded_lists)
    return sim


async def test_declarations_come_as_the_data_sets_dec_messages(seeded: Simulator) -> None:
    for category in ("1", "2", "3"):
        items, _ = await seeded.pages("declarations", 500, **seeded.month(enterprise_category=category))
        for item in items:
            index = DATA.find_declaration(item["seq_no"])
            assert index is not None
            facts, document = DATA.declaration_facts(index), parse_dec_message(item["xml"].encode())
            assert document == DATA.declaration(index)
            assert (document.head.seq_no, document.head.entry_id) == (item["seq_no"], item["entry_id"])
            assert item["client_seq_no"] == facts.client_seq_no and item["version"] == facts.version
            assert datetime.fromisoformat(item["updated_at"]) == DATA.moment(facts.updated)
            assert item["channel"] == facts.channel
            assert [(r["channel"], r["note"]) for r in item["receipts"]] == [
                (channel, receipt_note(channel)) for channel, _ in facts.receipts
            ]


async def test_bonded_lists_come_as_the_data_sets_inv101(seeded: Simulator) -> None:
    items, _ = await seeded.pages("bonded_lists", 500, **seeded.month(enterprise_type="1", data_source="1"))
    assert items
    for item in items:
        index = DATA.find_bonded_list(item["seq_no"])
        assert index is not None
        message = parse_inv101(item["xml"].encode())
        assert message.declare and message.envelope.message_type == "INV101"
        assert message.bonded_list == DATA.bonded_list(index)
        facts = DATA.bonded_list_facts(index)
        assert (item["bond_invt_no"], item["list_stat"], item["data_source"]) == (
            facts.bond_invt_no,
            facts.list_stat,
            facts.data_source,
        )
        assert [r["note"] for r in item["receipts"]] == [InvtStatus(s).label for s, _ in facts.receipts]


async def _feed(sim: Simulator) -> list[dict[str, Any]]:
    entries: list[dict[str, Any]] = (
        await sim.client.get("/sim/receipts", params={"enterprise": "acme"})
    ).json()["receipts"]
    return entries


async def test_an_injected_receipt_is_served_as_dec_result_in_beijing_time(sim: Simulator) -> None:
    receipt = {
        "enterprise": "acme",
        "seq_no": "E20260000000000042",
        "channel": "Z",
        "note": "退回修改：<商品编号> & 规格型号",
        "notice_date": "2026-03-02T00:00:05Z",
    }
    injected = await sim.client.post("/sim/receipts", json=receipt)
    assert injected.status_code == 201 and injected.json()["position"] == 1
    [entry] = await _feed(sim)
    assert (entry["message_type"], entry["position"]) == ("DEC_RESULT", 1)
    assert entry["receipt_id"] == injected.json()["receipt_id"]
    parsed = parse_dec_result(entry["xml"].encode())
    assert (parsed.channel, parsed.seq_no, parsed.entry_id, parsed.note) == (
        "Z",
        "E20260000000000042",
        None,
        receipt["note"],
    )
    assert parsed.notice_date == datetime(2026, 3, 2, 8, 0, 5)  # Beijing time, written without an offset


async def test_a_bonded_list_receipt_is_served_as_inv201_with_what_the_data_set_knows(
    seeded: Simulator,
) -> None:
    facts = next(
        DATA.bonded_list_facts(i) for i in range(DATA.bonded_lists) if DATA.bonded_list_facts(i).bond_invt_no
    )
    body = {
        "enterprise": "acme",
        "message_type": "INV201",
        "seq_no": facts.seq_no,
        "bond_invt_no": facts.bond_invt_no,
        "list_stat": "3",
        "note": "企业申请删除",
        "ie_flag": facts.ie_flag,
        "notice_date": "2026-03-20T10:00:00+08:00",
    }
    injected = await seeded.client.post("/sim/bonded-list-receipts", json=body)
    assert injected.status_code == 201, injected.text
    [entry] = await _feed(seeded)
    assert entry["message_type"] == "INV201"
    parsed = parse_inv201(entry["xml"].encode())
    head = parsed.bonded_list.head
    assert (head.seq_no, head.bond_invt_no, head.impexp_markcd) == (
        facts.seq_no,
        facts.bond_invt_no,
        facts.ie_flag,
    )
    assert parsed.is_deleted and parsed.appr_result is not None and parsed.appr_result.rmk == "企业申请删除"
    assert (
        head.bizop_etps_nm == DATA.bonded_list(facts.nth).head.bizop_etps_nm == injected.json()["trade_name"]
    )
    assert parsed.envelope.send_time == "2026-03-20T10:00:00" and parsed.appr_result.manage_date == "20260320"


async def test_a_bonded_list_receipt_is_served_as_inv202(sim: Simulator) -> None:
    body = {
        "enterprise": "acme",
        "message_type": "INV202",
        "seq_no": "202600000000000042",
        "bond_invt_no": "QD311126I000000042",
        "manage_result": "1",
        "entry_seq_no": "I20260000000000777",
        "notice_date": "2026-03-20T02:00:00Z",
    }
    assert (await sim.client.post("/sim/bonded-list-receipts", json=body)).status_code == 201
    [entry] = await _feed(sim)
    parsed = parse_inv202(entry["xml"].encode())
    assert entry["message_type"] == "INV202" and parsed.succeeded
    assert (parsed.inv_preent_no, parsed.business_id, parsed.entry_seq_no) == (
        "202600000000000042",
        "QD311126I000000042",
        "I20260000000000777",
    )
    assert parsed.envelope.send_time == "2026-03-20T10:00:00" and parsed.create_date == "20260320"


async def test_receipts_of_every_kind_share_one_feed_in_order(sim: Simulator) -> None:
    await sim.client.post(
        "/sim/receipts", json={"enterprise": "acme", "entry_id": "311120260000012345", "channel": "D"}
    )
    await sim.client.post(
        "/sim/bonded-list-receipts",
        json={
            "enterprise": "acme",
            "message_type": "INV201",
            "bond_invt_no": "QD311126I000000042",
            "list_stat": "2",
        },
    )
    sim.clock.advance(timedelta(minutes=5).total_seconds())
    await sim.client.post(
        "/sim/bonded-list-receipts",
        json={
            "enterprise": "acme",
            "message_type": "INV202",
            "seq_no": "202600000000000042",
            "manage_result": "2",
        },
    )
    entries = await _feed(sim)
    assert [(e["position"], e["message_type"]) for e in entries] == [
        (1, "DEC_RESULT"),
        (2, "INV201"),
        (3, "INV202"),
    ]
    assert parse_inv201(entries[1]["xml"].encode()).is_returned
    assert not parse_inv202(entries[2]["xml"].encode()).succeeded


@pytest.mark.parametrize(
    "body",
    [
        {"message_type": "INV201", "bond_invt_no": "QD311126I000000042"},  # no list_stat
        {"message_type": "INV202", "seq_no": "202600000000000042"},  # no manage_result
        {"message_type": "INV201", "list_stat": "0"},  # no number
        {"message_type": "INV201", "list_stat": "0", "bond_invt_no": "QX311126I000000042"},
        {"message_type": "INV203", "list_stat": "0", "seq_no": "202600000000000042"},
        {"message_type": "INV201", "list_stat": "7", "seq_no": "202600000000000042"},
    ],
)
async def test_a_bonded_list_receipt_that_cannot_be_rendered_is_422(
    sim: Simulator, body: dict[str, Any]
) -> None:
    response = await sim.client.post("/sim/bonded-list-receipts", json={"enterprise": "acme", **body})
    assert response.status_code == 422 and response.json()["code"] == "invalid_request"
    assert await _feed(sim) == []
