"""Marks across versions (stale after a resubmission), ReviewStarted, withdrawal when the declaration is deleted
or changes version outside review (ReviewWithdrawn), 系统状态 and 申报状态 from the declaration's later events and
receipts — each redelivery-safe."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from review_harness import PREPARER, Service, auth, document, submission

from guanwu.contracts.events import (
    DeclarationDeleted,
    DeclarationStatusChanged,
    DeclarationUpdated,
    ReceiptReceived,
    ReviewStarted,
    ReviewWithdrawn,
)
from guanwu.review.domain import review_id_for

TASKS = "/api/review/tasks"


async def task(service: Service, declaration_version: int, declaration_id: str = "d1") -> dict[str, Any]:
    review_id = review_id_for("acme", declaration_id, declaration_version)
    response = await service.client.get(f"{TASKS}/{review_id}", headers=auth())
    assert response.status_code == 200, response.text
    return dict(response.json())


def changed_goods_quantity() -> Any:
    doc = document()
    first = doc.goods[0].model_copy(update={"g_qty": Decimal("7000")})
    return doc.model_copy(update={"goods": [first, *doc.goods[1:]]})


async def review_and_return(service: Service) -> None:
    await service.submit(submission("d1", version=2))
    marks = [
        {"field_path": "head.bill_no", "verdict": "ok"},
        {"field_path": "goods[0].g_qty", "verdict": "wrong", "comment": "数量与发票不符"},
        {"field_path": "head.trade_mode", "verdict": "ok"},
    ]
    returned = await service.client.post(
        f"{TASKS}/{review_id_for('acme', 'd1', 2)}/reject",
        json={"comment": "数量有误", "marks": marks},
        headers=auth(version=1),
    )
    assert returned.status_code == 200, returned.text


async def test_a_resubmission_carries_the_marks_and_flags_the_changed_field_stale(service: Service) -> None:
    await review_and_return(service)
    await service.submit(submission("d1", version=4, doc=changed_goods_quantity()))
    reopened = await task(service, 4)
    assert reopened["previous_review_id"] == review_id_for("acme", "d1", 2)
    by_path = {m["field_path"]: m for m in reopened["marks"]}
    assert set(by_path) == {"head.bill_no", "goods[0].g_qty", "head.trade_mode"}
    stale = by_path["goods[0].g_qty"]
    assert (stale["stale"], stale["verdict"], stale["value"], stale["value_now"]) == (
        True,
        "wrong",
        "6264",
        "7000",
    )
    for path in ("head.bill_no", "head.trade_mode"):
        assert by_path[path]["stale"] is False and by_path[path]["verdict"] == "ok"
        assert by_path[path]["marked_by"] == "r1"
    [started_v2, started_v4] = [
        ReviewStarted.model_validate(e.data) for e in await service.published(ReviewStarted)
    ]
    assert (started_v2.carried_marks, started_v2.previous_review_id) == (0, None)
    assert (started_v4.declaration_version, started_v4.carried_marks, started_v4.stale_marks) == (4, 3, 1)
    assert started_v4.previous_review_id == review_id_for("acme", "d1", 2)


async def test_marking_a_stale_field_again_clears_the_flag(service: Service) -> None:
    await review_and_return(service)
    await service.submit(submission("d1", version=4, doc=changed_goods_quantity()))
    review_id = review_id_for("acme", "d1", 4)
    response = await service.client.post(
        f"{TASKS}/{review_id}/mark",
        json={"field_path": "goods[0].g_qty", "state": "ok"},
        headers=auth("r2", version=1),
    )
    assert response.status_code == 200, response.text
    mark = next(m for m in response.json()["marks"] if m["field_path"] == "goods[0].g_qty")
    assert (mark["stale"], mark["verdict"], mark["value"], mark["marked_by"]) == (False, "ok", "7000", "r2")
    events = await service.marked()
    assert [e.field_path for e in events] == [
        "head.bill_no",
        "goods[0].g_qty",
        "head.trade_mode",
        "goods[0].g_qty",
    ]
    assert (events[-1].review_id, events[-1].state_before, events[-1].state_after) == (
        review_id,
        "wrong",
        "ok",
    )


async def test_a_stale_flag_stays_through_a_version_that_left_the_field_alone(service: Service) -> None:
    await review_and_return(service)
    await service.submit(submission("d1", version=4, doc=changed_goods_quantity()))
    await service.client.post(
        f"{TASKS}/{review_id_for('acme', 'd1', 4)}/reject", json={"comment": "再看"}, headers=auth(version=1)
    )
    await service.submit(submission("d1", version=6, doc=changed_goods_quantity()))
    stale = next(m for m in (await task(service, 6))["marks"] if m["field_path"] == "goods[0].g_qty")
    assert (stale["stale"], stale["value"], stale["value_now"]) == (True, "6264", "7000")


async def test_a_redelivered_submission_starts_nothing_twice(service: Service) -> None:
    envelope = await service.submit(submission("d1", version=2))
    await service.bus.publish("declaration.events.v1", envelope)
    await service.submit(submission("d1", version=2))
    assert len(await service.published(ReviewStarted)) == 1
    assert len(await service.stored()) == 1


def summary(event_class: type, version: int, status: str, **extra: Any) -> Any:
    return event_class(
        declaration_id="d1", version=version, ie_flag="E", status=status, prepared_by=PREPARER, **extra
    )


async def withdrawn(service: Service) -> list[ReviewWithdrawn]:
    return [ReviewWithdrawn.model_validate(e.data) for e in await service.published(ReviewWithdrawn)]


async def test_deleting_the_declaration_withdraws_its_pending_task_once(service: Service) -> None:
    await service.submit(submission("d1", version=2))
    deleted = await service.submit(summary(DeclarationDeleted, 3, "已删除"))
    await service.bus.publish("declaration.events.v1", deleted)  # redelivered
    current = await task(service, 2)
    assert (current["status"], current["withdrawn_reason"], current["declaration_status"]) == (
        "已撤回",
        "declaration_deleted",
        "已删除",
    )
    assert [(w.reason, w.declaration_version) for w in await withdrawn(service)] == [
        ("declaration_deleted", 2)
    ]
    refused = await service.client.post(
        f"{TASKS}/{current['review_id']}/approve", headers=auth(version=current["version"])
    )
    assert refused.status_code == 409


async def test_a_version_change_outside_review_withdraws_the_pending_task(service: Service) -> None:
    await service.submit(submission("d1", version=2))
    await service.submit(summary(DeclarationUpdated, 3, "暂存", document=document()))
    assert (await task(service, 2))["withdrawn_reason"] == "declaration_changed"
    await service.submit(
        submission("d1", version=4)
    )  # submitted again: a new task, the old one stays withdrawn
    assert (await task(service, 4))["status"] == "待审核"
    assert [w.reason for w in await withdrawn(service)] == ["declaration_changed"]


async def test_an_older_pending_task_is_withdrawn_when_a_newer_version_is_submitted(service: Service) -> None:
    await service.submit(submission("d1", version=2))
    await service.submit(submission("d1", version=5))
    assert (await task(service, 2))["status"] == "已撤回"
    assert (await task(service, 5))["status"] == "待审核"
    assert [(w.declaration_version, w.reason) for w in await withdrawn(service)] == [
        (2, "declaration_changed")
    ]


async def test_reviews_own_decision_and_old_events_withdraw_nothing(service: Service) -> None:
    await service.submit(submission("d1", version=2))
    # An event of the version under review or before it (a redelivery, an overtaken one) changes nothing.
    await service.submit(summary(DeclarationUpdated, 1, "暂存", document=document()))
    await service.submit(summary(DeclarationStatusChanged, 2, "待审核", previous_status="暂存"))
    # Review's own decision moving the declaration on is not a change outside review.
    await service.submit(
        summary(DeclarationStatusChanged, 3, "审核通过", previous_status="待审核", cause="ReviewApproved")
    )
    current = await task(service, 2)
    assert current["status"] == "待审核" and current["declaration_status"] == "审核通过"
    assert await withdrawn(service) == []


async def test_a_decided_task_follows_the_declaration_state_and_is_not_withdrawn(service: Service) -> None:
    await service.submit(submission("d1", version=2))
    review_id = review_id_for("acme", "d1", 2)
    await service.client.post(f"{TASKS}/{review_id}/approve", headers=auth(version=1))
    await service.submit(summary(DeclarationStatusChanged, 3, "审核通过", previous_status="待审核"))
    await service.submit(summary(DeclarationStatusChanged, 4, "申报中", previous_status="审核通过"))
    again = await service.submit(summary(DeclarationStatusChanged, 5, "已申报", previous_status="申报中"))
    await service.bus.publish("declaration.events.v1", again)
    current = await task(service, 2)
    assert (current["status"], current["declaration_status"], current["declaration_seen_version"]) == (
        "审核通过",
        "已申报",
        5,
    )
    assert await withdrawn(service) == []


def receipt(channel: str, day: int, **numbers: Any) -> ReceiptReceived:
    return ReceiptReceived(
        receipt_id=f"R-{channel}-{day}",
        channel=channel,
        notice_date=datetime(2026, 11, day, tzinfo=UTC),
        **numbers,
    )


async def test_receipts_give_the_latest_declare_status_found_by_id_or_number(service: Service) -> None:
    await service.submit(submission("d1", version=2, entry_id="510120261000000001"))
    await service.receive(receipt("L", 20, declaration_id="d1"))
    current = await task(service, 2)
    assert (current["declare_status"], current["declare_status_name"]) == ("L", "海关入库成功")
    await service.receive(receipt("C", 19, declaration_id="d1"))  # older: arrived late, changes nothing
    await service.receive(receipt("L", 20, declaration_id="d1"))  # redelivered
    assert (await task(service, 2))["version"] == current["version"]
    await service.receive(receipt("P", 22, entry_id="510120261000000001"))
    assert (await task(service, 2))["declare_status"] == "P"
    await service.receive(receipt("R", 23, entry_id="510120261000000001"), tenant="globex")
    assert (await task(service, 2))["declare_status"] == "P"  # another tenant's receipt finds nothing here
