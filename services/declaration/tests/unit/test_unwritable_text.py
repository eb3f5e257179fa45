"""Text the customs XML cannot carry is refused where it enters (422 naming the field), not at 申报."""

from __future__ import annotations

import json
from typing import Any

import pytest
from declaration_harness import Service, as_json, auth

from guanwu.customs import fixtures

DECLARATIONS = "/api/declaration/declarations"
TEMPLATES = "/api/declaration/templates"
UNWRITABLE = ["\x00", "\x07", "\ufffe", "\ud800"]


def post_json(service: Service, url: str, body: Any, headers: dict[str, str]) -> Any:
    # ASCII escapes: a lone surrogate has no UTF-8 form, only a \\u escape can carry it.
    content = json.dumps(body).encode()
    return service.client.post(url, content=content, headers={**headers, "content-type": "application/json"})


def refused_fields(response: Any) -> set[str]:
    assert response.status_code == 422, response.text
    fields = response.json()["error"]["fields"]
    assert all(f["type"] == "xml_char" and f["message_zh"] and f["message_en"] for f in fields)
    return {f["field"] for f in fields}


@pytest.mark.parametrize("char", UNWRITABLE, ids=lambda c: f"U+{ord(c):04X}")
async def test_a_draft_with_unwritable_text_is_refused_and_nothing_is_stored(
    service: Service, char: str
) -> None:
    document = as_json(fixtures.export_air())
    document["head"]["trade_name"] = f"西安{char}贸易"
    document["goods"][0]["g_name"] = f"{char}螺丝"
    response = await post_json(service, DECLARATIONS, document, auth())
    assert refused_fields(response) == {"head.trade_name", "goods[0].g_name"}
    assert await service.stored() == 0 and service.bus.published == []


async def test_an_update_with_unwritable_text_changes_nothing(service: Service) -> None:
    created = await service.client.post(DECLARATIONS, json=as_json(fixtures.export_air()), headers=auth())
    assert created.status_code == 201, created.text
    url = f"{DECLARATIONS}/{created.json()['declaration_id']}"
    document = as_json(fixtures.export_air())
    document["goods"][0]["g_model"] = "型号\x1b[31m"
    response = await service.client.put(url, json=document, headers={**auth(), "If-Match": '"1"'})
    assert refused_fields(response) == {"goods[0].g_model"}
    assert (await service.client.get(url, headers=auth())).json()["version"] == 1


async def test_a_template_with_unwritable_text_is_refused(service: Service) -> None:
    template = {"name": "模版\x07", "document": {"head": {"ie_flag": "E", "note_s": "备注\uffff"}}}
    response = await service.client.post(TEMPLATES, json=template, headers=auth())
    assert refused_fields(response) == {"name", "document.head.note_s"}
    assert (await service.client.get(TEMPLATES, headers=auth())).json() == []


async def test_an_unwritable_path_parameter_is_refused(service: Service) -> None:
    response = await service.client.get(f"{DECLARATIONS}/abc%00", headers=auth())
    assert refused_fields(response) == {"declaration_id"}


async def test_a_body_that_is_not_json_gets_415(service: Service) -> None:
    body = json.dumps(as_json(fixtures.export_air()))
    response = await service.client.post(
        DECLARATIONS, content=body, headers={**auth(), "content-type": "text/plain"}
    )
    assert response.status_code == 415, response.text
    assert await service.stored() == 0
