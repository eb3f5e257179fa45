"""The whole document on the declaration events (contract `DeclarationSummary.document`): always on Drafted,
Updated, SubmittedForReview and SyncedIn; on StatusChanged only when the change altered the document; absent
otherwise. Readers (query, review, printing) keep the last one seen and never call back."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from declaration_harness import Service, as_json, auth

from guanwu.contracts import topics
from guanwu.contracts.declaration import DeclarationDocument
from guanwu.contracts.envelope import Envelope
from guanwu.contracts.events import (
    DeclarationStatusChanged,
    DeclarationSynced,
    ReceiptReceived,
    ReviewApproved,
)
from guanwu.contracts.events.base import Event
from guanwu.customs import fixtures
from guanwu.declaration.domain.model import Status, draft, transition
from guanwu.declaration.domain.synced import synced_declaration_id
from guanwu.declaration.service_layer.unit_of_work import DeclarationUnitOfWork
from guanwu.platform.events import envelope_for

DECLARATIONS = "/api/declaration/declarations"
NOW = datetime(2026, 11, 27, 9, 0, tzinfo=UTC)
ENTRY_ID = "530120261000000001"
SEQ_NO = "E20260000000000001"


async def publish(service: Service, event: Event, tenant: str = "acme") -> None:
    topic, envelope = envelope_for(event, source="/test", tenant=tenant)
    await service.bus.publish(topic, envelope)


async def announced(service: Service, name: str) -> list[Envelope]:
    await service.runtime.relay.drain()  # type: ignore[union-attr,unused-ignore]
    return [
        env
        for topic, env in service.bus.published
        if topic == topics.DECLARATION_EVENTS and env.type.endswith(f".{name}.v1")
    ]


def document_of(envelope: Envelope) -> DeclarationDocument | None:
    carried = envelope.data.get("document")
    return None if carried is None else DeclarationDocument.model_validate(carried)


def if_match(version: int) -> dict[str, str]:
    return {**auth(), "If-Match": f'"{version}"'}


async def created(service: Service, document: DeclarationDocument) -> dict[str, Any]:
    response = await service.client.post(DECLARATIONS, json=as_json(document), headers=auth())
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


async def test_drafted_updated_and_submitted_carry_the_document_as_stored(service: Service) -> None:
    original = fixtures.export_sea_general_trade()
    declaration = await created(service, original)
    url = f"{DECLARATIONS}/{declaration['declaration_id']}"
    changed = as_json(original)
    changed["head"]["bill_no"] = "CHANGED-BILL-1"
    response = await service.client.put(url, json=changed, headers=if_match(1))
    assert response.status_code == 200, response.text
    response = await service.client.post(f"{url}/submit", headers=if_match(2))
    assert response.status_code == 200, response.text
    stored = DeclarationDocument.model_validate(response.json()["document"])

    [drafted] = await announced(service, "DeclarationDrafted")
    [updated] = await announced(service, "DeclarationUpdated")
    [submitted] = await announced(service, "DeclarationSubmittedForReview")
    assert document_of(drafted) == original
    after_update = document_of(updated)
    assert after_update is not None and after_update.head.bill_no == "CHANGED-BILL-1"
    assert document_of(submitted) == stored == after_update


async def test_a_state_change_that_leaves_the_document_as_it_was_carries_none(service: Service) -> None:
    declaration = await created(service, fixtures.export_sea_general_trade())
    url = f"{DECLARATIONS}/{declaration['declaration_id']}"
    pending = (await service.client.post(f"{url}/submit", headers=if_match(1))).json()
    await publish(
        service,
        ReviewApproved(
            review_id="rv-1",
            declaration_id=pending["declaration_id"],
            declaration_version=pending["version"],
            reviewer="reviewer-1",
            decided_at=NOW,
        ),
    )
    [approved] = await announced(service, "DeclarationStatusChanged")
    assert approved.data["status"] == "审核通过" and approved.data["document"] is None

    response = await service.client.post(f"{url}/declare", headers=if_match(pending["version"] + 1))
    assert response.status_code == 200, response.text
    [requested] = await announced(service, "DeclarationDeclareRequested")
    assert requested.data["document"] is None


async def test_a_receipt_that_writes_the_customs_number_carries_the_document_with_it(
    service: Service,
) -> None:
    declared = transition(
        draft(fixtures.export_air(), [], declaration_id="d1", tenant="acme", user_id="u1", now=NOW),
        Status.DECLARED,
        action="x",
        user_id="u1",
        now=NOW,
    )
    assert declared.document.head.entry_id is None
    uow = DeclarationUnitOfWork(service.runtime.store, service.runtime.outbox_written)
    uow.declarations.add(declared)
    await uow.commit()
    declaration_id = "d1"
    accepted = ReceiptReceived(
        receipt_id="R-1", channel="L", entry_id=ENTRY_ID, declaration_id=declaration_id, notice_date=NOW
    )
    await publish(service, accepted)
    [numbered] = await announced(service, "DeclarationStatusChanged")
    carried = document_of(numbered)
    assert numbered.data["status"] == "入库成功"
    assert carried is not None and carried.head.entry_id == ENTRY_ID == numbered.data["entry_id"]

    released = ReceiptReceived(
        receipt_id="R-2",
        channel="R",
        entry_id=ENTRY_ID,
        declaration_id=declaration_id,
        notice_date=NOW + timedelta(hours=1),
    )
    await publish(service, released)
    first, second = await announced(service, "DeclarationStatusChanged")
    assert first.id == numbered.id and second.data["status"] == "结关"
    assert second.data["document"] is None  # the number was known already: nothing in the document moved


async def test_synced_in_carries_the_document_and_the_enterprise_category_the_job_asked_by(
    service: Service,
) -> None:
    document = fixtures.export_sea_general_trade()
    await publish(
        service,
        DeclarationSynced(
            job_id="job-7",
            seq_no=SEQ_NO,
            entry_id=ENTRY_ID,
            sw_version=1,
            sw_updated_at=NOW,
            channel="L",
            document=document,
            enterprise_category="2",
        ),
        tenant="acme",
    )
    [synced_in] = await announced(service, "DeclarationSyncedIn")
    assert synced_in.subject == synced_declaration_id("acme", SEQ_NO)
    assert synced_in.data["enterprise_category"] == "2" and synced_in.data["job_id"] == "job-7"
    carried = document_of(synced_in)
    assert carried is not None
    assert (carried.head.seq_no, carried.head.entry_id) == (SEQ_NO, ENTRY_ID)
    assert carried.goods == document.goods


def test_status_changed_carries_the_document_only_when_the_step_altered_it() -> None:
    document = fixtures.export_air()
    before = draft(document, [], declaration_id="d1", tenant="acme", user_id="u1", now=NOW)
    moved = transition(before, Status.PENDING_REVIEW, action="x", user_id="u1", now=NOW)
    assert moved.status_changed(before, "审核").document is None

    head = document.head.model_copy(update={"entry_id": ENTRY_ID})
    numbered = moved.model_copy(update={"document": document.model_copy(update={"head": head})})
    event = numbered.status_changed(before, "x" * 300, abandoned_request_id="req-1")
    assert isinstance(event, DeclarationStatusChanged)
    assert event.document is not None and event.document.head.entry_id == ENTRY_ID
    assert (event.previous_status, event.abandoned_request_id, len(event.cause or "")) == (
        "草稿",
        "req-1",
        200,
    )


async def test_a_receipt_that_writes_a_number_without_moving_the_state_announces_the_document(
    service: Service,
) -> None:
    declared = transition(
        draft(fixtures.export_air(), [], declaration_id="d1", tenant="acme", user_id="u1", now=NOW),
        Status.DECLARED,
        action="x",
        user_id="u1",
        now=NOW,
    )
    uow = DeclarationUnitOfWork(service.runtime.store, service.runtime.outbox_written)
    uow.declarations.add(declared)
    await uow.commit()
    informational = {"channel": "2", "entry_id": ENTRY_ID, "declaration_id": "d1"}
    await publish(service, ReceiptReceived(receipt_id="R-1", notice_date=NOW, **informational))
    await publish(
        service, ReceiptReceived(receipt_id="R-2", notice_date=NOW + timedelta(minutes=1), **informational)
    )

    assert await announced(service, "DeclarationStatusChanged") == []
    [updated] = await announced(service, "DeclarationUpdated")  # the second receipt altered nothing
    carried = document_of(updated)
    assert updated.data["status"] == "已申报" and updated.data["version"] == 2
    assert carried is not None and carried.head.entry_id == ENTRY_ID
