"""删单 receipts from sync become anomaly records: exactly one record and one AnomalyRegistered per receipt,
however often and in whatever batches the receipt arrives."""

from __future__ import annotations

from anomaly_harness import NOW, URL, Service, delete_receipt
from service_http import bearer

from guanwu.contracts.events import AnomalyRegistered
from guanwu.contracts.events.anomaly import AnomalyFacts


async def test_a_receipt_delivered_twice_makes_one_record_and_one_event(service: Service) -> None:
    envelope = service.envelope(delete_receipt("R1"))
    await service.deliver(envelope)
    assert len(await service.registered()) == 1
    await service.deliver(envelope)  # the sync relay republishing after a crash
    await service.deliver(service.envelope(delete_receipt("R1")))  # the same receipt under a new event id

    [record] = await service.stored()
    [(announced, event)] = await service.registered()
    assert event == AnomalyRegistered(
        anomaly_id=record["_id"],
        category="declaration",
        document_no="610120260000000001",
        anomaly_type="删单",
        occurred_on=delete_receipt().notice_date.date(),
        handling_status="未处理",
        source_receipt_id="R1",
        facts=AnomalyFacts(
            category="declaration",
            anomaly_type="删单",
            occurred_on=delete_receipt().notice_date.date(),
            handling_status="未处理",
        ),
    )
    assert (announced.tenant, announced.subject) == ("acme", record["_id"])
    assert (announced.correlationid, announced.causationid) == (envelope.correlationid, envelope.id)
    assert service.bus.dead_letters == []  # a redelivery is no failure


async def test_a_receipt_twice_in_one_batch_makes_one_record(service: Service) -> None:
    first, second = service.envelope(delete_receipt("R1")), service.envelope(delete_receipt("R2"))
    await service.deliver(first, second, first, service.envelope(delete_receipt("R1")))

    assert sorted(r["source_receipt_id"] for r in await service.stored()) == ["R1", "R2"]
    assert sorted(e.source_receipt_id or "" for _, e in await service.registered()) == ["R1", "R2"]
    assert service.bus.dead_letters == []


async def test_the_record_is_the_receipts_delete_record(service: Service) -> None:
    await service.deliver(service.envelope(delete_receipt("R1")))
    [stored] = await service.stored()

    response = await service.client.get(f"{URL}/{stored['_id']}", headers=bearer())
    assert response.status_code == 200, response.text
    record = response.json()
    assert record["anomaly_type"] == "删单" and record["handling_status"] == "未处理"
    assert (record["document_no"], record["trade_name"], record["ie_flag"]) == (
        "610120260000000001",
        "西安某贸易",
        "E",
    )
    assert (record["occurred_on"], record["reason"]) == ("2026-11-29", "企业申请删单")
    assert (record["registered_by"], record["registered_at"]) == (
        "system",
        NOW.isoformat().replace("+00:00", "Z"),
    )


async def test_each_tenant_gets_its_own_record_of_a_receipt_id(service: Service) -> None:
    await service.deliver(
        service.envelope(delete_receipt("R1"), tenant="acme"),
        service.envelope(delete_receipt("R1"), tenant="globex"),
    )
    assert sorted(r["tenant"] for r in await service.stored()) == ["acme", "globex"]
    assert sorted(e.tenant for e, _ in await service.registered()) == ["acme", "globex"]
    for tenant in ("acme", "globex"):
        page = (await service.client.get(URL, headers=bearer(tenant=tenant))).json()
        assert page["total"] == 1 and page["items"][0]["tenant"] == tenant
