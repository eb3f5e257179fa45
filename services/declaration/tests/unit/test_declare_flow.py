"""From 待审核 to 结关 through the API and the events the declaration follows (in-process bus)."""

from __future__ import annotations

import base64
from datetime import UTC, datetime, timedelta
from typing import Any

import gmalglib
from declaration_harness import Service, as_json, auth

from guanwu.contracts import topics
from guanwu.contracts.events import (
    DeclarationSigned,
    DeclarationSubmitFailed,
    DeclarationSubmitted,
    ReceiptReceived,
    ReviewApproved,
    ReviewRejected,
    SignFailed,
)
from guanwu.contracts.events.base import Event
from guanwu.customs import fixtures
from guanwu.customs.messages import canonical_sign_bytes
from guanwu.platform.events import envelope_for

SEQ_NO = "610120260000123456"


def url(declaration: dict[str, Any], suffix: str = "") -> str:
    return f"/api/declaration/declarations/{declaration['declaration_id']}{suffix}"


def if_match(version: int, roles: tuple[str, ...] = ("preparer",)) -> dict[str, str]:
    return {**auth(roles=roles), "If-Match": f'"{version}"'}


async def publish(service: Service, event: Event, tenant: str = "acme") -> None:
    topic, envelope = envelope_for(event, source="/test", tenant=tenant)
    await service.bus.publish(topic, envelope)


async def read(service: Service, declaration: dict[str, Any]) -> dict[str, Any]:
    response = await service.client.get(url(declaration), headers=auth())
    assert response.status_code == 200, response.text
    return response.json()


async def submitted(service: Service) -> dict[str, Any]:
    created = await service.client.post(
        "/api/declaration/declarations", json=as_json(fixtures.export_sea_general_trade()), headers=auth()
    )
    response = await service.client.post(url(created.json(), "/submit"), headers=if_match(1))
    assert response.status_code == 200, response.text
    return response.json()


def decision(cls: type[ReviewApproved], declaration: dict[str, Any], **extra: Any) -> ReviewApproved:
    return cls(
        review_id="rv-1",
        declaration_id=declaration["declaration_id"],
        declaration_version=declaration["version"],
        reviewer="reviewer-1",
        decided_at=datetime.now(UTC),
        **extra,
    )


async def approved(service: Service) -> dict[str, Any]:
    pending = await submitted(service)
    await publish(service, decision(ReviewApproved, pending))
    return await read(service, pending)


async def declared(service: Service) -> tuple[dict[str, Any], dict[str, Any]]:
    """Declare an approved declaration; returns it and the SignRequested payload that went out."""
    ready = await approved(service)
    response = await service.client.post(url(ready, "/declare"), headers=if_match(ready["version"]))
    assert response.status_code == 200, response.text
    await service.runtime.relay.drain()  # type: ignore[union-attr]
    requests = [env.data for t, env in service.bus.published if t == topics.SIGNER_REQUESTS]
    return response.json(), requests[-1]


def signature_for(request: dict[str, Any], content: bytes) -> DeclarationSigned:
    return DeclarationSigned(
        request_id=request["request_id"],
        declaration_id=request["declaration_id"],
        signature_b64="MEUCIQ==",
        content_sm3=bytes(gmalglib.sm3_digest(content)).hex(),
        user_id="1234567812345678",
        certificate_serial="01ab",
        signer_subject="CN=张三",
        device="soft",
        signed_at=datetime.now(UTC),
    )


def status_changes(service: Service) -> list[tuple[str, str]]:
    return [
        (env.data["previous_status"], env.data["status"])
        for t, env in service.bus.published
        if t == topics.DECLARATION_EVENTS and env.type.endswith("DeclarationStatusChanged.v1")
    ]


async def test_review_approval_then_declare_sends_the_canonical_bytes_to_the_card(service: Service) -> None:
    declaration, request = await declared(service)
    assert declaration["status"] == "申报中" and declaration["review"]["reviewer"] == "reviewer-1"
    content = base64.b64decode(request["content_b64"])
    assert content == canonical_sign_bytes(fixtures.export_sea_general_trade())
    sm3 = bytes(gmalglib.sm3_digest(content)).hex()
    assert (
        declaration["signing"]["content_sm3"] == sm3
        and declaration["signing"]["request_id"] == request["request_id"]
    )
    announced = [
        env for t, env in service.bus.published if env.type.endswith("DeclarationDeclareRequested.v1")
    ]
    assert len(announced) == 1 and announced[0].data["content_sm3"] == sm3
    assert announced[0].data["status"] == "申报中"
    assert base64.b64decode(announced[0].data["message_b64"]) == content


