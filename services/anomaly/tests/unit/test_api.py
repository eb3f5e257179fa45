"""Registering by hand, the list and its filters, tenant isolation and roles, through the HTTP API."""

from __future__ import annotations

from typing import Any

from anomaly_harness import NOW, URL, Service, delete_receipt
from service_http import bearer

FORM = {"document_no": "610120260000012345", "anomaly_type": "查验", "occurred_on": "2026-03-02"}
NOT_FOUND = {
    "error": {
        "code": "anomaly.not_found",
        "message_zh": "异常记录不存在",
        "message_en": "Anomaly record not found",
    }
}


async def register(service: Service, tenant: str = "acme", **fields: Any) -> dict[str, Any]:
    response = await service.client.post(URL, json={**FORM, **fields}, headers=bearer(tenant=tenant))
    assert response.status_code == 201, response.text
    return dict(response.json())


async def found(service: Service, **params: str) -> list[str]:
    """The document numbers the list shows for `params`, in its order."""
    response = await service.client.get(URL, params=params, headers=bearer())
    assert response.status_code == 200, response.text
    page = response.json()
    assert page["total"] == len(page["items"])
    return [a["document_no"] for a in page["items"]]


async def test_a_registered_anomaly_is_stored_and_announced(service: Service) -> None:
    record = await register(service, reason="查验发现货物不符", client_name="某委托企业")

    assert {k: record[k] for k in FORM} == FORM
    assert (record["tenant"], record["registered_by"], record["category"]) == ("acme", "u1", "declaration")
    assert record["registered_at"] == NOW.isoformat().replace("+00:00", "Z")
    assert (record["reason"], record["client_name"], record["handling_status"]) == (
        "查验发现货物不符",
        "某委托企业",
        "未处理",
    )
    assert record["source_receipt_id"] is None
    again = await service.client.get(f"{URL}/{record['anomaly_id']}", headers=bearer())
    assert again.status_code == 200 and again.json() == record

    [(announced, event)] = await service.registered()
    assert (announced.tenant, announced.subject, announced.causationid) == (
        "acme",
        record["anomaly_id"],
        None,
    )
    assert (event.anomaly_id, event.document_no, event.anomaly_type) == (
        record["anomaly_id"],
        FORM["document_no"],
        "查验",
    )


async def test_each_registration_is_a_new_record(service: Service) -> None:
    first, second = await register(service), await register(service)
    assert first["anomaly_id"] != second["anomaly_id"]
    assert len(await service.stored()) == 2 and len(await service.registered()) == 2


async def test_the_list_filters_and_pages(service: Service) -> None:
    await register(service, document_no="610120260000000301", occurred_on="2026-03-01")
    await register(
        service, document_no="QD610126E000000305", occurred_on="2026-03-05", category="bonded_list"
    )
    await register(
        service,
        document_no="610120260000000310",
        occurred_on="2026-03-10",
        handling_status="已处理",
        completed_on="2026-03-11",
    )
    await service.deliver(service.envelope(delete_receipt("R1", entry_id="D-RECEIPT")))  # occurred 2026-11-29

    assert await found(service) == [
        "D-RECEIPT",
        "610120260000000310",
        "QD610126E000000305",
        "610120260000000301",
    ]  # latest occurrence first
    assert await found(service, category="bonded_list") == ["QD610126E000000305"]
    assert await found(service, document_no="610120260000000301") == ["610120260000000301"]
    assert await found(service, anomaly_type="删单") == ["D-RECEIPT"]
    assert await found(service, handling_status="已处理") == ["610120260000000310"]
    assert await found(service, occurred_from="2026-03-05") == [
        "D-RECEIPT",
        "610120260000000310",
        "QD610126E000000305",
    ]
    assert await found(service, occurred_to="2026-03-05") == ["QD610126E000000305", "610120260000000301"]
    assert await found(service, occurred_from="2026-03-02", occurred_to="2026-03-10") == [
        "610120260000000310",
        "QD610126E000000305",
    ]
    assert await found(service, occurred_from="2026-03-06", category="bonded_list") == []
    page = (await service.client.get(URL, params={"skip": 1, "limit": 2}, headers=bearer())).json()
    assert page["total"] == 4 and [a["document_no"] for a in page["items"]] == [
        "610120260000000310",
        "QD610126E000000305",
    ]


async def test_another_tenant_sees_nothing(service: Service) -> None:
    record = await register(service, tenant="acme")
    other = bearer(tenant="globex")

    assert (await service.client.get(URL, headers=other)).json() == {"total": 0, "items": []}
    missing = await service.client.get(f"{URL}/{record['anomaly_id']}", headers=other)
    assert (missing.status_code, missing.json()) == (404, NOT_FOUND)
    unknown = await service.client.get(f"{URL}/no-such-record", headers=bearer())
    assert (unknown.status_code, unknown.json()) == (404, NOT_FOUND)


async def test_registering_needs_a_preparing_role_and_reading_a_token(service: Service) -> None:
    for roles in (("integration",), ("viewer",)):
        refused = await service.client.post(URL, json=FORM, headers=bearer(roles=roles))
        assert refused.status_code == 403 and refused.json()["error"]["code"] == "auth.forbidden"
    assert await service.stored() == [] and await service.registered() == []
    for role in ("preparer", "reviewer", "manager", "admin"):
        assert (await service.client.post(URL, json=FORM, headers=bearer(roles=(role,)))).status_code == 201
    assert (await service.client.get(URL, headers=bearer(roles=("integration",)))).status_code == 200
    assert (await service.client.get(URL)).status_code == 401
    assert (await service.client.post(URL, json=FORM)).status_code == 401
    assert len(await service.stored()) == 4
