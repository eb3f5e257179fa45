"""审单 beyond the marks: 高级审核 beside the fields, the red-mark override, stale marks with both values, 打印,
发送, 状态筛选 and 审核留痕 with its export — through the console's routes in the embedded system."""

from __future__ import annotations

import asyncio
import io
import json
import re
import subprocess
from datetime import date
from pathlib import Path
from typing import Any

import httpx
import pytest
from console_system import console_system, hidden_csrf, log_in
from embedded_system import bearer, eventually
from openpyxl import load_workbook

from guanwu.cli.embedded import EmbeddedSystem
from guanwu.console.adapters import ApiRefused
from guanwu.console.domain.detail import field_label
from guanwu.console.domain.review import (
    advanced_notes,
    audit_change,
    audit_comment,
    audit_criteria,
    marks_for_page,
    send_view,
)
from guanwu.console.entrypoints.review_pages import load_screen
from guanwu.console.entrypoints.session import Session
from guanwu.customs import fixtures
from guanwu.platform.auth import Principal

pytestmark = pytest.mark.unit

DECLARATIONS = "/api/declaration/declarations"


# ── pure ──────────────────────────────────────────────────────────────────────────────────────────────────


def test_advanced_notes_group_findings_and_comparisons_by_field_alarms_first() -> None:
    answer = {
        "template": {"state": "compared", "message_zh": "已与模版「海运」比对"},
        "earlier_declarations": 4,
        "red_fields": ["head.bill_no"],
        "fields": [
            {"field_path": "head.bill_no", "findings": [], "comparisons": []},
            {
                "field_path": "goods[0].g_name",
                "findings": [{"severity": "warning", "message_zh": "品名过短"}],
            },
            {
                "field_path": "goods[0].decl_price",
                "comparisons": [
                    {
                        "kind": "price_history",
                        "differs": True,
                        "message_zh": "单价远离历史",
                        "spread": {"far_outside": True, "ratio": "4.2"},
                    }
                ],
            },
        ],
    }
    notes = advanced_notes(answer)
    assert notes.paths() == ["goods[0].decl_price", "goods[0].g_name"]  # a field with nothing is not listed
    [price] = notes.of("goods[0].decl_price")
    assert price.alarm and price.title == "历史单价" and price.message == "单价远离历史"
    assert (
        notes.of("goods[0].g_name")[0].title == "逻辑检查（提示）"
        and not notes.of("goods[0].g_name")[0].alarm
    )
    assert (notes.alarms, notes.earlier_declarations, notes.template_state) == (1, 4, "compared")


def test_send_states_read_in_chinese_and_only_requested_polls() -> None:
    assert send_view({}).state == "none" and send_view({}).may_send_again
    requested = send_view({"send": {"state": "requested", "requested_by": "li"}})
    assert requested.polling and not requested.may_send_again and "发送中" in requested.text
    declared = send_view({"send": {"state": "declared", "declaration_version": 4}})
    assert not declared.polling and "已发送" in declared.text and "版本 4" in declared.text
    refused = send_view({"send": {"state": "refused", "message_zh": "报关单已不是审核通过"}})
    assert refused.may_send_again and refused.text == "发送被拒绝：报关单已不是审核通过"


def test_audit_criteria_default_to_the_last_seven_days_unless_the_form_was_sent() -> None:
    today = date(2026, 11, 30)
    first = audit_criteria({}, today)
    assert (first["day_from"], first["day_to"]) == ("2026-11-24", "2026-11-30")
    emptied = audit_criteria({"q": "1", "day_from": "", "reviewer": " li "}, today)
    assert (emptied["day_from"], emptied["day_to"], emptied["reviewer"]) == ("", "", "li")
    one = audit_criteria({"declaration_id": "d-1", "action": "bogus", "day_to": "30/11"}, today)
    assert (one["day_from"], one["day_to"], one["action"]) == ("", "", "")


