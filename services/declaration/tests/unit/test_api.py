"""The declaration service's API with in-memory adapters, driven with the kernel's realistic fixtures."""

from __future__ import annotations

from typing import Any

import pytest
from declaration_harness import Service, as_json, auth

from guanwu.contracts.declaration import DeclarationDocument
from guanwu.customs import fixtures


@pytest.mark.parametrize("build", fixtures.VALID_DECLARATIONS, ids=lambda b: b.__name__)
async def test_a_realistic_declaration_is_stored_unchanged_and_announced(
    service: Service, build: Any
) -> None:
    document = build()
    created = await service.client.post(
        "/api/declaration/declarations", json=as_json(document), headers=auth()
    )
    assert created.status_code == 201, created.text
    body = created.json()
    assert [f for f in body["findings"] if f["severity"] == "error"] == []
    fetched = await service.client.get(
        f"/api/declaration/declarations/{body['declaration_id']}", headers=auth()
    )
    assert DeclarationDocument.model_validate(fetched.json()["document"]) == document
    await service.runtime.relay.drain()  # type: ignore[union-attr]
    [event] = service.drafted()
    assert (event.declaration_id, event.ie_flag, event.bill_no) == (
        body["declaration_id"],
        document.head.ie_flag,
        document.head.bill_no,
    )


async def test_fifty_one_goods_lines_are_refused_and_nothing_changes(service: Service) -> None:
    response = await service.client.post(
        "/api/declaration/declarations", json=fixtures.invalid_51_lines(), headers=auth()
    )
    assert response.status_code == 422
    fields = response.json()["error"]["fields"]
    assert any(f["field"] == "goods" and f["type"] == "too_long" for f in fields)
    assert await service.stored() == 0 and service.bus.published == []


async def test_unknown_field_and_wrong_type_name_the_field(service: Service) -> None:
    document = as_json(fixtures.export_air())
    document["head"]["gross_wet"] = "heavy"
    document["head"]["colour"] = "red"
    response = await service.client.post("/api/declaration/declarations", json=document, headers=auth())
    assert response.status_code == 422
    by_field = {f["field"]: f for f in response.json()["error"]["fields"]}
    assert by_field["head.gross_wet"]["message_zh"] == "应为数字"
    assert by_field["head.colour"]["type"] == "extra_forbidden"
    assert await service.stored() == 0


async def test_oversized_body_is_refused(service: Service) -> None:
    padding = {"head": {"ie_flag": "E", "note_s": "x" * (3 * 1024 * 1024)}}
    response = await service.client.post("/api/declaration/declarations", json=padding, headers=auth())
    assert response.status_code == 413
    assert await service.stored() == 0


async def test_validate_reports_rule_code_field_path_and_both_languages(service: Service) -> None:
    response = await service.client.post(
        "/api/declaration/validate", json=as_json(fixtures.invalid_net_over_gross()), headers=auth()
    )
    report = response.json()
    assert report["errors"] >= 1
    weight = [f for f in report["findings"] if "net_wt" in f["field_path"] and f["severity"] == "error"]
    assert weight and weight[0]["rule_code"] and weight[0]["message_zh"] and weight[0]["message_en"]


async def test_stage_accepts_what_declare_rejects(service: Service) -> None:
    draft = {"head": {"ie_flag": "E", "custom_master": "9000"}}
    stage = (
        await service.client.post("/api/declaration/validate?level=stage", json=draft, headers=auth())
    ).json()
    declare = (await service.client.post("/api/declaration/validate", json=draft, headers=auth())).json()
    assert declare["errors"] > stage["errors"]
    created = await service.client.post("/api/declaration/declarations", json=draft, headers=auth())
    assert created.status_code == 201  # 暂存 saves whatever the preparer has


async def test_other_tenants_and_anonymous_callers_see_nothing(service: Service) -> None:
    created = await service.client.post(
        "/api/declaration/declarations", json=as_json(fixtures.import_general()), headers=auth("acme")
    )
    url = f"/api/declaration/declarations/{created.json()['declaration_id']}"
    assert (await service.client.get(url, headers=auth("other"))).status_code == 404
    assert (await service.client.get(url)).status_code == 401
    reviewer_only = auth("acme", roles=("reviewer",))
    refused = await service.client.post(
        "/api/declaration/declarations", json={"head": {"ie_flag": "E"}}, headers=reviewer_only
    )
    assert refused.status_code == 403
