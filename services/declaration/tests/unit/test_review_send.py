"""发送: review's ReviewSendRequested carried out by the declaration service (in-process bus)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from declaration_harness import Service, as_json, auth

from guanwu.contracts import topics
from guanwu.contracts.envelope import Envelope
from guanwu.contracts.events import ReviewApproved, ReviewSendRequested
from guanwu.customs import fixtures
from guanwu.declaration.domain.sending import send_record_id, signing_request_id
from guanwu.platform.events import envelope_for

DECLARATIONS = "/api/declaration/declarations"


async def read(service: Service, declaration: dict[str, Any]) -> dict[str, Any]:
    response = await service.client.get(f"{DECLARATIONS}/{declaration['declaration_id']}", headers=auth())
    assert response.status_code == 200, response.text
    return response.json()


async def submitted(service: Service) -> dict[str, Any]:
    created = await service.client.post(
        DECLARATIONS, json=as_json(fixtures.export_sea_general_trade()), headers=auth()
    )
    url = f"{DECLARATIONS}/{created.json()['declaration_id']}/submit"
    response = await service.client.post(url, headers={**auth(), "If-Match": '"1"'})
    assert response.status_code == 200, response.text
    return response.json()


async def approve(service: Service, pending: dict[str, Any], review_id: str = "rv-1") -> dict[str, Any]:
    """Review task `review_id` approves the version submitted."""
    approval = ReviewApproved(
        review_id=review_id,
        declaration_id=pending["declaration_id"],
        declaration_version=pending["version"],
        reviewer="li-reviewer",
        decided_at=datetime.now(UTC),
    )
    await service.bus.publish(topics.REVIEW_EVENTS, envelope_for(approval, source="/t", tenant="acme")[1])
    return await read(service, pending)


async def approved(service: Service) -> dict[str, Any]:
    return await approve(service, await submitted(service))


def send_request(declaration: dict[str, Any], review_id: str = "rv-1", send_id: str = "send-1") -> Envelope:
    """What review publishes on 发送; the approval came from task `rv-1` unless said otherwise."""
    event = ReviewSendRequested(
        review_id=review_id,
        declaration_id=declaration["declaration_id"],
        declaration_version=declaration["version"] - 1,
        send_id=send_id,
        requested_by="li-reviewer",
        requested_at=datetime.now(UTC),
    )
    return envelope_for(event, source="/guanwu/review", tenant="acme", event_id=f"ev-{send_id}")[1]


async def published(service: Service, kind: str) -> list[Envelope]:
    await service.runtime.relay.drain()  # type: ignore[union-attr]
    return [env for _, env in service.bus.published if env.type.endswith(f".{kind}.v1")]


async def test_a_send_declares_the_approved_declaration_as_the_reviewer_once(service: Service) -> None:
    ready = await approved(service)
    request = send_request(ready)
    await service.bus.publish(topics.REVIEW_EVENTS, request)
    declared = await read(service, ready)
    assert declared["status"] == "申报中" and declared["version"] == ready["version"] + 1
    assert declared["signing"]["requested_by"] == "li-reviewer"
    assert declared["signing"]["request_id"] == signing_request_id("acme", "send-1")
    [announced] = await published(service, "DeclarationDeclareRequested")
    assert announced.data["send_id"] == "send-1" and announced.data["requested_by"] == "li-reviewer"
    assert (announced.correlationid, announced.causationid) == (request.correlationid, request.id)
    [signing] = [env for topic, env in service.bus.published if topic == topics.SIGNER_REQUESTS]
    assert signing.data["request_id"] == declared["signing"]["request_id"]

    await service.bus.publish(topics.REVIEW_EVENTS, request)  # redelivered
    assert (await read(service, ready))["version"] == declared["version"]
    assert len(await published(service, "DeclarationDeclareRequested")) == 1
    assert await published(service, "DeclarationSendRefused") == []


async def test_a_send_redelivered_after_a_crash_before_its_record_declares_nothing_again(
    service: Service,
) -> None:
    ready = await approved(service)
    request = send_request(ready)
    await service.bus.publish(topics.REVIEW_EVENTS, request)
    sends = service.runtime.store.collection("declaration_sends")
    await sends.delete(send_record_id("acme", "send-1"))  # as if the process died after the 申报's write
    await service.bus.publish(topics.REVIEW_EVENTS, request)
    assert (await read(service, ready))["version"] == ready["version"] + 1
    assert len(await published(service, "DeclarationDeclareRequested")) == 1
    [record] = await sends.find({})
    assert (record["outcome"], record["declared_version"]) == ("declared", ready["version"] + 1)


async def test_a_send_of_a_declaration_not_approved_by_that_task_is_refused_once(service: Service) -> None:
    ready = await approved(service)
    other_task = send_request(ready, review_id="rv-older", send_id="send-2")
    await service.bus.publish(topics.REVIEW_EVENTS, other_task)
    await service.bus.publish(topics.REVIEW_EVENTS, other_task)  # redelivered
    [refused] = await published(service, "DeclarationSendRefused")
    assert refused.data["code"] == "declaration.send_version_changed"
    assert refused.data["review_id"] == "rv-older" and refused.data["send_id"] == "send-2"
    assert "审核通过的版本" in refused.data["message_zh"] and refused.causationid == other_task.id
    assert (await read(service, ready))["status"] == "审核通过"  # nothing about it changed
    assert (await read(service, ready))["version"] == ready["version"]


async def test_a_send_of_a_pending_or_unknown_declaration_is_refused_with_the_declare_refusal(
    service: Service,
) -> None:
    pending = await submitted(service)
    await service.bus.publish(topics.REVIEW_EVENTS, send_request({**pending, "version": 3}, send_id="s-p"))
    unknown = {"declaration_id": "nowhere", "version": 3}
    await service.bus.publish(topics.REVIEW_EVENTS, send_request(unknown, send_id="s-u"))
    codes = {
        env.data["send_id"]: env.data["code"] for env in await published(service, "DeclarationSendRefused")
    }
    assert codes == {"s-p": "declaration.not_approved", "s-u": "declaration.not_found"}
    assert (await read(service, pending))["status"] == "待审核"


async def test_a_send_in_another_tenant_finds_no_declaration(service: Service) -> None:
    ready = await approved(service)
    request = send_request(ready).model_copy(update={"tenant": "other"})
    await service.bus.publish(topics.REVIEW_EVENTS, request)
    [refused] = await published(service, "DeclarationSendRefused")
    assert refused.tenant == "other" and refused.data["code"] == "declaration.not_found"
    assert (await read(service, ready))["status"] == "审核通过"
