"""Editing, concurrency, review submission, deletion, copy and the audit trail through the API."""

from __future__ import annotations

import asyncio
from typing import Any

from declaration_harness import Service, as_json, auth

from guanwu.contracts import topics
from guanwu.customs import fixtures


async def create(service: Service, document: dict[str, Any]) -> dict[str, Any]:
    response = await service.client.post("/api/declaration/declarations", json=document, headers=auth())
    assert response.status_code == 201, response.text
    return response.json()


def url(declaration: dict[str, Any], suffix: str = "") -> str:
    return f"/api/declaration/declarations/{declaration['declaration_id']}{suffix}"


def if_match(version: int) -> dict[str, str]:
    return {**auth(), "If-Match": f'"{version}"'}


async def test_update_records_who_changed_which_fields(service: Service) -> None:
    created = await create(service, as_json(fixtures.export_air()))
    changed = as_json(fixtures.export_air())
    changed["head"]["bill_no"] = "NEW-BILL-001"
    response = await service.client.put(url(created), json=changed, headers=if_match(1))
    assert response.status_code == 200, response.text
    assert response.headers["ETag"] == '"2"' and response.json()["version"] == 2
    audit = (await service.client.get(url(created, "/audit"), headers=auth())).json()
    assert [a["action"] for a in audit] == ["create", "update"]
    assert audit[1]["by"] == "u1" and audit[1]["changes"] == [
        {"field": "head.bill_no", "before": fixtures.export_air().head.bill_no, "after": "NEW-BILL-001"}
    ]


async def test_two_editors_of_the_same_version_exactly_one_wins(service: Service) -> None:
    created = await create(service, as_json(fixtures.import_general()))
    edits = []
    for bill in ("EDITOR-A", "EDITOR-B"):
        document = as_json(fixtures.import_general())
        document["head"]["bill_no"] = bill
        edits.append(service.client.put(url(created), json=document, headers=if_match(1)))
    responses = await asyncio.gather(*edits)
    assert sorted(r.status_code for r in responses) == [200, 412]
    loser = next(r for r in responses if r.status_code == 412).json()["error"]
    assert loser["current_version"] == 2 and "他人修改" in loser["message_zh"]
    winner = next(r for r in responses if r.status_code == 200).json()
    stored = (await service.client.get(url(created), headers=auth())).json()
    assert stored["document"]["head"]["bill_no"] == winner["document"]["head"]["bill_no"]


async def test_a_change_without_if_match_is_refused(service: Service) -> None:
    created = await create(service, {"head": {"ie_flag": "E"}})
    response = await service.client.put(url(created), json={"head": {"ie_flag": "I"}}, headers=auth())
    assert response.status_code == 428
    assert (await service.client.get(url(created), headers=auth())).json()["document"]["head"][
        "ie_flag"
    ] == "E"


async def test_submit_needs_a_clean_declaration_and_then_freezes_it(service: Service) -> None:
    incomplete = await create(service, {"head": {"ie_flag": "E"}})
    refused = await service.client.post(url(incomplete, "/submit"), headers=if_match(1))
    assert refused.status_code == 409 and "错误" in refused.json()["error"]["message_zh"]

    ready = await create(service, as_json(fixtures.export_sea_general_trade()))
    submitted = await service.client.post(url(ready, "/submit"), headers=if_match(1))
    assert submitted.status_code == 200, submitted.text
    assert submitted.json()["status"] == "待审核" and submitted.headers["ETag"] == '"2"'
    edit = await service.client.put(url(ready), json=as_json(fixtures.export_air()), headers=if_match(2))
    assert edit.status_code == 409 and edit.json()["error"]["code"] == "declaration.not_editable"
    assert (await service.client.delete(url(ready), headers=if_match(2))).status_code == 409


async def test_delete_before_declaring_hides_it_from_my_drafts(service: Service) -> None:
    kept = await create(service, {"head": {"ie_flag": "E", "bill_no": "KEEP"}})
    gone = await create(service, {"head": {"ie_flag": "E", "bill_no": "GONE"}})
    deleted = await service.client.delete(url(gone), headers=if_match(1))
    assert deleted.status_code == 200 and deleted.json()["status"] == "已删除"
    listed = (await service.client.get("/api/declaration/declarations", headers=auth())).json()
    assert [d["declaration_id"] for d in listed["items"]] == [kept["declaration_id"]]


async def test_copy_starts_a_new_draft_without_customs_numbers(service: Service) -> None:
    document = as_json(fixtures.export_air())
    document["head"]["entry_id"] = "610120260000012345"
    original = await create(service, document)
    copied = await service.client.post(url(original, "/copy"), headers=auth())
    assert copied.status_code == 201
    body = copied.json()
    assert body["declaration_id"] != original["declaration_id"] and body["version"] == 1
    assert "entry_id" not in {k for k, v in body["document"]["head"].items() if v is not None}
    assert body["document"]["goods"] == original["document"]["goods"]


async def test_every_change_is_announced_in_order(service: Service) -> None:
    created = await create(service, as_json(fixtures.export_sea_general_trade()))
    await service.client.put(
        url(created), json=as_json(fixtures.export_sea_general_trade()), headers=if_match(1)
    )
    await service.client.post(url(created, "/submit"), headers=if_match(2))
    await service.runtime.relay.drain()  # type: ignore[union-attr]
    mine = [
        (env.type.split(".")[2], env.data["version"], env.data["status"])
        for topic, env in service.bus.published
        if topic == topics.DECLARATION_EVENTS and env.subject == created["declaration_id"]
    ]
    assert mine == [
        ("DeclarationDrafted", 1, "草稿"),
        ("DeclarationUpdated", 2, "草稿"),
        ("DeclarationSubmittedForReview", 3, "待审核"),
    ]


async def test_an_unknown_code_blocks_submission_naming_the_field_and_changes_nothing(
    service: Service,
) -> None:
    document = as_json(fixtures.export_sea_general_trade())
    document["head"]["trade_mode"] = "9999"  # not in the 监管方式 table
    created = await create(service, document)
    refused = await service.client.post(url(created, "/submit"), headers=if_match(1))
    assert refused.status_code == 409
    error = refused.json()["error"]
    assert error["code"] == "declaration.has_errors"
    paths = {f["field_path"] for f in error["findings"]}
    assert "head.trade_mode" in paths, paths
    assert all(f["severity"] == "error" and f["message_zh"] and f["rule_code"] for f in error["findings"])
    stored = (await service.client.get(url(created), headers=auth())).json()
    assert stored["status"] == "草稿" and stored["version"] == 1
