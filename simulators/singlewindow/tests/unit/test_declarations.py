"""申报 at the simulator: one 统一编号 per ClientSeqNo, refusals append nothing, receipts L then P."""

from __future__ import annotations

import base64
import re
from collections.abc import AsyncIterator
from decimal import Decimal
from typing import Any

import httpx
import pytest

from guanwu.contracts.declaration import DeclarationDocument, DecSign
from guanwu.customs import fixtures
from guanwu.customs.messages import build_dec_message
from guanwu.customs.messages.receipts import parse_dec_import_response, parse_dec_result
from guanwu.singlewindow_sim.app import create_app

SIGNATURE = base64.b64encode(b"\x30\x44\x02\x20" + b"\x11" * 32 + b"\x02\x20" + b"\x22" * 32).decode()


def signed_message(
    client_seq_no: str = "GW2026112700000001", document: DeclarationDocument | None = None, **sign: Any
) -> bytes:
    fields = {"oper_type": "C", "client_seq_no": client_seq_no, "sign": SIGNATURE, **sign}
    return build_dec_message(document or fixtures.export_sea_general_trade(), DecSign(**fields))


@pytest.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=create_app())
    async with httpx.AsyncClient(transport=transport, base_url="http://sw") as c:
        yield c


async def declare(
    client: httpx.AsyncClient, body: bytes, enterprise: str = "acme", **params: str
) -> httpx.Response:
    return await client.post(
        "/sim/declarations",
        content=body,
        params={"enterprise": enterprise, **params},
        headers={"Content-Type": "application/xml"},
    )


async def feed(client: httpx.AsyncClient, enterprise: str = "acme") -> list[dict[str, Any]]:
    """The receipts of the feed, read from their DEC_RESULT XML with the kernel's parser."""
    response = await client.get("/sim/receipts", params={"enterprise": enterprise})
    entries = response.json()["receipts"]
    assert all(entry["message_type"] == "DEC_RESULT" for entry in entries)
    return [parse_dec_result(entry["xml"].encode()).model_dump() for entry in entries]


async def test_accepted_declaration_gets_a_seq_no_then_l_and_p_receipts(client: httpx.AsyncClient) -> None:
    response = await declare(client, signed_message())
    assert response.status_code == 200 and response.headers["content-type"].startswith("application/xml")
    answer = parse_dec_import_response(response.content)
    assert answer.succeeded and answer.client_seq_no == "GW2026112700000001"
    assert answer.seq_no is not None and re.fullmatch(r"E\d{17}", answer.seq_no)  # export: E + yyyy + 13
    receipts = await feed(client)
    assert [r["channel"] for r in receipts] == ["L", "P"]
    assert {r["seq_no"] for r in receipts} == {answer.seq_no}
    entry_id = receipts[0]["entry_id"]
    assert re.fullmatch(r"\d{18}", entry_id) and receipts[1]["entry_id"] == entry_id
    assert entry_id[8] == "0"  # 出口
    assert receipts[0]["note"] == "海关入库成功" and receipts[1]["note"] == "海关已放行"


async def test_a_resent_message_gets_the_same_seq_no_and_no_new_receipts(client: httpx.AsyncClient) -> None:
    first = parse_dec_import_response((await declare(client, signed_message())).content)
    again = parse_dec_import_response((await declare(client, signed_message())).content)
    assert again.succeeded and again.seq_no == first.seq_no
    assert len(await feed(client)) == 2
    [filing] = (await client.get("/sim/declarations", params={"enterprise": "acme"})).json()
    assert (filing["submissions"], filing["distinct_messages"]) == (2, 1)
    other = parse_dec_import_response((await declare(client, signed_message("GW2026112700000002"))).content)
    assert other.seq_no != first.seq_no


async def test_the_same_client_seq_no_of_another_enterprise_is_another_declaration(
    client: httpx.AsyncClient,
) -> None:
    ours = parse_dec_import_response((await declare(client, signed_message())).content)
    theirs = parse_dec_import_response((await declare(client, signed_message(), enterprise="other")).content)
    assert ours.seq_no != theirs.seq_no
    assert len(await feed(client, "acme")) == 2 and len(await feed(client, "other")) == 2


