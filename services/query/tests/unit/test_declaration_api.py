"""The declaration list's HTTP API beyond the original filters: the new criteria as query parameters, keyset
paging through next_cursor, 跟踪报关单动态 fed through the bus (a receipt before its declaration), 概要申报 with
its default window, and tenant isolation on every declaration endpoint."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from query_harness import URL, Service, at
from service_http import bearer

from guanwu.contracts.declaration import DeclarationDocument
from guanwu.contracts.events import DeclarationDrafted, DeclarationStatusChanged, ReceiptReceived

SUMMARY_URL = "/api/query/summary-declarations"


def drafted(declaration_id: str, *, decl_type: str | None = None, **head: Any) -> DeclarationDrafted:
    document = DeclarationDocument.model_validate(
        {
            "head": {"ie_flag": "E", "type": decl_type, "trade_code": "6101940001", **head},
            "goods": [{"g_no": 1, "code_ts": "8471300000", "g_name": "笔记本电脑 X1"}],
        }
    )
    return DeclarationDrafted(
        declaration_id=declaration_id,
        version=1,
        ie_flag="E",
        status="草稿",
        trade_name=head.get("trade_name"),
        seq_no=head.get("seq_no"),
        document=document,
    )


async def page(service: Service, url: str = URL, tenant: str = "acme", **params: Any) -> dict[str, Any]:
    response = await service.client.get(url, params=params, headers=bearer(tenant=tenant))
    assert response.status_code == 200, response.text
    return dict(response.json())


async def test_new_criteria_are_query_parameters(service: Service) -> None:
    await service.deliver(
        service.envelope(drafted("d1", trade_name="西安 Acme 贸易有限公司", trade_mode="0110"), time=at(1)),
        service.envelope(
            drafted("d2", trade_name="宁波保税区进出口有限公司", agent_code="6101940001"), time=at(2)
        ),
    )
    ids = lambda p: [r["declaration_id"] for r in p["items"]]  # noqa: E731
    assert ids(await page(service, trade_name="acme贸易")) == ["d1"]
    assert ids(await page(service, goods_name="电脑 x1")) == ["d2", "d1"]
    assert ids(await page(service, hs_code="8471300000", trade_mode="0110")) == ["d1"]
    assert ids(await page(service, enterprise_category="2")) == ["d2"]
    assert ids(await page(service, review_status="未提交", sort="updated_at", order="asc")) == ["d1", "d2"]
    assert ids(await page(service, updated_from=at(2).isoformat())) == ["d2"]
    beijing = (at(2) + timedelta(hours=8)).replace(tzinfo=None).isoformat()  # no offset: Beijing time
    assert ids(await page(service, updated_to=beijing)) == ["d1"]
    row = (await page(service, declaration_id="d1"))["items"][0]
    assert (row["review_status"], row["hs_codes"], row["enterprise_categories"]) == (
        "未提交",
        ["8471300000"],
        ["1"],
    )
    assert "inputs" not in row and "trade_name_tokens" not in row and "sort_updated" not in row


async def test_keyset_pages_and_refused_cursors(service: Service) -> None:
    await service.deliver(*(service.envelope(drafted(f"d{n}"), time=at(n % 3)) for n in range(7)))
    seen: list[str] = []
    params: dict[str, Any] = {"limit": 3, "sort": "updated_at", "order": "asc"}
    while True:
        answer = await page(service, **params)
        assert answer["total"] == 7
        seen += [r["declaration_id"] for r in answer["items"]]
        if answer["next_cursor"] is None:
            break
        params["cursor"] = answer["next_cursor"]
    assert seen == ["d0", "d3", "d6", "d1", "d4", "d2", "d5"]  # by time, ties by id

    first = await page(service, limit=2)
    other_order = await service.client.get(
        URL, params={"cursor": first["next_cursor"], "order": "asc"}, headers=bearer()
    )
    garbage = await service.client.get(URL, params={"cursor": "not-a-cursor"}, headers=bearer())
    for refused in (other_order, garbage):
        assert refused.status_code == 422, refused.text
        assert refused.json()["error"]["code"] == "query.invalid_cursor"


async def test_the_timeline_gathers_events_and_a_receipt_that_came_first(service: Service) -> None:
    seq = "E20260000000000007"
    await service.deliver_sync(
        ReceiptReceived(receipt_id="r1", channel="C", seq_no=seq, note="查验", notice_date=at(5))
    )
    await service.deliver(service.envelope(drafted("d1", seq_no=seq), time=at(1)))
    changed = DeclarationStatusChanged(
        declaration_id="d1", version=2, ie_flag="E", status="查验", previous_status="已申报", cause="回执 r1"
    )
    await service.deliver(service.envelope(changed, time=at(6)))

    response = await service.client.get(f"{URL}/d1/history", headers=bearer())
    assert response.status_code == 200, response.text
    assert [(e["kind"], e["action"], e.get("channel")) for e in response.json()] == [
        ("event", "新建", None),
        ("receipt", "回执", "C"),
        ("event", "状态变更", None),
    ]
    row = await service.row("d1")
    assert (row["channel"], row["channel_name"], row["status"]) == ("C", "查验通知", "查验")
    assert (await page(service, channel="C"))["total"] == 1


async def test_summary_declarations_default_to_the_last_seven_days(service: Service) -> None:
    now = datetime.now(UTC)
    await service.deliver(
        service.envelope(drafted("recent", decl_type="  5"), time=now - timedelta(days=2)),
        service.envelope(drafted("old", decl_type="  5"), time=now - timedelta(days=9)),
        service.envelope(drafted("complete", decl_type="  6"), time=now),
        service.envelope(drafted("plain"), time=now),
    )
    assert [r["declaration_id"] for r in (await page(service, SUMMARY_URL))["items"]] == ["recent"]
    since = (now - timedelta(days=30)).isoformat()
    assert [r["declaration_id"] for r in (await page(service, SUMMARY_URL, updated_from=since))["items"]] == [
        "recent",
        "old",
    ]
    assert [r["declaration_id"] for r in (await page(service, two_step="6"))["items"]] == ["complete"]


async def test_every_declaration_endpoint_keeps_tenants_apart(service: Service) -> None:
    await service.deliver(service.envelope(drafted("d1", decl_type="  5"), time=datetime.now(UTC)))
    other = bearer(tenant="globex")
    for url in (URL, SUMMARY_URL):
        mine = await page(service, url)
        theirs = await service.client.get(url, headers=other)
        assert (mine["total"], theirs.json()["total"], theirs.json()["items"]) == (1, 0, [])
    for url in (f"{URL}/d1", f"{URL}/d1/history"):
        assert (await service.client.get(url, headers=bearer())).status_code == 200
        hidden = await service.client.get(url, headers=other)
        assert (hidden.status_code, hidden.json()["error"]["code"]) == (404, "query.not_found")