def test_audit_rows_and_field_labels_read_in_chinese() -> None:
    assert field_label("head.trade_name") == "境内收发货人名称"
    assert field_label("goods[1].g_qty").startswith("第2行 ")
    assert field_label("containers[0].container_id") == "集装箱第1行 集装箱号"
    assert field_label("free_text.voy_no") == "航次号" and field_label("bogus[0].x") == "bogus[0].x"
    assert audit_change({"state_before": "ok", "state_after": "wrong"}) == "绿色（已核对） → 红色（有误）"
    assert audit_comment({"action": "approve", "override_reason": "已电话核实", "red_marks": 1}) == (
        "覆盖理由：已电话核实；红色字段 1 项"
    )
    assert audit_comment({"action": "withdrawn", "comment": "declaration_deleted"}) == "报关单已删除"
    stale = marks_for_page(
        [{"field_path": "head.contr_no", "verdict": "wrong", "stale": True, "value": "A", "value_now": "B"}]
    )
    assert stale["head.contr_no"] | {"by": "", "at": ""} == {
        "verdict": "wrong", "comment": "", "stale": True, "was": "A", "now": "B", "by": "", "at": "",
    }  # fmt: skip


class StubApis:
    """The review API as load_screen sees it: a pending task whose 高级审核 answers 503."""

    async def get(self, service: str, path: str, token: str, params: Any = None) -> Any:
        if path.endswith("/advanced"):
            raise ApiRefused(503, "打印字体缺失")
        return {
            "review_id": "r1",
            "declaration_id": "d1",
            "status": "待审核",
            "marks": [],
            "document": {"head": {}},
        }


async def test_an_unavailable_advanced_review_leaves_the_screen_with_a_note() -> None:
    principal = Principal(user_id="li", tenant="acme", roles=frozenset({"reviewer"}))
    session = Session(token="t", principal=principal, csrf="c")
    task, document, notes, sendable = await load_screen(StubApis(), session, "r1", True)  # type: ignore[arg-type]
    assert task["review_id"] == "r1" and document == {"head": {}} and not sendable
    assert notes is not None and notes.unavailable == "高级审核暂不可用：打印字体缺失" and notes.paths() == []


# ── through the routes ────────────────────────────────────────────────────────────────────────────────────


async def ok(response: httpx.Response) -> dict[str, Any]:
    assert response.status_code in (200, 201, 202), response.text
    body: dict[str, Any] = response.json()
    return body


def versioned(headers: dict[str, str], version: int) -> dict[str, str]:
    return {**headers, "If-Match": f'"{version}"'}


async def task_of(system: EmbeddedSystem, client: httpx.AsyncClient, declaration_id: str) -> dict[str, Any]:
    """The pending review task of a declaration, once review has opened it."""
    reviewer = bearer(system, "acme", ("reviewer",), "li")

    async def pending() -> dict[str, Any] | None:
        page = await client.get("/api/review/tasks", params={"status": "待审核"}, headers=reviewer)
        return next((t for t in page.json()["items"] if t["declaration_id"] == declaration_id), None)

    found: dict[str, Any] = await eventually(pending)
    return found


async def from_template(system: EmbeddedSystem, client: httpx.AsyncClient) -> dict[str, Any]:
    """zhang's draft made from a template with its 合同协议号 changed, submitted: its review task."""
    preparer = bearer(system, "acme", ("preparer",), "zhang")
    document = fixtures.export_sea_general_trade().model_dump(mode="json", exclude_none=True)
    body = {"name": "海运出口", "document": document}
    template = await ok(await client.post("/api/declaration/templates", json=body, headers=preparer))
    made = f"/api/declaration/templates/{template['template_id']}/declarations"
    draft = await ok(await client.post(made, headers=preparer))
    draft["document"]["head"]["contr_no"] = "CHANGED-2026"
    url = f"{DECLARATIONS}/{draft['declaration_id']}"
    draft = await ok(
        await client.put(url, json=draft["document"], headers=versioned(preparer, draft["version"]))
    )
    await ok(await client.post(f"{url}/submit", headers=versioned(preparer, draft["version"])))
    return await task_of(system, client, draft["declaration_id"])