@pytest.mark.parametrize("channels", ["L,C", "Z", ""])
async def test_the_receipts_can_be_chosen_per_request(client: httpx.AsyncClient, channels: str) -> None:
    response = await declare(client, signed_message(), receipts=channels)
    assert parse_dec_import_response(response.content).succeeded
    receipts = await feed(client)
    assert [r["channel"] for r in receipts] == [c for c in channels.split(",") if c]
    assert all(r["entry_id"] is None for r in receipts if "L" not in channels)


async def test_behaviour_can_refuse_every_declaration(client: httpx.AsyncClient) -> None:
    behaviour = {"enterprise": "acme", "reject_with": "表头申报单位代码长度不符"}
    assert (await client.put("/sim/declarations/behaviour", json=behaviour)).status_code == 200
    answer = parse_dec_import_response((await declare(client, signed_message())).content)
    assert not answer.succeeded and answer.seq_no is None
    assert answer.error_message is not None and "表头申报单位代码长度不符" in answer.error_message
    assert await feed(client) == []


@pytest.mark.parametrize(
    "body",
    [
        b"<DecMessage><DecHead>",
        b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "b">]><DecMessage/>',
        b"<Other/>",
        b"",
    ],
)
async def test_unreadable_xml_is_400_with_a_bilingual_message_and_nothing_appended(
    client: httpx.AsyncClient, body: bytes
) -> None:
    response = await declare(client, body)
    assert response.status_code == 400
    answer = parse_dec_import_response(response.content)
    assert answer.response_code == "1" and answer.error_message is not None
    assert "报文无法解析" in answer.error_message and "cannot be read" in answer.error_message
    assert (
        await feed(client) == []
        and (await client.get("/sim/declarations", params={"enterprise": "acme"})).json() == []
    )


@pytest.mark.parametrize(
    ("sign", "code"),
    [
        ({"sign": None}, "2"),
        ({"sign": "bm90IGEgc2lnbmF0dXJl"}, "2"),  # base64, but not DER
        ({"client_seq_no": None}, "3"),
        ({"oper_type": "G"}, "4"),  # 暂存 is not 申报
    ],
)
async def test_a_message_without_a_usable_dec_sign_is_refused(
    client: httpx.AsyncClient, sign: dict[str, Any], code: str
) -> None:
    response = await declare(client, signed_message(**sign))
    answer = parse_dec_import_response(response.content)
    assert response.status_code == 200 and answer.response_code == code and answer.seq_no is None
    assert await feed(client) == []


async def test_an_unsigned_message_is_refused(client: httpx.AsyncClient) -> None:
    answer = parse_dec_import_response(
        (await declare(client, build_dec_message(fixtures.export_sea_general_trade()))).content
    )
    assert answer.response_code == "2" and await feed(client) == []


def _with_first_line(**update: Any) -> DeclarationDocument:
    document = fixtures.export_sea_general_trade()
    goods = [document.goods[0].model_copy(update=update), *document.goods[1:]]
    return document.model_copy(update={"goods": goods})


@pytest.mark.parametrize(
    ("update", "field"),
    [
        ({"g_qty": Decimal(-5), "decl_price": Decimal("2.5"), "decl_total": Decimal("-12.5")}, "GQty"),
        ({"g_qty": Decimal(0), "decl_total": Decimal(0)}, "GQty"),
        ({"first_qty": Decimal(-3)}, "FirstQty"),
    ],
)
async def test_a_declaration_failing_the_logic_checks_is_refused(
    client: httpx.AsyncClient, update: dict[str, Any], field: str
) -> None:
    """The Single Window runs its own logic checks: a negative or zero quantity is never 放行."""
    response = await declare(client, signed_message(document=_with_first_line(**update)))
    answer = parse_dec_import_response(response.content)
    assert response.status_code == 200 and not answer.succeeded and answer.seq_no is None
    assert answer.error_message is not None and field in answer.error_message
    assert "逻辑校验" in answer.error_message and "logic checks" in answer.error_message
    assert await feed(client) == []
    assert (await client.get("/sim/declarations", params={"enterprise": "acme"})).json() == []
