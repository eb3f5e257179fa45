"""What every API refuses before a route sees it: text the customs XML cannot carry (422 naming the field),
a body that is not JSON on a JSON route (415), a body that is not UTF-8 (400), all in both languages."""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from fastapi import APIRouter
from pydantic import BaseModel

from guanwu.platform.auth import LocalTokenIssuer
from guanwu.platform.bus.inprocess import InProcessEventBus
from guanwu.platform.local_users import LocalUser, LocalUserStore, login_router
from guanwu.platform.runtime import Runtime, ServiceParts, create_app
from guanwu.platform.store.memory import MemoryDocumentStore

CJK = re.compile(r"[\u4e00-\u9fff]")
# Characters outside the XML 1.0 Char production: C0 controls but tab/LF/CR, U+FFFE/U+FFFF, lone surrogates.
# json.dumps writes U+0008 and U+000C as the short escapes \b and \f.
UNWRITABLE = ["\x00", "\x07", "\x08", "\x0b", "\x0c", "\x1f", "\ufffe", "\uffff", "\ud800", "\udfff"]
# Characters XML 1.0 can carry, some of them unusual.
WRITABLE = [
    "\t",
    "\n",
    "\r",
    "\x7f",
    "\x85",
    "\ud7ff",
    "\ue000",
    "\ufffd",
    "西安（）",
    "한국",
    "😀",
    "\U0010ffff",
]


class Line(BaseModel):
    g_name: str | None = None


class Form(BaseModel):
    trade_name: str | None = None
    goods: list[Line] = []
    extra: dict[str, str] = {}


class Harness:
    def __init__(self, client: httpx.AsyncClient, stored: list[Any]) -> None:
        self.client, self.stored = client, stored

    async def post(self, body: Any, *, ascii_escapes: bool = True, **headers: str) -> httpx.Response:
        content = json.dumps(body, ensure_ascii=ascii_escapes).encode("utf-8", "surrogatepass")
        return await self.client.post(
            "/things", content=content, headers={"content-type": "application/json", **headers}
        )


@pytest.fixture
async def harness() -> AsyncIterator[Harness]:
    stored: list[Any] = []
    router = APIRouter()

    @router.post("/things", status_code=201)
    async def create(form: Form) -> Form:
        stored.append(form)
        return form

    @router.get("/things/{thing_id}")
    async def read(thing_id: str, q: str | None = None) -> dict[str, str | None]:
        stored.append((thing_id, q))
        return {"thing_id": thing_id, "q": q}

    runtime = Runtime(MemoryDocumentStore(), InProcessEventBus())
    runtime.register(ServiceParts(name="things", routers=[router]))
    app = create_app(runtime, LocalTokenIssuer("x" * 48), title="things", service_label="things")
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://svc") as client:
        yield Harness(client, stored)


def only_field(response: httpx.Response) -> dict[str, Any]:
    assert response.status_code == 422, response.text
    error = response.json()["error"]
    assert error["code"] == "request.invalid"
    [field] = error["fields"]
    assert field["type"] == "xml_char"
    assert CJK.search(field["message_zh"]) and "XML" in field["message_en"]
    return dict(field)


@pytest.mark.parametrize("char", UNWRITABLE, ids=lambda c: f"U+{ord(c):04X}")
async def test_unwritable_text_in_a_body_names_the_field_and_nothing_is_stored(
    harness: Harness, char: str
) -> None:
    body = {"trade_name": "西安", "goods": [{"g_name": "ok"}, {"g_name": f"螺丝{char}钉"}]}
    field = only_field(await harness.post(body))
    assert field["field"] == "goods[1].g_name"
    assert field["loc"] == ["body", "goods", 1, "g_name"]
    assert f"U+{ord(char):04X}" in field["message_en"] and f"U+{ord(char):04X}" in field["message_zh"]
    assert harness.stored == []


@pytest.mark.parametrize("char", ["\ufffe", "\uffff", "\ud800"], ids=lambda c: f"U+{ord(c):04X}")
async def test_unwritable_characters_sent_unescaped_are_refused_too(harness: Harness, char: str) -> None:
    field = only_field(await harness.post({"trade_name": f"a{char}"}, ascii_escapes=False))
    assert field["field"] == "trade_name"
    assert harness.stored == []


@pytest.mark.parametrize("encoding", ["utf-16-le", "utf-16", "utf-32-be"])
async def test_a_json_body_in_another_unicode_encoding_is_checked_too(
    harness: Harness, encoding: str
) -> None:
    content = json.dumps({"trade_name": "西安\ufffe"}, ensure_ascii=False).encode(encoding)
    response = await harness.client.post(
        "/things", content=content, headers={"content-type": "application/json"}
    )
    assert only_field(response)["field"] == "trade_name"
    assert harness.stored == []