async def test_signature_then_acceptance_then_receipts_reach_closed(service: Service) -> None:
    declaration, request = await declared(service)
    content = base64.b64decode(request["content_b64"])
    await publish(service, signature_for(request, content))
    signed = await read(service, declaration)
    assert signed["status"] == "申报中" and signed["signing"]["signature"]["signer_subject"] == "CN=张三"
    accepted = DeclarationSubmitted(
        declaration_id=declaration["declaration_id"], seq_no=SEQ_NO, submitted_at=datetime.now(UTC)
    )
    await publish(service, accepted)
    await publish(service, accepted)  # redelivered
    for receipt_id, channel in [("R1", "L"), ("R2", "P"), ("R3", "C"), ("R4", "R")]:
        receipt = ReceiptReceived(
            receipt_id=receipt_id,
            channel=channel,
            seq_no=SEQ_NO,
            entry_id="610120261000000001",
            notice_date=datetime.now(UTC),
        )
        await publish(service, receipt)
    final = await read(service, declaration)
    assert final["status"] == "结关" and final["document"]["head"]["seq_no"] == SEQ_NO
    assert final["document"]["head"]["entry_id"] == "610120261000000001"
    assert [r["channel"] for r in final["receipts"]] == ["L", "P", "C", "R"]
    await service.runtime.relay.drain()  # type: ignore[union-attr]
    assert status_changes(service)[-5:] == [
        ("待审核", "审核通过"),
        ("申报中", "已申报"),
        ("已申报", "入库成功"),
        ("入库成功", "放行"),
        ("放行", "结关"),
    ]


async def test_a_failed_signing_can_be_declared_again_and_the_old_answer_is_ignored(service: Service) -> None:
    declaration, first = await declared(service)
    failed = SignFailed(
        request_id=first["request_id"],
        declaration_id=first["declaration_id"],
        reason="pin_wrong",
        retries_left=2,
        detail="PIN 错误",
        failed_at=datetime.now(UTC),
    )
    await publish(service, failed)
    back = await read(service, declaration)
    assert back["status"] == "审核通过" and back["signing"]["failure"]["reason"] == "pin_wrong"
    again = await service.client.post(url(back, "/declare"), headers=if_match(back["version"]))
    assert again.status_code == 200, again.text
    second = again.json()["signing"]["request_id"]
    assert second != first["request_id"]
    await publish(service, signature_for(first, base64.b64decode(first["content_b64"])))  # late, stale
    assert (await read(service, declaration))["signing"]["signature"] is None


async def test_rejection_returns_the_declaration_to_the_preparer_with_marks(service: Service) -> None:
    pending = await submitted(service)
    marks = [{"field_path": "head.bill_no", "verdict": "wrong", "comment": "提单号与舱单不符"}]
    await publish(service, decision(ReviewRejected, pending, comment="请核对提单号", marks=marks))
    returned = await read(service, pending)
    assert returned["status"] == "审核退回" and returned["review"]["marks"] == marks
    document = as_json(fixtures.export_sea_general_trade())
    document["head"]["bill_no"] = "FIXED-BILL-1"
    edited = await service.client.put(url(returned), json=document, headers=if_match(returned["version"]))
    assert edited.status_code == 200, edited.text
    # The old approval of the version that was rejected no longer applies.
    await publish(service, decision(ReviewApproved, pending))
    assert (await read(service, pending))["status"] == "审核退回"


async def test_declare_is_refused_before_approval_without_if_match_and_for_other_roles(
    service: Service,
) -> None:
    pending = await submitted(service)
    early = await service.client.post(url(pending, "/declare"), headers=if_match(pending["version"]))
    assert early.status_code == 409 and early.json()["error"]["code"] == "declaration.not_approved"
    assert "审核通过后才能申报" in early.json()["error"]["message_zh"]
    await publish(service, decision(ReviewApproved, pending))
    ready = await read(service, pending)
    assert (await service.client.post(url(ready, "/declare"), headers=auth())).status_code == 428
    reviewer = await service.client.post(
        url(ready, "/declare"), headers=if_match(ready["version"], roles=("reviewer",))
    )
    assert reviewer.status_code == 403
    stale = await service.client.post(url(ready, "/declare"), headers=if_match(ready["version"] - 1))
    assert stale.status_code == 412
    assert (await read(service, ready))["status"] == "审核通过"
    assert not [t for t, _ in service.bus.published if t == topics.SIGNER_REQUESTS]


