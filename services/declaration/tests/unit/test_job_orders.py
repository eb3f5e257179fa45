"""生成接单 (F-34): a job order from selected declarations — made once per id or Idempotency-Key, announced once
(JobOrderCreated through the outbox), every declaration of the caller's tenant (404 naming the others), listed
newest first, invisible to other tenants."""

from __future__ import annotations

import asyncio
from typing import Any

from declaration_harness import Service, as_json, auth

from guanwu.contracts import topics
from guanwu.contracts.envelope import Envelope
from guanwu.contracts.events import JobOrderCreated
from guanwu.customs import fixtures

DECLARATIONS = "/api/declaration/declarations"
JOB_ORDERS = "/api/declaration/job-orders"


async def declaration(service: Service, tenant: str = "acme", bill_no: str = "BILL-1") -> dict[str, Any]:
    document = as_json(fixtures.export_sea_general_trade())
    document["head"]["bill_no"] = bill_no
    document["head"]["entry_id"] = f"53012026{abs(hash(bill_no)) % 10**10:010d}"
    response = await service.client.post(DECLARATIONS, json=document, headers=auth(tenant))
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


def order_body(*ids: str, **extra: Any) -> dict[str, Any]:
    return {"client_name": "宁波某某进出口有限公司", "declaration_ids": list(ids), **extra}


async def created_events(service: Service) -> list[Envelope]:
    await service.runtime.relay.drain()  # type: ignore[union-attr,unused-ignore]
    return [
        env
        for topic, env in service.bus.published
        if topic == topics.DECLARATION_EVENTS and env.type == JobOrderCreated.event_type
    ]


async def stored_orders(service: Service) -> int:
    return await service.runtime.store.collection("declaration_job_orders").count({})


async def test_an_order_links_the_declarations_with_their_numbers_and_is_announced_once(
    service: Service,
) -> None:
    first, second = await declaration(service, bill_no="BILL-1"), await declaration(service, bill_no="BILL-2")
    body = order_body(
        second["declaration_id"], first["declaration_id"], bill_no="MBL-9", tracking_no="TRK-1", note="加急"
    )
    response = await service.client.post(JOB_ORDERS, json=body, headers=auth())
    assert response.status_code == 201, response.text
    order = response.json()
    assert response.headers["Location"] == f"{JOB_ORDERS}/{order['job_order_id']}"
    assert (order["client_name"], order["bill_no"], order["tracking_no"], order["note"]) == (
        "宁波某某进出口有限公司",
        "MBL-9",
        "TRK-1",
        "加急",
    )
    assert order["created_by"] == "u1" and "fingerprint" not in order and "tenant" not in order
    linked = [(d["declaration_id"], d["bill_no"], d["entry_id"]) for d in order["declarations"]]
    assert linked == [
        (second["declaration_id"], "BILL-2", second["document"]["head"]["entry_id"]),
        (first["declaration_id"], "BILL-1", first["document"]["head"]["entry_id"]),
    ]

    read = await service.client.get(response.headers["Location"], headers=auth(roles=("reviewer",)))
    assert read.status_code == 200 and read.json() == order
    [announced] = await created_events(service)
    event = JobOrderCreated.model_validate(announced.data)
    assert announced.subject == order["job_order_id"] and announced.tenant == "acme"
    assert event.client_name == order["client_name"] and event.created_by == "u1"
    assert [d.declaration_id for d in event.declarations] == [d[0] for d in linked]


async def test_the_same_idempotency_key_answers_the_same_order_and_adds_nothing(service: Service) -> None:
    made = await declaration(service)
    body = order_body(made["declaration_id"])
    headers = {**auth(), "Idempotency-Key": "key-1"}
    first = await service.client.post(JOB_ORDERS, json=body, headers=headers)
    again = await service.client.post(JOB_ORDERS, json=body, headers=headers)
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json() == first.json() and again.headers["Location"] == first.headers["Location"]

    other = await service.client.post(
        JOB_ORDERS, json=order_body(made["declaration_id"], note="x"), headers=headers
    )
    assert other.status_code == 409 and other.json()["error"]["code"] == "declaration.job_order_id_reused"
    fresh = await service.client.post(JOB_ORDERS, json=body, headers={**auth(), "Idempotency-Key": "key-2"})
    assert fresh.status_code == 201 and fresh.json()["job_order_id"] != first.json()["job_order_id"]
    assert await stored_orders(service) == 2 and len(await created_events(service)) == 2


