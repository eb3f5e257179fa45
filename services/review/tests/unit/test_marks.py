"""可视化审核 (F-11): one field set or cycled at a time, who and when per mark, If-Match, and one FieldMarked per
change through the outbox."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from review_harness import Service, auth, submission

from guanwu.contracts.events import FieldMarked
from guanwu.review.domain import ReviewTask, marked_event_id


async def open_task(service: Service) -> str:
    await service.submit(submission("d1", version=2))
    return str((await service.stored())[0]["_id"])


async def mark(service: Service, review_id: str, version: int, user: str = "r1", **body: Any) -> Any:
    return await service.client.post(
        f"/api/review/tasks/{review_id}/mark", json=body, headers=auth(user, version=version)
    )


async def test_the_click_cycle_goes_unmarked_ok_wrong_unmarked_one_event_per_click(service: Service) -> None:
    review_id = await open_task(service)
    states = []
    for version in (1, 2, 3):
        response = await mark(service, review_id, version, field_path="goods[0].g_qty", state="cycle")
        assert response.status_code == 200, response.text
        assert response.headers["ETag"] == f'"{version + 1}"'
        marks = response.json()["marks"]
        states.append(marks[0]["verdict"] if marks else "unmarked")
    assert states == ["ok", "wrong", "unmarked"]
    events = await service.marked()
    assert [(e.state_before, e.state_after, e.task_version) for e in events] == [
        ("unmarked", "ok", 2),
        ("ok", "wrong", 3),
        ("wrong", "unmarked", 4),
    ]
    assert {(e.review_id, e.declaration_id, e.declaration_version, e.reviewer) for e in events} == {
        (review_id, "d1", 2, "r1")
    }
    assert {e.field_path for e in events} == {"goods[0].g_qty"}


async def test_a_mark_keeps_who_when_and_the_value_it_was_set_on(service: Service) -> None:
    review_id = await open_task(service)
    response = await mark(
        service, review_id, 1, field_path="head.bill_no", state="wrong", comment="提单号与舱单不符"
    )
    [saved] = response.json()["marks"]
    assert (saved["verdict"], saved["marked_by"], saved["value"], saved["comment"]) == (
        "wrong",
        "r1",
        "MAEU240716553",
        "提单号与舱单不符",
    )
    [event] = await service.marked()
    assert event.comment == "提单号与舱单不符" and event.marked_at.isoformat()[:19] == saved["marked_at"][:19]
    audit = response.json()["audit"][-1]
    assert (audit["action"], audit["by"], audit["changes"]) == (
        "mark",
        "r1",
        [
            {
                "field_path": "head.bill_no",
                "state_before": "unmarked",
                "state_after": "wrong",
                "comment": "提单号与舱单不符",
            }
        ],
    )


async def test_setting_the_state_a_field_has_changes_nothing_and_publishes_nothing(service: Service) -> None:
    review_id = await open_task(service)
    assert (await mark(service, review_id, 1, field_path="head.bill_no", state="ok")).status_code == 200
    again = await mark(service, review_id, 2, field_path="head.bill_no", state="ok")
    assert again.status_code == 200 and again.headers["ETag"] == '"2"'
    unmarked = await mark(service, review_id, 2, field_path="head.trade_mode", state="unmarked")
    assert unmarked.status_code == 200 and unmarked.json()["version"] == 2
    assert len(await service.marked()) == 1


async def test_two_reviewers_marking_the_same_version_one_wins_the_other_gets_412(service: Service) -> None:
    review_id = await open_task(service)
    responses = await asyncio.gather(
        mark(service, review_id, 1, "r1", field_path="head.bill_no", state="ok"),
        mark(service, review_id, 1, "r2", field_path="goods[1].g_qty", state="wrong"),
    )
    assert sorted(r.status_code for r in responses) == [200, 412]
    loser = next(r for r in responses if r.status_code == 412)
    assert loser.headers["ETag"] == '"2"' and loser.json()["error"]["code"] == "review.version_conflict"
    winner = next(r for r in responses if r.status_code == 200).json()
    [event] = await service.marked()
    assert (event.field_path, event.reviewer) == (
        winner["marks"][0]["field_path"],
        winner["marks"][0]["marked_by"],
    )
    task = (await service.client.get(f"/api/review/tasks/{review_id}", headers=auth())).json()
    assert task["version"] == 2 and len(task["marks"]) == 1


@pytest.mark.parametrize(
    "path",
    [
        "head.trade_mode",
        "goods[2].code_ts",
        "containers[1].container_id",
        "licenses[0].docu_code",
        "edocs[1].edoc_id",
    ],
)
async def test_any_field_of_head_goods_containers_and_documents_can_be_marked(
    service: Service, path: str
) -> None:
    review_id = await open_task(service)
    response = await mark(service, review_id, 1, field_path=path, state="wrong")
    assert response.status_code == 200, response.text
    assert [m["field_path"] for m in response.json()["marks"]] == [path]


@pytest.mark.parametrize(
    "path", ["head.no_such_field", "goods[3].g_qty", "goods.g_qty", "head[0].bill_no", "nothing", "x.y"]
)
async def test_a_path_naming_no_field_of_the_declaration_is_refused(service: Service, path: str) -> None:
    review_id = await open_task(service)
    response = await mark(service, review_id, 1, field_path=path, state="ok")
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "review.unknown_field"
    put = await service.client.put(
        f"/api/review/tasks/{review_id}/marks",
        json={"marks": [{"field_path": path, "verdict": "ok"}]},
        headers=auth(version=1),
    )
    assert put.status_code == 422
    assert await service.marked() == []


async def test_saving_the_whole_set_publishes_one_event_per_changed_field_only(service: Service) -> None:
    review_id = await open_task(service)
    first = [
        {"field_path": "head.bill_no", "verdict": "ok"},
        {"field_path": "goods[0].g_qty", "verdict": "wrong", "comment": "数量"},
    ]
    url = f"/api/review/tasks/{review_id}/marks"
    assert (await service.client.put(url, json={"marks": first}, headers=auth(version=1))).status_code == 200
    second = [first[0], {"field_path": "head.trade_mode", "verdict": "ok"}]
    saved = await service.client.put(url, json={"marks": second}, headers=auth("r2", version=2))
    assert saved.status_code == 200
    same = await service.client.put(url, json={"marks": second}, headers=auth(version=3))
    assert same.status_code == 200 and same.headers["ETag"] == '"3"'
    events = await service.marked()
    assert [(e.task_version, e.field_path, e.state_before, e.state_after, e.reviewer) for e in events] == [
        (2, "head.bill_no", "unmarked", "ok", "r1"),
        (2, "goods[0].g_qty", "unmarked", "wrong", "r1"),
        (3, "head.trade_mode", "unmarked", "ok", "r2"),
        (3, "goods[0].g_qty", "wrong", "unmarked", "r2"),
    ]


async def test_a_republished_field_marked_carries_the_same_event_id(service: Service) -> None:
    """The relay may publish an outbox entry twice (a crash between publish and cleanup): consumers drop the
    second by its id, so the id must be the same one — it derives from the task, its version and the field."""
    review_id = await open_task(service)
    for version, state in ((1, "ok"), (2, "unmarked"), (3, "ok")):
        await mark(service, review_id, version, field_path="head.bill_no", state=state)
    task = ReviewTask.model_validate(
        (await service.client.get(f"/api/review/tasks/{review_id}", headers=auth())).json()
    )
    ids = [e.id for e in await service.published(FieldMarked)]
    assert ids == [marked_event_id(task.model_copy(update={"version": v}), "head.bill_no") for v in (2, 3, 4)]
    assert len(set(ids)) == 3  # the same change at another version is another event


async def test_a_decided_or_foreign_task_cannot_be_marked(service: Service) -> None:
    review_id = await open_task(service)
    foreign = await service.client.post(
        f"/api/review/tasks/{review_id}/mark",
        json={"field_path": "head.bill_no", "state": "ok"},
        headers=auth(tenant="globex", version=1),
    )
    assert foreign.status_code == 404 and foreign.json()["error"]["code"] == "review.not_found"
    put = await service.client.put(
        f"/api/review/tasks/{review_id}/marks", json={"marks": []}, headers=auth(tenant="globex", version=1)
    )
    assert put.status_code == 404
    await service.client.post(f"/api/review/tasks/{review_id}/approve", headers=auth(version=1))
    decided = await mark(service, review_id, 2, field_path="head.bill_no", state="ok")
    assert decided.status_code == 409 and decided.json()["error"]["code"] == "review.already_decided"
    assert await service.marked() == []
