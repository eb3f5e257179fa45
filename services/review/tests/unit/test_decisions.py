"""Marks, approve and reject over HTTP: versions, roles, refusals, and the events they publish."""

from __future__ import annotations

import asyncio
from typing import Any

from review_harness import PREPARER, Service, auth, submission

from guanwu.contracts.events import FieldMark, ReviewApproved, ReviewRejected

MARKS = [
    {"field_path": "head.bill_no", "verdict": "ok"},
    {"field_path": "goods[0].g_qty", "verdict": "wrong", "comment": "数量与发票不符"},
]


async def open_task(service: Service, **head: Any) -> str:
    await service.submit(submission("d1", version=2, **head))
    return str((await service.stored())[0]["_id"])


def url(review_id: str, action: str = "") -> str:
    return f"/api/review/tasks/{review_id}{action}"


async def current(service: Service, review_id: str) -> dict[str, Any]:
    return dict((await service.client.get(url(review_id), headers=auth())).json())


async def test_approve_publishes_one_review_approved_with_the_saved_marks(service: Service) -> None:
    review_id = await open_task(service)
    marked = await service.client.put(
        url(review_id, "/marks"), json={"marks": MARKS}, headers=auth(version=1)
    )
    assert marked.status_code == 200, marked.text
    assert marked.headers["ETag"] == '"2"'
    approved = await service.client.post(
        url(review_id, "/approve"),
        json={"comment": "单证相符", "override_reason": "红色字段已与客户核实"},  # MARKS has a red one
        headers=auth(version=2),
    )
    assert approved.status_code == 200, approved.text
    assert approved.json()["status"] == "审核通过" and approved.headers["ETag"] == '"3"'

    outcomes = await service.outcomes()
    assert [t for t, _ in outcomes] == [ReviewApproved.event_type]
    event = outcomes[0][1]
    assert (event.declaration_id, event.declaration_version, event.reviewer) == ("d1", 2, "r1")
    assert (event.review_id, event.comment) == (review_id, "单证相符")
    assert event.marks == [FieldMark.model_validate(m) for m in MARKS]
    audit = (await current(service, review_id))["audit"]
    assert [(a["action"], a["by"]) for a in audit] == [
        ("submitted", PREPARER),
        ("marks", "r1"),
        ("approve", "r1"),
    ]


async def test_reject_needs_a_comment_and_changes_nothing_without_one(service: Service) -> None:
    review_id = await open_task(service)
    for body in ({}, {"comment": "   "}):
        refused = await service.client.post(url(review_id, "/reject"), json=body, headers=auth(version=1))
        assert refused.status_code == 422
        assert [f["field"] for f in refused.json()["error"]["fields"]] == ["comment"]
    task = await current(service, review_id)
    assert (task["status"], task["version"], len(task["audit"])) == ("待审核", 1, 1)
    assert await service.outcomes() == []


async def test_reject_publishes_one_review_rejected_with_reason_and_marks(service: Service) -> None:
    review_id = await open_task(service)
    body = {"comment": "数量有误，请核对", "marks": MARKS[1:]}
    rejected = await service.client.post(url(review_id, "/reject"), json=body, headers=auth(version=1))
    assert rejected.status_code == 200, rejected.text
    assert rejected.json()["status"] == "审核退回"
    [(event_type, event)] = await service.outcomes()
    assert event_type == ReviewRejected.event_type
    assert event.comment == "数量有误，请核对" and [m.field_path for m in event.marks] == ["goods[0].g_qty"]


async def test_a_decided_task_cannot_be_decided_or_marked_again(service: Service) -> None:
    review_id = await open_task(service)
    assert (await service.client.post(url(review_id, "/approve"), headers=auth(version=1))).status_code == 200
    again = [
        await service.client.post(url(review_id, "/approve"), headers=auth(version=2)),
        await service.client.post(url(review_id, "/reject"), json={"comment": "x"}, headers=auth(version=2)),
        await service.client.put(url(review_id, "/marks"), json={"marks": MARKS}, headers=auth(version=2)),
    ]
    for response in again:
        assert response.status_code == 409
        error = response.json()["error"]
        assert error["code"] == "review.already_decided" and "不能再次审核" in error["message_zh"]
    assert len(await service.outcomes()) == 1


async def test_a_stale_or_missing_if_match_is_refused(service: Service) -> None:
    review_id = await open_task(service)
    stale = await service.client.post(url(review_id, "/approve"), headers=auth(version=7))
    assert stale.status_code == 412
    assert stale.json()["error"]["current_version"] == 1 and stale.headers["ETag"] == '"1"'
    assert (await service.client.post(url(review_id, "/approve"), headers=auth())).status_code == 428
    assert (await current(service, review_id))["status"] == "待审核"
    assert await service.outcomes() == []


async def test_two_reviewers_deciding_the_same_version_exactly_one_wins(service: Service) -> None:
    review_id = await open_task(service)
    responses = await asyncio.gather(
        service.client.post(url(review_id, "/approve"), headers=auth(version=1)),
        service.client.post(
            url(review_id, "/reject"), json={"comment": "退回"}, headers=auth("r2", version=1)
        ),
    )
    assert sorted(r.status_code for r in responses) == [200, 412]
    assert len(await service.outcomes()) == 1


async def test_a_preparer_may_not_decide(service: Service) -> None:
    review_id = await open_task(service)
    forbidden = await service.client.post(
        url(review_id, "/approve"), headers=auth("p2", roles=("preparer",), version=1)
    )
    assert forbidden.status_code == 403 and forbidden.json()["error"]["code"] == "auth.forbidden"
    assert (await current(service, review_id))["status"] == "待审核"


async def test_nobody_reviews_their_own_declaration_except_an_admin(service: Service) -> None:
    review_id = await open_task(service)
    own = await service.client.post(
        url(review_id, "/approve"), headers=auth(PREPARER, roles=("preparer", "reviewer"), version=1)
    )
    assert own.status_code == 409
    assert own.json()["error"] == {
        "code": "review.own_declaration",
        "message_zh": "不能审核自己制作的报关单",
        "message_en": "You cannot review a declaration you prepared yourself",
    }
    admin = await service.client.post(
        url(review_id, "/approve"), headers=auth(PREPARER, roles=("admin",), version=1)
    )
    assert admin.status_code == 200, admin.text
    assert [e.reviewer for _, e in await service.outcomes()] == [PREPARER]


async def test_a_field_may_be_marked_once(service: Service) -> None:
    review_id = await open_task(service)
    twice = [MARKS[0], {**MARKS[0], "verdict": "wrong"}]
    refused = await service.client.put(
        url(review_id, "/marks"), json={"marks": twice}, headers=auth(version=1)
    )
    assert refused.status_code == 422
    assert refused.json()["error"]["fields"][0]["field"] == "marks"
    assert (await current(service, review_id))["marks"] == []


async def test_an_unchanged_mark_keeps_who_set_it(service: Service) -> None:
    review_id = await open_task(service)
    first = await service.client.put(
        url(review_id, "/marks"), json={"marks": MARKS[:1]}, headers=auth(version=1)
    )
    assert first.status_code == 200
    second = await service.client.put(
        url(review_id, "/marks"), json={"marks": MARKS}, headers=auth("r2", version=2)
    )
    assert second.status_code == 200
    assert [(m["field_path"], m["marked_by"]) for m in second.json()["marks"]] == [
        ("head.bill_no", "r1"),
        ("goods[0].g_qty", "r2"),
    ]