def pdf_text(content: bytes) -> str:
    return subprocess.run(
        ["pdftotext", "-", "-"], input=content, capture_output=True, check=True
    ).stdout.decode()


def form(page: str, **values: str) -> dict[str, str]:
    version = re.search(r'name="version" value="(\d+)"', page)
    assert version, "the page has no version"
    return {"csrf_token": hidden_csrf(page), "version": version[1], **values}


async def test_advanced_review_shows_the_template_difference_beside_its_field(tmp_path: Path) -> None:
    async with console_system(tmp_path) as (system, client):
        task = await from_template(system, client)
        await log_in(client, "li")
        normal = (await client.get(f"/console/review/{task['review_id']}")).text
        assert "advanced-panel" not in normal and "状态筛选" in normal
        page = await client.get(f"/console/review/{task['review_id']}?mode=advanced")
        assert page.status_code == 200
        panel = page.text.split('<aside class="advanced-panel"', 1)[1]
        assert "单证模版：" in panel and "海运出口" in panel and "CHANGED-2026" in panel
        cell = page.text.split('data-path="head.contr_no"', 1)[1].split("</div>", 1)[0]
        assert 'data-kind="template"' in cell and "模版比对" in cell  # beside the field itself


async def test_approving_with_a_red_mark_asks_for_an_override_reason_and_keeps_it(tmp_path: Path) -> None:
    async with console_system(tmp_path) as (system, client):
        task = await from_template(system, client)
        await log_in(client, "li")
        url = f"/console/review/{task['review_id']}"
        marks = json.dumps([{"field_path": "head.contr_no", "verdict": "wrong", "comment": "与合同不符"}])
        page = (await client.get(url)).text
        saved = await client.post(f"{url}/marks", data=form(page, marks=marks))
        assert saved.status_code == 303
        page = (await client.get(url)).text
        refused = await client.post(f"{url}/approve", data=form(page, marks=marks))
        assert refused.status_code == 409 and "覆盖理由" in refused.text
        assert 'id="override-reason"' in refused.text and "autofocus" in refused.text
        approved = await client.post(f"{url}/approve", data=form(page, override_reason="已与客户电话核实"))
        assert approved.status_code == 303, approved.text[-1500:]
        done = (await client.get(approved.headers["location"])).text
        assert "已审核通过" in done and 'class="override-reason">已与客户电话核实' in done
        api = await ok(
            await client.get(f"/api/review/tasks/{task['review_id']}", headers=bearer(system, "acme"))
        )
        assert api["override_reason"] == "已与客户电话核实" and api["marks"][0]["comment"] == "与合同不符"


