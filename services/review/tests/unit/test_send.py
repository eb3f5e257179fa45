"""发送 as a command through events: the request (202, ReviewSendRequested through the outbox), a request asked
again (200, nothing published), and the declaration service's answers settling the task's send."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
from review_harness import Service, auth, submission

from guanwu.contracts import topics
from guanwu.contracts.envelope import Envelope
from guanwu.contracts.events import (
    DeclarationDeclareRequested,
    DeclarationSendRefused,
    DeclarationStatusChanged,
    ReviewSendRequested,
)
from guanwu.platform.events import envelope_for
from guanwu.review.domain import review_id_for

REVIEW_ID = review_id_for("acme", "d1", 2)
TASK = f"/api/review/tasks/{REVIEW_ID}"
MANAGER = auth("m1", roles=("manager",))


async def approved_task(service: Service, *, may_send: bool = True) -> None:
    await service.submit(submission("d1"))
    approved = await service.client.post(f"{TASK}/approve", json={}, headers=auth(version=1))
    assert approved.status_code == 200, approved.text
    body = {"reviewers_may_send": may_send}
    assert (await service.client.put("/api/review/settings", json=body, headers=MANAGER)).status_code == 200


async def send(service: Service, **headers: str) -> httpx.Response:
    return await service.client.post(f"{TASK}/send", headers=headers or auth())


async def task(service: Service) -> dict[str, Any]:
    response = await service.client.get(TASK, headers=auth())
    assert response.status_code == 200, response.text
    return response.json()


async def requests(service: Service) -> list[ReviewSendRequested]:
    return [ReviewSendRequested.model_validate(e.data) for e in await service.published(ReviewSendRequested)]


def declared(send_id: str | None, version: int = 4) -> DeclarationDeclareRequested:
    """The declaration service's 申报 (with `send_id`: the one carrying out the send)."""
    return DeclarationDeclareRequested(
        declaration_id="d1",
        version=version,
        ie_flag="E",
        status="申报中",
        request_id="sign-1",
        content_sm3="0" * 64,
        requested_by="r1",
        message_b64="",
        send_id=send_id,
    )


async def answer(service: Service, event: DeclarationSendRefused) -> Envelope:
    _, envelope = envelope_for(event, source="/guanwu/declaration", tenant="acme")
    await service.bus.publish(topics.DECLARATION_EVENTS, envelope)
    return envelope


def refused(send_id: str) -> DeclarationSendRefused:
    return DeclarationSendRefused(
        declaration_id="d1",
        review_id=REVIEW_ID,
        send_id=send_id,
        code="declaration.not_approved",
        message_zh="报关单处于「申报中」状态，审核通过后才能申报",
        message_en="The declaration is declaring: only an approved declaration can be declared",
    )


async def test_send_is_requested_through_the_outbox_and_asked_again_answers_the_same_send(
    service: Service,
) -> None:
    await approved_task(service)
    first = await send(service)
    assert first.status_code == 202, first.text
    assert first.headers["Location"] == TASK
    body = first.json()
    assert (body["state"], body["requested_by"], body["declaration_version"]) == ("requested", "r1", 2)
    [request] = await requests(service)
    assert (request.send_id, request.review_id, request.declaration_id) == (body["send_id"], REVIEW_ID, "d1")
    assert request.declaration_version == 2 and request.requested_by == "r1"

    again = await send(service, **MANAGER)  # a manager may send too (the same settings apply)
    assert again.status_code == 200 and again.json()["send_id"] == body["send_id"]
    assert again.json()["requested_by"] == "r1"
    assert len(await requests(service)) == 1
    shown = (await task(service))["send"]
    assert (shown["send_id"], shown["state"]) == (body["send_id"], "requested")


async def test_two_sends_at_once_make_one_request(service: Service) -> None:
    await approved_task(service)
    answers = await asyncio.gather(send(service), send(service, **auth("r2")))
    assert sorted(a.status_code for a in answers) == [200, 202]
    assert len({a.json()["send_id"] for a in answers}) == 1
    assert len(await requests(service)) == 1


async def test_the_declaration_services_declare_settles_the_send_once(service: Service) -> None:
    await approved_task(service)
    send_id = (await send(service)).json()["send_id"]
    await service.submit(declared(None, version=4))  # the preparer's own 申报 answers no send
    assert (await task(service))["send"]["state"] == "requested"
    await service.submit(declared(send_id, version=5))
    after = await task(service)
    assert (after["send"]["state"], after["send"]["declared_version"]) == ("declared", 5)
    assert after["send"]["settled_at"] is not None
    await service.submit(declared(send_id, version=5))  # redelivered
    assert (await task(service))["version"] == after["version"]
    again = await send(service)
    assert again.status_code == 200 and again.json()["state"] == "declared"
    assert len(await requests(service)) == 1


async def test_a_refused_send_shows_why_and_a_new_send_may_be_asked(service: Service) -> None:
    await approved_task(service)
    send_id = (await send(service)).json()["send_id"]
    await answer(service, refused("another-send"))  # not this task's send: nothing changes
    assert (await task(service))["send"]["state"] == "requested"
    await answer(service, refused(send_id))
    after = await task(service)
    assert after["send"]["state"] == "refused" and after["send"]["code"] == "declaration.not_approved"
    assert after["send"]["message_zh"].startswith("报关单处于「申报中」")
    assert [e["action"] for e in after["audit"]][-2:] == ["send", "send_refused"]
    await answer(service, refused(send_id))  # redelivered
    assert (await task(service))["version"] == after["version"]

    retried = await send(service)
    assert retried.status_code == 202 and retried.json()["send_id"] != send_id
    assert [r.send_id for r in await requests(service)] == [send_id, retried.json()["send_id"]]


async def test_a_declared_send_may_be_sent_again_once_the_declaration_is_approved_again(
    service: Service,
) -> None:
    await approved_task(service)
    send_id = (await send(service)).json()["send_id"]
    await service.submit(declared(send_id, version=4))
    assert (await send(service)).status_code == 200
    back = DeclarationStatusChanged(
        declaration_id="d1", version=5, ie_flag="E", status="审核通过", previous_status="申报中"
    )
    await service.submit(back)  # the card did not sign: 审核通过 again
    again = await send(service)
    assert again.status_code == 202 and again.json()["send_id"] != send_id


async def test_sending_needs_the_settings_unless_admin_and_is_audited_once(service: Service) -> None:
    await approved_task(service, may_send=False)
    forbidden = await send(service)
    assert forbidden.status_code == 403 and forbidden.json()["error"]["code"] == "review.send_not_allowed"
    assert (await send(service, **auth("root", roles=("admin",)))).status_code == 202
    [published] = await service.published(ReviewSendRequested)
    await service.bus.publish(topics.REVIEW_EVENTS, published)  # redelivered to the audit
    audit = await service.client.get("/api/review/audit", params={"action": "sent"}, headers=MANAGER)
    [record] = audit.json()["items"]
    assert (record["reviewer"], record["review_id"], record["declaration_version"]) == ("root", REVIEW_ID, 2)
    preparer = auth("p1", roles=("preparer",))
    assert (await send(service, **preparer)).status_code == 403
    assert (await send(service, **auth(tenant="other"))).status_code == 404
