"""The declaration detail screen and the review screen (可视化审核): fields, tenant isolation, the marks and
decisions forwarded to the review API with the task's version and the CSRF token, its refusals in Chinese."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import httpx
import pytest
from console_system import console_system, draft, log_in
from embedded_system import bearer, eventually

from guanwu.cli.embedded import EmbeddedSystem
from guanwu.console.domain.detail import audit_action, label_of
from guanwu.platform.local_users import LocalUser

pytestmark = pytest.mark.unit


def test_labels_drop_the_wire_code_and_notes() -> None:
    assert label_of("CodeTS 商品编号 (HS 10位)", "code_ts") == "商品编号"
    assert label_of("IEFlag 进出口标志: I 进口, E 出口", "ie_flag") == "进出口标志"
    assert label_of(None, "x") == "x"


def test_audit_actions_read_in_chinese() -> None:
    assert audit_action("submit_for_review") == "提交审核"
    assert audit_action("submitted") == "提交审核"  # the review task's
    assert audit_action("submitted: 统一编号 1") == "已申报: 统一编号 1"  # the declaration's
    assert audit_action("sign_failed: 无卡") == "签名失败: 无卡"
    assert audit_action("something new") == "something new"


async def test_the_detail_shows_head_goods_status_and_audit(tmp_path: Path) -> None:
    async with console_system(tmp_path) as (system, client):
        ours = await draft(system, client, "acme", "zhang")
        await log_in(client, "zhang")
        page = await client.get(f"/console/declarations/{ours['declaration_id']}")
        assert page.status_code == 200
        text = page.text
        assert "报关单详情" in text and "境内收发货人名称" in text and "宁波远帆进出口有限公司" in text
        assert "商品名称" in text and "草稿" in text and "新建" in text  # status and audit


async def test_another_tenants_or_an_unknown_declaration_is_404_in_chinese(tmp_path: Path) -> None:
    async with console_system(tmp_path) as (system, client):
        theirs = await draft(system, client, "other", "wang")
        await log_in(client, "zhang")
        for target in (theirs["declaration_id"], "no-such-id"):
            page = await client.get(f"/console/declarations/{target}")
            assert page.status_code == 404 and "未找到" in page.text
            assert "宁波远帆" not in page.text


async def test_the_lists_link_to_the_detail(tmp_path: Path) -> None:
    async with console_system(tmp_path) as (system, client):
        ours = await draft(system, client, "acme", "zhang")
        await log_in(client, "zhang")
        link = f'href="/console/declarations/{ours["declaration_id"]}">查看</a>'

        async def listed() -> str | None:
            page = (await client.get("/console/declarations/export-declaration")).text
            return page if link in page else None

        await eventually(listed)
        assert link in (await client.get("/console/query/declarations")).text


async def submitted_task(system: EmbeddedSystem, client: httpx.AsyncClient) -> dict[str, Any]:
    """A declaration of zhang (acme) submitted for review, and its review task."""
    ours = await draft(system, client, "acme", "zhang")
    url = f"/api/declaration/declarations/{ours['declaration_id']}/submit"
    headers = {**bearer(system, "acme", ("preparer",), "zhang"), "If-Match": '"1"'}
    assert (await client.post(url, headers=headers)).status_code < 300
    reviewer = bearer(system, "acme", ("reviewer",), "li")

    async def task() -> dict[str, Any] | None:
        rows = (await client.get("/api/review/tasks", headers=reviewer)).json()["items"]
        found = [r for r in rows if r["declaration_id"] == ours["declaration_id"]]
        return found[0] if found else None

    found: dict[str, Any] = await eventually(task)
    return found


def csrf_of(html: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert found
    return found[1]


async def test_the_review_page_saves_marks_and_rejects_with_the_version(tmp_path: Path) -> None:
    async with console_system(tmp_path) as (system, client):
        task = await submitted_task(system, client)
        await log_in(client, "li")
        listed = (await client.get("/console/review/tasks")).text
        assert f'href="/console/review/{task["review_id"]}">审核</a>' in listed
        page = await client.get(f"/console/review/{task['review_id']}")
        assert page.status_code == 200
        assert 'data-path="head.trade_name"' in page.text and 'data-path="goods[0].g_qty"' in page.text
        csrf = csrf_of(page.text)
        marks = [
            {"field_path": "head.trade_name", "verdict": "wrong", "comment": "名称不符"},
            {"field_path": "goods[0].g_qty", "verdict": "ok"},
        ]
        form = {"csrf_token": csrf, "version": str(task["version"]), "marks": json.dumps(marks)}
        refused = await client.post(
            f"/console/review/{task['review_id']}/marks", data={**form, "csrf_token": "x"}
        )
        assert refused.status_code == 403
        saved = await client.post(f"/console/review/{task['review_id']}/marks", data=form)
        assert saved.status_code == 303 and saved.headers["location"].endswith("?done=marks")
        after = (await client.get(saved.headers["location"])).text
        assert (
            "标记已保存" in after and json.dumps("名称不符")[1:-1] in after
        )  # the saved marks, in Alpine's data
        api = (
            await client.get(f"/api/review/tasks/{task['review_id']}", headers=bearer(system, "acme"))
        ).json()
        assert {m["field_path"]: m["verdict"] for m in api["marks"]} == {
            "head.trade_name": "wrong",
            "goods[0].g_qty": "ok",
        }
        # The old version is stale now: the API's refusal shows in Chinese.
        stale = await client.post(f"/console/review/{task['review_id']}/approve", data=form)
        assert stale.status_code == 412 and "已被他人修改" in stale.text
        no_reason = await client.post(
            f"/console/review/{task['review_id']}/reject", data={**form, "version": str(api["version"])}
        )
        assert no_reason.status_code == 422 and "请填写退回原因" in no_reason.text
        rejected = await client.post(
            f"/console/review/{task['review_id']}/reject",
            data={**form, "version": str(api["version"]), "comment": "品名有误"},
        )
        assert rejected.status_code == 303
        done = (await client.get(rejected.headers["location"])).text
        assert "已退回制单人" in done and "审核退回" in done


async def test_reviewing_your_own_declaration_is_refused_in_chinese(tmp_path: Path) -> None:
    async with console_system(tmp_path) as (system, client):
        user = LocalUser(username="self", tenant="acme", roles=["preparer", "reviewer"])
        await system.users.add(user, "correct horse battery staple")
        ours = await draft(system, client, "acme", "self")
        url = f"/api/declaration/declarations/{ours['declaration_id']}/submit"
        headers = {**bearer(system, "acme", ("preparer",), "self"), "If-Match": '"1"'}
        assert (await client.post(url, headers=headers)).status_code < 300
        await log_in(client, "self")

        async def task() -> dict[str, Any] | None:
            rows = (await client.get("/api/review/tasks", headers=bearer(system, "acme"))).json()["items"]
            return next((r for r in rows if r["declaration_id"] == ours["declaration_id"]), None)

        found = await eventually(task)
        page = (await client.get(f"/console/review/{found['review_id']}")).text
        form = {"csrf_token": csrf_of(page), "version": str(found["version"])}
        answer = await client.post(f"/console/review/{found['review_id']}/approve", data=form)
        assert answer.status_code == 409  # the API's refusal: a reviewer's own declaration
        message = re.search(r'<p class="error" role="alert">([^<]+)</p>', answer.text)
        assert message and "审核" in message[1] and "HTTP" not in message[1], answer.text[-2000:]


async def test_approving_saves_changed_marks_first_then_approves_that_version(tmp_path: Path) -> None:
    async with console_system(tmp_path) as (system, client):
        task = await submitted_task(system, client)
        await log_in(client, "li")
        page = (await client.get(f"/console/review/{task['review_id']}")).text
        marks = [{"field_path": "head.bill_no", "verdict": "ok"}]
        form = {
            "csrf_token": csrf_of(page),
            "version": str(task["version"]),
            "marks": json.dumps(marks),
            "marks_changed": "true",
            "comment": "单证相符",
        }
        approved = await client.post(f"/console/review/{task['review_id']}/approve", data=form)
        assert approved.status_code == 303, approved.text[-1500:]
        api = (
            await client.get(f"/api/review/tasks/{task['review_id']}", headers=bearer(system, "acme"))
        ).json()
        assert api["status"] == "审核通过" and api["comment"] == "单证相符"
        assert [(m["field_path"], m["verdict"]) for m in api["marks"]] == [("head.bill_no", "ok")]
        assert [e["action"] for e in api["audit"]] == ["submitted", "marks", "approve"]
        done = (await client.get(approved.headers["location"])).text
        assert (
            "已审核通过" in done and "保存标记" not in done.split("<h2>审核记录</h2>")[0]
        )  # no buttons left


async def test_the_detail_colours_the_red_goods_cells_too(tmp_path: Path) -> None:
    """A returned declaration's red 表体 cell is coloured with its comment, as the 表头 ones are; green is not."""
    async with console_system(tmp_path) as (system, client):
        task = await submitted_task(system, client)
        await log_in(client, "li")
        page = (await client.get(f"/console/review/{task['review_id']}")).text
        marks = [
            {"field_path": "head.trade_name", "verdict": "wrong", "comment": "名称不符"},
            {"field_path": "goods[0].g_name", "verdict": "wrong", "comment": "品名与发票不符"},
            {"field_path": "goods[0].g_qty", "verdict": "ok"},
        ]
        form = {"csrf_token": csrf_of(page), "version": str(task["version"]), "marks": json.dumps(marks)}
        rejected = await client.post(
            f"/console/review/{task['review_id']}/reject", data={**form, "comment": "品名有误"}
        )
        assert rejected.status_code == 303
        preparer = bearer(system, "acme", ("preparer",), "zhang")
        url = f"/api/declaration/declarations/{task['declaration_id']}"

        async def returned() -> bool | None:
            current = (await client.get(url, headers=preparer)).json()
            return True if current["status"] == "审核退回" else None

        await eventually(returned)
        await log_in(client, "zhang")
        detail = (await client.get(f"/console/declarations/{task['declaration_id']}")).text
        goods = detail.split('<table class="grid goods">', 1)[1].split("</table>", 1)[0]
        cells = re.findall(r'<td class="mark wrong" title="审核有误：([^"]*)">', goods)
        assert cells == ["品名与发票不符"]  # the red 表体 cell alone; the green one stays plain
        assert "（审核有误：品名与发票不符）" in goods  # said to a screen reader too
        assert 'class="fcell mark wrong" role="listitem" title="审核有误：名称不符"' in detail