async def test_a_resubmitted_declaration_shows_its_stale_mark_with_both_values(tmp_path: Path) -> None:
    async with console_system(tmp_path) as (system, client):
        task = await from_template(system, client)
        await log_in(client, "li")
        url = f"/console/review/{task['review_id']}"
        marks = [
            {"field_path": "head.contr_no", "verdict": "wrong", "comment": "合同号有误"},
            {"field_path": "head.bill_no", "verdict": "ok"},
        ]
        page = (await client.get(url)).text
        rejected = await client.post(
            f"{url}/reject", data=form(page, marks=json.dumps(marks), comment="合同号")
        )
        assert rejected.status_code == 303
        preparer = bearer(system, "acme", ("preparer",), "zhang")
        declaration = f"{DECLARATIONS}/{task['declaration_id']}"

        async def returned() -> dict[str, Any] | None:
            current = await ok(await client.get(declaration, headers=preparer))
            return current if current["status"] == "审核退回" else None

        current = await eventually(returned)
        await log_in(client, "zhang")  # the preparer sees the red field and its comment on the declaration
        detail = (await client.get(f"/console/declarations/{task['declaration_id']}")).text
        red = detail.split('aria-label="审核有误字段"', 1)[1].split("</section>", 1)[0]
        assert (
            "合同协议号" in red and "合同号有误" in red and "提运单号" not in red
        )  # the green one is not listed
        assert 'class="fcell mark wrong" role="listitem" title="审核有误：合同号有误"' in detail
        await log_in(client, "li")
        current["document"]["head"]["contr_no"] = "HT-2026-0001"
        changed = await ok(
            await client.put(
                declaration, json=current["document"], headers=versioned(preparer, current["version"])
            )
        )
        await ok(await client.post(f"{declaration}/submit", headers=versioned(preparer, changed["version"])))
        again = await task_of(system, client, task["declaration_id"])
        assert again["review_id"] != task["review_id"]
        page = (await client.get(f"/console/review/{again['review_id']}")).text
        data = json.loads(re.search(r"marks: (\{.*?\}),\n", page)[1])  # type: ignore[index]
        assert data["head.contr_no"] | {"by": "", "at": ""} == {
            "verdict": "wrong", "comment": "合同号有误", "stale": True, "was": "CHANGED-2026",
            "now": "HT-2026-0001", "by": "", "at": "",
        }  # fmt: skip
        assert data["head.bill_no"]["verdict"] == "ok" and not data["head.bill_no"]["stale"]
        assert "stale-note" in page and "上次审核" in page


async def test_print_passes_the_review_sheet_on_and_the_audit_exports(tmp_path: Path) -> None:
    async with console_system(tmp_path) as (system, client):
        task = await from_template(system, client)
        await log_in(client, "li")
        url = f"/console/review/{task['review_id']}"
        page = (await client.get(url)).text
        for path in (
            "containers[1].container_id",
            "licenses[0].cert_code",
            "edocs[0].edoc_code",
            "free_text.voy_no",
        ):
            assert f'data-path="{path}"' in page  # every block of the document is there to mark
        marks = json.dumps(
            [
                {"field_path": "head.bill_no", "verdict": "ok", "comment": "提单已核"},
                {"field_path": "containers[1].container_id", "verdict": "ok"},
            ]
        )
        assert (await client.post(f"{url}/marks", data=form(page, marks=marks))).status_code == 303
        sheet = await client.get(f"{url}/print.pdf")
        assert sheet.status_code == 200 and sheet.headers["content-type"] == "application/pdf"
        assert "宁波远帆进出口有限公司" in await asyncio.to_thread(pdf_text, sheet.content)

        def audit_rows() -> Any:
            return client.get("/console/review/audit", params={"declaration_id": task["declaration_id"]})

        async def marked() -> str | None:
            text = (await audit_rows()).text
            return text if 'data-action="mark"' in text else None

        listed = await eventually(marked)
        assert "提运单号" in listed and "未标记 → 绿色（已核对）" in listed and "提单已核" in listed
        assert "集装箱第2行 集装箱号" in listed
        export = await client.get(
            "/console/review/audit/export.xlsx", params={"declaration_id": task["declaration_id"]}
        )
        assert export.status_code == 200 and "spreadsheetml" in export.headers["content-type"]
        sheet_rows = list(load_workbook(io.BytesIO(export.content)).active.iter_rows(values_only=True))
        assert any("head.bill_no" in [str(v) for v in row] for row in sheet_rows[1:]), sheet_rows[:3]