async def test_a_key_of_a_free_form_object_is_text_too(harness: Harness) -> None:
    field = only_field(await harness.post({"extra": {"ok": "fine", "bad\x00key": "fine"}}))
    # Shown escaped: a lone surrogate in a key could not even be written in the JSON answer.
    assert field["loc"] == ["body", "extra", "bad\\u0000key"]
    field = only_field(await harness.post({"extra": {"\ud800": "fine"}}))
    assert field["field"] == "extra.\\ud800"
    assert harness.stored == []


async def test_every_unwritable_field_is_named(harness: Harness) -> None:
    body = {"trade_name": "\x01", "goods": [{"g_name": "\x02"}]}
    response = await harness.post(body)
    assert response.status_code == 422
    assert {f["field"] for f in response.json()["error"]["fields"]} == {"trade_name", "goods[0].g_name"}


async def test_text_the_xml_can_carry_is_stored_as_sent(harness: Harness) -> None:
    text = "".join(WRITABLE)
    for ascii_escapes in (True, False):
        response = await harness.post(
            {"trade_name": text, "goods": [{"g_name": text}]}, ascii_escapes=ascii_escapes
        )
        assert response.status_code == 201, response.text
        assert response.json()["goods"][0]["g_name"] == text
    assert len(harness.stored) == 2


async def test_unwritable_query_and_path_parameters_are_refused(harness: Harness) -> None:
    field = only_field(await harness.client.get("/things/ok", params={"q": "a\x00b"}))
    assert (field["field"], field["loc"]) == ("q", ["query", "q"])
    field = only_field(await harness.client.get("/things/a%07b"))
    assert (field["field"], field["loc"]) == ("thing_id", ["path", "thing_id"])
    field = only_field(await harness.client.get("/things/ok?q=%EF%BF%BE"))
    assert field["field"] == "q"
    assert harness.stored == []
    ok = await harness.client.get("/things/%E8%A5%BF%E5%AE%89", params={"q": "tab\there 😀"})
    assert ok.status_code == 200 and ok.json() == {"thing_id": "西安", "q": "tab\there 😀"}


@pytest.mark.parametrize(
    ("content_type", "content"),
    [
        ("text/plain", b'{"trade_name": "x"}'),
        ("application/x-www-form-urlencoded", b"trade_name=x"),
        (
            "multipart/form-data; boundary=b",
            b'--b\r\nContent-Disposition: form-data; name="trade_name"\r\n\r\nx\r\n--b--\r\n',
        ),
        ("application/xml", b"<trade_name>x</trade_name>"),
        (None, b'{"trade_name": "x"}'),
    ],
)
async def test_a_body_that_is_not_json_gets_415(
    harness: Harness, content_type: str | None, content: bytes
) -> None:
    headers = {} if content_type is None else {"content-type": content_type}
    response = await harness.client.post("/things", content=content, headers=headers)
    assert response.status_code == 415, response.text
    error = response.json()["error"]
    assert error["code"] == "request.unsupported_media_type"
    assert CJK.search(error["message_zh"]) and "application/json" in error["message_en"]
    assert harness.stored == []


@pytest.mark.parametrize("content_type", ["application/json; charset=utf-8", "application/merge-patch+json"])
async def test_json_media_types_are_accepted(harness: Harness, content_type: str) -> None:
    response = await harness.client.post(
        "/things", content=b'{"trade_name": "x"}', headers={"content-type": content_type}
    )
    assert response.status_code == 201, response.text


async def test_a_body_that_is_not_utf8_gets_400_in_both_languages(harness: Harness) -> None:
    response = await harness.client.post(
        "/things", content=b'{"trade_name": "\xff\xfe"}', headers={"content-type": "application/json"}
    )
    assert response.status_code == 400, response.text
    error = response.json()["error"]
    assert CJK.search(error["message_zh"]) and error["message_zh"] != error["message_en"]
    assert "UTF-8" in error["message_en"]
    assert harness.stored == []


async def test_a_route_that_is_not_found_answers_in_both_languages(harness: Harness) -> None:
    response = await harness.client.get("/nothing-here")
    assert response.status_code == 404
    error = response.json()["error"]
    assert CJK.search(error["message_zh"]) and error["message_en"] == "Not Found"


async def test_the_login_route_refuses_unwritable_text_and_form_posts() -> None:
    store = MemoryDocumentStore()
    users, issuer = LocalUserStore(store), LocalTokenIssuer("x" * 48)
    await users.add(LocalUser(username="demo", tenant="demo", roles=["preparer"]), "secret-password")
    runtime = Runtime(store, InProcessEventBus())
    app = create_app(
        runtime, issuer, title="t", service_label="t", extra_routers=[login_router(users, issuer)]
    )
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://svc") as client:
        response = await client.post("/api/auth/token", json={"username": "demo\x00", "password": "x"})
        assert only_field(response)["field"] == "username"
        form = await client.post("/api/auth/token", data={"username": "demo", "password": "secret-password"})
        assert form.status_code == 415, form.text
        ok = await client.post("/api/auth/token", json={"username": "demo", "password": "secret-password"})
        assert ok.status_code == 200, ok.text
