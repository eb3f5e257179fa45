"""单证模版 (F-04): create, list, update, delete, and new drafts prefilled from a template."""

from __future__ import annotations

from declaration_harness import Service, auth

TEMPLATES = "/api/declaration/templates"
TEMPLATE = {
    "name": "西安—洛杉矶 海运一般贸易",
    "document": {
        "head": {
            "ie_flag": "E",
            "custom_master": "9000",
            "trade_mode": "0110",
            "traf_mode": "2",
            "trans_mode": "3",
        }
    },
}


async def create(service: Service, body: dict = TEMPLATE) -> dict:  # type: ignore[type-arg]
    response = await service.client.post(TEMPLATES, json=body, headers=auth())
    assert response.status_code == 201, response.text
    return response.json()


async def test_a_draft_from_a_template_is_prefilled_and_marks_the_template_fields(service: Service) -> None:
    template = await create(service)
    draft = await service.client.post(f"{TEMPLATES}/{template['template_id']}/declarations", headers=auth())
    assert draft.status_code == 201, draft.text
    body = draft.json()
    assert body["template_id"] == template["template_id"]
    assert body["document"]["head"]["trade_mode"] == "0110"
    assert sorted(body["template_fields"]) == sorted(f"head.{k}" for k in TEMPLATE["document"]["head"])
    await service.runtime.relay.drain()  # type: ignore[union-attr]
    assert [e.declaration_id for e in service.drafted()] == [body["declaration_id"]]


async def test_templates_are_listed_updated_and_deleted_per_tenant(service: Service) -> None:
    template = await create(service)
    assert [t["name"] for t in (await service.client.get(TEMPLATES, headers=auth())).json()] == [
        TEMPLATE["name"]
    ]
    assert (await service.client.get(TEMPLATES, headers=auth("other"))).json() == []

    renamed = {**TEMPLATE, "name": "改名后的模版"}
    url = f"{TEMPLATES}/{template['template_id']}"
    updated = await service.client.put(url, json=renamed, headers={**auth(), "If-Match": '"1"'})
    assert updated.status_code == 200 and updated.json()["version"] == 2
    stale = await service.client.put(url, json=TEMPLATE, headers={**auth(), "If-Match": '"1"'})
    assert stale.status_code == 412
    assert (await service.client.delete(url, headers=auth("other"))).status_code == 404
    assert (await service.client.delete(url, headers=auth())).status_code == 204
    assert (await service.client.get(TEMPLATES, headers=auth())).json() == []


async def test_a_template_with_an_invalid_document_is_refused(service: Service) -> None:
    bad = {"name": "坏模版", "document": {"head": {"ie_flag": "X"}}}
    response = await service.client.post(TEMPLATES, json=bad, headers=auth())
    assert response.status_code == 422
    assert response.json()["error"]["fields"][0]["field"] == "document.head.ie_flag"
    assert (await service.client.get(TEMPLATES, headers=auth())).json() == []