async def test_the_list_offers_the_seeds_toolbar_and_a_status_filter(tmp_path: Path) -> None:
    async with console_system(tmp_path) as (system, client):
        task = await from_template(system, client)
        await log_in(client, "li")
        listed = (await client.get("/console/review/tasks")).text
        for button in ("可视化审核", "普通审核", "高级审核", "状态筛选", "打印", "发送"):
            assert f">{button}</button>" in listed
        assert f'data-id="{task["review_id"]}"' in listed
        # The API's default period (the last 7 days, China time) shows in the form's 最近操作时间 boxes.
        answer = (
            await client.get("/api/review/tasks", headers=bearer(system, "acme", ("reviewer",), "li"))
        ).json()
        for bound in ("updated_from", "updated_to"):
            assert re.search(f'name="{bound}" type="date" +value="{answer[bound]}"', listed), bound
        approved_only = (await client.get("/console/review/tasks", params={"status": "审核通过"})).text
        assert f'data-id="{task["review_id"]}"' not in approved_only
        assert 'class="current" aria-current="true">审核通过</a>' in approved_only
        zhang = await log_in(client, "zhang")
        assert zhang.status_code == 303
        assert (await client.get("/console/review/audit")).status_code == 403  # a preparer: not their menu


async def test_send_shows_for_a_reviewer_when_allowed_and_its_state_settles(tmp_path: Path) -> None:
    async with console_system(tmp_path) as (system, client):
        task = await from_template(system, client)
        await log_in(client, "li")
        url = f"/console/review/{task['review_id']}"
        page = (await client.get(url)).text
        approved = await client.post(f"{url}/approve", data=form(page))
        assert approved.status_code == 303
        send_button = '<button type="submit" class="primary">发送</button>'
        assert send_button not in (await client.get(url)).text  # the tenant does not let reviewers send yet
        boss = bearer(system, "acme", ("manager",), "boss")
        await ok(await client.put("/api/review/settings", json={"reviewers_may_send": True}, headers=boss))

        async def sendable() -> str | None:  # the task learns 审核通过 from the declaration's event
            text = (await client.get(url)).text
            return text if send_button in text else None

        page = await eventually(sendable)
        sent = await client.post(f"{url}/send", data={"csrf_token": hidden_csrf(page)})
        assert sent.status_code == 303 and sent.headers["location"].endswith("?done=send")
        assert "已提交发送请求" in (await client.get(sent.headers["location"])).text

        async def settled() -> str | None:
            fragment = (await client.get(f"{url}/send-state")).text
            assert fragment.lstrip().startswith('<section id="send-state"')  # the fragment alone
            return fragment if "hx-trigger" not in fragment else None

        fragment = await eventually(settled)
        assert "已发送：申报服务已受理" in fragment, fragment
        assert send_button not in (await client.get(url)).text


async def test_a_send_the_declaration_service_refuses_shows_its_reason(tmp_path: Path) -> None:
    async with console_system(tmp_path) as (system, client):
        task = await from_template(system, client)
        boss = bearer(system, "acme", ("manager",), "boss")
        await ok(await client.put("/api/review/settings", json={"reviewers_may_send": True}, headers=boss))
        await log_in(client, "li")
        url = f"/console/review/{task['review_id']}"
        assert (
            await client.post(f"{url}/approve", data=form((await client.get(url)).text))
        ).status_code == 303
        preparer = bearer(system, "acme", ("preparer",), "zhang")
        declaration = f"{DECLARATIONS}/{task['declaration_id']}"

        async def approved() -> dict[str, Any] | None:
            current = await ok(await client.get(declaration, headers=preparer))
            return current if current["status"] == "审核通过" else None

        current = await eventually(approved)  # the preparer declares it first: 发送 comes too late
        await ok(await client.post(f"{declaration}/declare", headers=versioned(preparer, current["version"])))
        page = (await client.get(url)).text
        sent = await client.post(f"{url}/send", data={"csrf_token": hidden_csrf(page)})
        assert sent.status_code == 303

        async def settled() -> str | None:
            fragment = (await client.get(f"{url}/send-state")).text
            return fragment if "hx-trigger" not in fragment else None

        fragment = await eventually(settled)
        assert 'class="send-state refused"' in fragment and "发送被拒绝：" in fragment, fragment
        assert "申报服务未说明原因" not in fragment  # the declaration service's own reason
