"""高级审核, the review settings, 发送's refusals and 审核留痕 through the review service's HTTP API and bus."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

from openpyxl import load_workbook
from printing_support import pdf_pages
from review_harness import PREPARER, REVIEWER, Service, auth, document, submission

from guanwu.contracts import topics
from guanwu.contracts.declaration import DeclarationDocument
from guanwu.contracts.events import DeclarationDeleted, DeclarationStatusChanged, FieldMarked, ReviewApproved
from guanwu.review.domain import CHINA_TIME, review_id_for

T0 = datetime(2026, 11, 2, 2, 0, tzinfo=UTC)


def priced(doc: DeclarationDocument, price: str) -> DeclarationDocument:
    goods = list(doc.goods)
    goods[0] = goods[0].model_copy(update={"decl_price": Decimal(price)})
    return doc.model_copy(update={"goods": goods})


async def earlier(service: Service, declaration_id: str, price: str, day: int, status: str = "放行") -> None:
    """An earlier declaration of the same consignee, as the declaration service announced it."""
    event = DeclarationStatusChanged(
        declaration_id=declaration_id,
        version=6,
        ie_flag="E",
        status=status,
        entry_id=f"5100{day:014d}",
        document=priced(document(), price),
    )
    await service.submit(event, at=T0 + timedelta(days=day))


async def advanced(service: Service, review_id: str, **headers: str) -> dict:
    response = await service.client.get(f"/api/review/tasks/{review_id}/advanced", headers=headers or auth())
    assert response.status_code == 200, response.text
    return response.json()


async def test_advanced_review_puts_findings_comparisons_and_marks_beside_each_field(
    service: Service,
) -> None:
    for day, price in enumerate(("10", "11", "10.5", "9.8")):
        await earlier(service, f"old{day}", price, day)
    await earlier(service, "draft-ish", "1", 5, status="审核退回")  # not counted: nobody vouched for it
    await service.submit(submission("d1", doc=priced(document(), "52")))
    review_id = review_id_for("acme", "d1", 2)
    marked = await service.client.post(
        f"/api/review/tasks/{review_id}/mark",
        json={"field_path": "goods[0].decl_price", "state": "wrong", "comment": "单价偏高"},
        headers=auth(version=1),
    )
    assert marked.status_code == 200, marked.text

    view = await advanced(service, review_id)
    assert view["earlier_declarations"] == 4
    assert view["template"]["state"] == "unavailable"  # no declaration service in this process
    fields = {f["field_path"]: f for f in view["fields"]}
    price = fields["goods[0].decl_price"]
    assert price["mark"] == "wrong" and price["mark_comment"] == "单价偏高"
    kinds = {c["kind"]: c for c in price["comparisons"]}
    assert kinds["price_history"]["differs"] and kinds["price_history"]["spread"]["prices"] == 4
    assert kinds["price_history"]["spread"]["median"] == "10.25"
    assert kinds["previous"]["theirs"].startswith("9.8 ")  # the newest earlier one
    assert kinds["previous"]["source"]["declaration_id"] == "old3"
    assert view["red_fields"] == ["goods[0].decl_price"]
    assert all(f["field_path"] in fields for f in view["findings"])


async def test_a_deleted_earlier_declaration_leaves_the_history(service: Service) -> None:
    for day, price in enumerate(("10", "11", "10.5")):
        await earlier(service, f"old{day}", price, day)
    await service.submit(
        DeclarationDeleted(declaration_id="old2", version=7, ie_flag="E", status="已删除"), at=T0
    )
    await service.submit(submission("d1", doc=priced(document(), "10")))
    view = await advanced(service, review_id_for("acme", "d1", 2))
    assert view["earlier_declarations"] == 2


async def test_a_redelivered_or_older_declaration_event_changes_nothing(service: Service) -> None:
    await earlier(service, "old0", "10", 1)
    envelope = await service.submit(
        DeclarationStatusChanged(
            declaration_id="old0", version=5, ie_flag="E", status="放行", document=priced(document(), "99")
        )
    )
    await service.bus.publish(topics.DECLARATION_EVENTS, envelope)
    rows = await service.runtime.store.collection("review_declaration_history").find({})
    assert len(rows) == 1 and rows[0]["aggregate_version"] == 6
    assert rows[0]["lines"][0]["decl_price"] == "10"


async def test_another_tenant_sees_no_task_and_no_history(service: Service) -> None:
    await earlier(service, "old0", "10", 1)
    await service.submit(submission("d1"))
    review_id = review_id_for("acme", "d1", 2)
    other = await service.client.get(f"/api/review/tasks/{review_id}/advanced", headers=auth(tenant="other"))
    assert other.status_code == 404
    await service.submit(submission("d2"), tenant="other")
    view = await advanced(service, review_id_for("other", "d2", 2), **auth(tenant="other"))
    assert view["earlier_declarations"] == 0


async def test_settings_belong_to_the_tenant_and_only_a_manager_changes_them(service: Service) -> None:
    url = "/api/review/settings"
    assert (await service.client.get(url, headers=auth())).json()["reviewers_may_send"] is False
    refused = await service.client.put(url, json={"reviewers_may_send": True}, headers=auth())
    assert refused.status_code == 403
    changed = await service.client.put(
        url, json={"reviewers_may_send": True}, headers=auth("m1", roles=("manager",))
    )
    assert changed.status_code == 200 and changed.json()["updated_by"] == "m1"
    assert (await service.client.get(url, headers=auth())).json()["reviewers_may_send"] is True
    assert (await service.client.get(url, headers=auth(tenant="other"))).json()["reviewers_may_send"] is False


async def test_send_is_refused_when_the_settings_forbid_it_or_the_task_is_not_approved(
    service: Service,
) -> None:
    await service.submit(submission("d1"))
    review_id = review_id_for("acme", "d1", 2)
    send = f"/api/review/tasks/{review_id}/send"
    forbidden = await service.client.post(send, headers=auth())
    assert forbidden.status_code == 403
    assert forbidden.json()["error"]["code"] == "review.send_not_allowed"
    await service.client.put(
        "/api/review/settings", json={"reviewers_may_send": True}, headers=auth("m1", roles=("manager",))
    )
    pending = await service.client.post(send, headers=auth())
    assert pending.status_code == 409 and pending.json()["error"]["code"] == "review.not_approved"
    assert (await service.client.post(send, headers=auth(tenant="other"))).status_code == 404


async def test_the_audit_keeps_each_mark_and_decision_per_declaration_and_reviewer(service: Service) -> None:
    await service.submit(submission("d1"))
    await service.submit(submission("d2", seq_no="S-2"))
    first, second = review_id_for("acme", "d1", 2), review_id_for("acme", "d2", 2)
    for review_id, user, path in ((first, REVIEWER, "head.bill_no"), (second, "r2", "goods[0].g_qty")):
        response = await service.client.post(
            f"/api/review/tasks/{review_id}/mark",
            json={"field_path": path, "state": "cycle"},
            headers=auth(user, version=1),
        )
        assert response.status_code == 200, response.text
    rejected = await service.client.post(
        f"/api/review/tasks/{first}/reject", json={"comment": "提运单号有误"}, headers=auth(version=2)
    )
    assert rejected.status_code == 200, rejected.text
    await service.published()  # the relay drains the outbox: the audit consumer has seen every event

    per_declaration = await service.client.get(
        "/api/review/audit", params={"declaration_id": "d1"}, headers=auth()
    )
    items = per_declaration.json()["items"]
    assert [(i["action"], i["reviewer"], i["field_path"]) for i in items] == [
        ("started", "system", None),
        ("mark", REVIEWER, "head.bill_no"),
        ("reject", REVIEWER, None),
    ]
    assert (items[1]["state_before"], items[1]["state_after"]) == ("unmarked", "ok")
    per_reviewer = await service.client.get(
        "/api/review/audit",
        params={"reviewer": "r2", "action": "mark"},
        headers=auth("m1", roles=("manager",)),
    )
    assert [i["declaration_id"] for i in per_reviewer.json()["items"]] == ["d2"]
    assert (await service.client.get("/api/review/audit", headers=auth(tenant="other"))).json()["total"] == 0
    assert (
        await service.client.get("/api/review/audit", headers=auth(PREPARER, roles=("preparer",)))
    ).status_code == 403


async def test_a_redelivered_review_event_is_audited_once(service: Service) -> None:
    await service.submit(submission("d1"))
    review_id = review_id_for("acme", "d1", 2)
    await service.client.post(
        f"/api/review/tasks/{review_id}/mark",
        json={"field_path": "head.bill_no", "state": "ok"},
        headers=auth(version=1),
    )
    (marked,) = await service.published(FieldMarked)
    await service.bus.publish(topics.REVIEW_EVENTS, marked)
    answer = await service.client.get("/api/review/audit", params={"action": "mark"}, headers=auth())
    assert answer.json()["total"] == 1


async def test_the_audit_of_a_period_is_read_in_china_time_days_and_exported(service: Service) -> None:
    await service.submit(submission("d1"))
    review_id = review_id_for("acme", "d1", 2)
    await service.client.post(
        f"/api/review/tasks/{review_id}/mark",
        json={"field_path": "head.bill_no", "state": "wrong", "comment": '=HYPERLINK("x")'},
        headers=auth(version=1),
    )
    await service.published()
    today = datetime.now(CHINA_TIME).date()
    params = {
        "reviewer": REVIEWER,
        "day_from": str(today - timedelta(days=1)),
        "day_to": str(today + timedelta(days=1)),
    }
    assert (await service.client.get("/api/review/audit", params=params, headers=auth())).json()["total"] == 1
    past = {"reviewer": REVIEWER, "day_from": "2020-01-01", "day_to": "2020-01-31"}
    assert (await service.client.get("/api/review/audit", params=past, headers=auth())).json()["total"] == 0

    exported = await service.client.get("/api/review/audit/export.xlsx", params=params, headers=auth())
    assert exported.status_code == 200
    sheet = load_workbook(io.BytesIO(exported.content), read_only=True).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:3] == ("时间（北京时间）", "审单员", "操作")
    assert [r[2] for r in rows[1:]] == ["字段标记"]
    assert rows[1][6:10] == ("head.bill_no", "未标记", "错误（红）", '=HYPERLINK("x")')  # kept as text


async def test_approving_with_red_marks_needs_an_override_reason_which_is_published_and_audited(
    service: Service,
) -> None:
    await service.submit(submission("d1"))
    review_id = review_id_for("acme", "d1", 2)
    for version, path in ((1, "head.bill_no"), (2, "goods[1].g_qty")):
        await service.client.post(
            f"/api/review/tasks/{review_id}/mark",
            json={"field_path": path, "state": "wrong"},
            headers=auth(version=version),
        )
    approve = f"/api/review/tasks/{review_id}/approve"
    refused = await service.client.post(approve, json={"comment": "ok"}, headers=auth(version=3))
    assert refused.status_code == 409
    assert refused.json()["error"]["code"] == "review.red_marks"
    assert refused.json()["error"]["fields"] == ["goods[1].g_qty", "head.bill_no"]
    blank = await service.client.post(approve, json={"override_reason": "  "}, headers=auth(version=3))
    assert blank.status_code == 409

    approved = await service.client.post(
        approve, json={"override_reason": "客户已书面确认数量"}, headers=auth(version=3)
    )
    assert approved.status_code == 200, approved.text
    assert approved.json()["override_reason"] == "客户已书面确认数量"
    (published,) = await service.published(ReviewApproved)
    assert ReviewApproved.model_validate(published.data).override_reason == "客户已书面确认数量"
    audited = await service.client.get("/api/review/audit", params={"action": "approve"}, headers=auth())
    (record,) = audited.json()["items"]
    assert (record["override_reason"], record["red_marks"]) == ("客户已书面确认数量", 2)


async def test_without_red_marks_an_override_reason_is_not_an_override(service: Service) -> None:
    await service.submit(submission("d1"))
    review_id = review_id_for("acme", "d1", 2)
    approved = await service.client.post(
        f"/api/review/tasks/{review_id}/approve", json={"override_reason": "不需要"}, headers=auth(version=1)
    )
    assert approved.status_code == 200 and approved.json()["override_reason"] is None


async def test_the_printed_review_sheet_has_the_declaration_the_marks_and_the_comments(
    service: Service, tmp_path: Path
) -> None:
    await service.submit(submission("d1"))
    review_id = review_id_for("acme", "d1", 2)
    for version, (path, state, comment) in enumerate(
        (("head.bill_no", "wrong", "提运单号与舱单不符"), ("goods[0].g_qty", "ok", None)), start=1
    ):
        marked = await service.client.post(
            f"/api/review/tasks/{review_id}/mark",
            json={"field_path": path, "state": state, "comment": comment},
            headers=auth(version=version),
        )
        assert marked.status_code == 200, marked.text
    printed = await service.client.get(
        f"/api/review/tasks/{review_id}/print.pdf", headers=auth(PREPARER, roles=("preparer",))
    )
    assert printed.status_code == 200 and printed.headers["content-type"] == "application/pdf"
    pages = pdf_pages(printed.content, tmp_path)
    assert "出口货物报关单" in pages[0] and str(document().head.bill_no) in pages[0]
    review_page = pages[-1]
    assert "审核意见单" in review_page and "提运单号与舱单不符" in review_page
    assert "错误（红）" in review_page and "正确（绿）" in review_page
    assert "提运单号head.bill_no" in review_page and REVIEWER in review_page
    assert f"页码/页数：{len(pages)}/{len(pages)}" in review_page
    other = await service.client.get(f"/api/review/tasks/{review_id}/print.pdf", headers=auth(tenant="other"))
    assert other.status_code == 404
