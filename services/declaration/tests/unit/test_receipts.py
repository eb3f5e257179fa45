"""A customs delete receipt (删单回执) marks the declaration 删单, once, with an audit entry and an event."""

from __future__ import annotations

from datetime import UTC, datetime

from declaration_harness import Service, as_json, auth

from guanwu.contracts import topics
from guanwu.contracts.envelope import Envelope
from guanwu.contracts.events import ReceiptReceived
from guanwu.customs import fixtures
from guanwu.platform.events import envelope_for

ENTRY_ID = "610120260000012345"


def receipt(tenant: str = "acme") -> tuple[str, Envelope]:
    event = ReceiptReceived(
        receipt_id="R-9", channel="D", entry_id=ENTRY_ID, notice_date=datetime.now(UTC), note="删单"
    )
    return envelope_for(event, source="/guanwu/sync", tenant=tenant)


async def test_delete_receipt_moves_the_declaration_to_deleted_once(service: Service) -> None:
    document = as_json(fixtures.export_air())
    document["head"]["entry_id"] = ENTRY_ID
    created = (
        await service.client.post("/api/declaration/declarations", json=document, headers=auth())
    ).json()
    topic, envelope = receipt()
    await service.bus.publish(topic, envelope)
    await service.bus.publish(topic, envelope)  # redelivered
    stored = (
        await service.client.get(f"/api/declaration/declarations/{created['declaration_id']}", headers=auth())
    ).json()
    assert stored["status"] == "删单" and stored["version"] == 2
    assert stored["audit"][-1]["by"] == "customs" and "R-9" in stored["audit"][-1]["action"]
    await service.runtime.relay.drain()  # type: ignore[union-attr]
    changes = [
        env
        for t, env in service.bus.published
        if t == topics.DECLARATION_EVENTS and env.type.endswith("DeclarationStatusChanged.v1")
    ]
    assert len(changes) == 1
    assert changes[0].data["previous_status"] == "草稿" and changes[0].causationid == envelope.id


async def test_a_receipt_of_another_tenant_or_an_unknown_declaration_changes_nothing(
    service: Service,
) -> None:
    document = as_json(fixtures.export_air())
    document["head"]["entry_id"] = ENTRY_ID
    created = (
        await service.client.post("/api/declaration/declarations", json=document, headers=auth())
    ).json()
    topic, envelope = receipt(tenant="other")
    await service.bus.publish(topic, envelope)
    stored = (
        await service.client.get(f"/api/declaration/declarations/{created['declaration_id']}", headers=auth())
    ).json()
    assert stored["status"] == "草稿" and stored["version"] == 1