async def test_the_same_request_sent_twice_at_once_makes_one_order(service: Service) -> None:
    made = await declaration(service)
    body = order_body(made["declaration_id"], job_order_id="JO-2026-0001")
    answers = await asyncio.gather(
        *(service.client.post(JOB_ORDERS, json=body, headers=auth()) for _ in range(5))
    )
    assert sorted(a.status_code for a in answers) == [200, 200, 200, 200, 201]
    assert {a.json()["job_order_id"] for a in answers} == {"JO-2026-0001"}
    assert await stored_orders(service) == 1 and len(await created_events(service)) == 1


async def test_a_declaration_the_tenant_does_not_have_is_named_in_a_404_and_nothing_is_made(
    service: Service,
) -> None:
    mine, theirs = await declaration(service), await declaration(service, tenant="other")
    body = order_body(mine["declaration_id"], theirs["declaration_id"], "no-such-id")
    response = await service.client.post(JOB_ORDERS, json=body, headers=auth())
    assert response.status_code == 404, response.text
    answer = response.json()["error"]
    assert answer["code"] == "declaration.job_order_declarations_not_found"
    assert answer["missing"] == [theirs["declaration_id"], "no-such-id"]
    assert theirs["declaration_id"] in answer["message_en"] and "no-such-id" in answer["message_zh"]
    assert await stored_orders(service) == 0 and await created_events(service) == []


async def test_another_tenant_sees_none_of_the_orders_and_may_use_the_same_id(service: Service) -> None:
    mine, theirs = await declaration(service), await declaration(service, tenant="other")
    made = await service.client.post(
        JOB_ORDERS, json=order_body(mine["declaration_id"], job_order_id="JO-1"), headers=auth()
    )
    assert made.status_code == 201
    other = auth("other")
    assert (await service.client.get(f"{JOB_ORDERS}/JO-1", headers=other)).status_code == 404
    assert (await service.client.get(JOB_ORDERS, headers=other)).json() == {"total": 0, "items": []}

    theirs_made = await service.client.post(
        JOB_ORDERS, json=order_body(theirs["declaration_id"], job_order_id="JO-1"), headers=other
    )
    assert theirs_made.status_code == 201, theirs_made.text
    read_mine = (await service.client.get(f"{JOB_ORDERS}/JO-1", headers=auth())).json()
    read_theirs = (await service.client.get(f"{JOB_ORDERS}/JO-1", headers=other)).json()
    assert read_mine["declarations"][0]["declaration_id"] == mine["declaration_id"]
    assert read_theirs["declarations"][0]["declaration_id"] == theirs["declaration_id"]
    assert [e.tenant for e in await created_events(service)] == ["acme", "other"]


async def test_the_list_is_newest_first_and_paged(service: Service) -> None:
    made = await declaration(service)
    for n in range(3):
        body = order_body(made["declaration_id"], job_order_id=f"JO-{n}")
        assert (await service.client.post(JOB_ORDERS, json=body, headers=auth())).status_code == 201
    page = (await service.client.get(JOB_ORDERS, params={"limit": 2}, headers=auth())).json()
    rest = (await service.client.get(JOB_ORDERS, params={"skip": 2, "limit": 2}, headers=auth())).json()
    assert page["total"] == rest["total"] == 3
    ids = [o["job_order_id"] for o in page["items"] + rest["items"]]
    assert ids == ["JO-2", "JO-1", "JO-0"]


async def test_a_deleted_declaration_cannot_be_linked(service: Service) -> None:
    made = await declaration(service)
    url = f"{DECLARATIONS}/{made['declaration_id']}"
    deleted = await service.client.delete(url, headers={**auth(), "If-Match": '"1"'})
    assert deleted.status_code == 200, deleted.text
    response = await service.client.post(JOB_ORDERS, json=order_body(made["declaration_id"]), headers=auth())
    assert response.status_code == 409 and response.json()["error"]["deleted"] == [made["declaration_id"]]
    assert await stored_orders(service) == 0


async def test_what_an_order_may_name(service: Service) -> None:
    made = await declaration(service)
    twice = await service.client.post(
        JOB_ORDERS, json=order_body(made["declaration_id"], made["declaration_id"]), headers=auth()
    )
    assert twice.status_code == 201 and len(twice.json()["declarations"]) == 1
    for bad in (
        order_body(),
        order_body(*[f"d{i}" for i in range(501)]),
        {**order_body(made["declaration_id"]), "client_name": "  "},
        {**order_body(made["declaration_id"]), "job_order_id": "../x"},
        {**order_body(made["declaration_id"]), "unknown": 1},
    ):
        response = await service.client.post(JOB_ORDERS, json=bad, headers=auth())
        assert response.status_code == 422, (bad.keys(), response.text)
    refused = await service.client.post(
        JOB_ORDERS, json=order_body(made["declaration_id"]), headers=auth(roles=("reviewer",))
    )
    assert refused.status_code == 403
    assert await stored_orders(service) == 1