async def test_reviewers_read_but_do_not_write_and_roleless_users_see_nothing(service: Service) -> None:
    pending = await submitted(service)
    reviewer = auth(roles=("reviewer",))
    assert (await service.client.get(url(pending), headers=reviewer)).status_code == 200
    assert (await service.client.get(url(pending, "/audit"), headers=reviewer)).status_code == 200
    listed = await service.client.get("/api/declaration/declarations?mine=false", headers=reviewer)
    assert listed.status_code == 200 and listed.json()["total"] == 1
    copy = await service.client.post(url(pending, "/copy"), headers=reviewer)
    assert copy.status_code == 403
    assert (await service.client.get(url(pending), headers=auth(roles=()))).status_code == 403


async def test_events_of_another_tenant_move_nothing(service: Service) -> None:
    pending = await submitted(service)
    await publish(service, decision(ReviewApproved, pending), tenant="other")
    assert (await read(service, pending))["status"] == "待审核"


async def test_receipts_that_overtake_the_acceptance_are_applied_when_it_arrives(service: Service) -> None:
    declaration, request = await declared(service)
    await publish(service, signature_for(request, base64.b64decode(request["content_b64"])))
    noticed = datetime.now(UTC)
    # Delivered in the opposite order of their notices, as two partitions may deliver them.
    for receipt_id, channel, seconds in [("R2", "P", 1), ("R1", "L", 0)]:
        early = ReceiptReceived(
            receipt_id=receipt_id,
            channel=channel,
            seq_no=SEQ_NO,
            entry_id="610120261000000002",
            notice_date=noticed + timedelta(seconds=seconds),
        )
        await publish(service, early)
        await publish(service, early)  # redelivered while parked
    parked = service.runtime.store.collection("declaration_parked_receipts")
    assert await parked.count({}) == 2
    assert (await read(service, declaration))["status"] == "申报中"

    accepted = DeclarationSubmitted(
        declaration_id=declaration["declaration_id"], seq_no=SEQ_NO, submitted_at=datetime.now(UTC)
    )
    await publish(service, accepted)
    final = await read(service, declaration)
    assert final["status"] == "放行" and [r["receipt_id"] for r in final["receipts"]] == ["R1", "R2"]
    assert final["document"]["head"]["entry_id"] == "610120261000000002"
    assert await parked.count({}) == 0


async def test_a_receipt_of_a_declaration_made_elsewhere_stays_parked(service: Service) -> None:
    stranger = ReceiptReceived(
        receipt_id="X1", channel="P", seq_no="610120260000999999", notice_date=datetime.now(UTC)
    )
    await publish(service, stranger)
    parked = service.runtime.store.collection("declaration_parked_receipts")
    assert await parked.count({"tenant": "acme", "seq_no": "610120260000999999"}) == 1


async def test_a_refusal_by_the_single_window_makes_it_declare_failed_editable_and_deletable(
    service: Service,
) -> None:
    declaration, request = await declared(service)
    refused = DeclarationSubmitFailed(
        declaration_id=declaration["declaration_id"],
        request_id=request["request_id"],
        code="response_code_5",
        message="表头申报单位代码长度不符",
        failed_at=datetime.now(UTC),
    )
    await publish(service, refused)
    await publish(service, refused)  # redelivered
    failed = await read(service, declaration)
    assert failed["status"] == "申报失败"
    assert failed["submission_failure"]["message"] == "表头申报单位代码长度不符"
    assert sum(a["action"].startswith("submit_failed") for a in failed["audit"]) == 1
    # Nothing reached the customs: it can be corrected (and reviewed again) or deleted.
    edited = await service.client.put(
        url(failed), json=as_json(fixtures.export_sea_general_trade()), headers=if_match(failed["version"])
    )
    assert edited.status_code == 200, edited.text
    again = await service.client.post(url(failed, "/declare"), headers=if_match(edited.json()["version"]))
    assert again.status_code == 409  # not without another review
    deleted = await service.client.delete(url(failed), headers=if_match(edited.json()["version"]))
    assert deleted.status_code == 200 and deleted.json()["status"] == "已删除"
