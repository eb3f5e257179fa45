"""业务数据查询: 报关数据查询 and 概要申报数据查询 over the embedded system — the seed's fields with 最近操作时间 the
last 7 days, keyset pages, the PDFs and the xlsx passed on with the session's token, 申报 / 提交审核 through the
declaration service, 导入 with its per-row findings, 生成接单, 生成报关单 and 跟踪报关单动态; tenant isolation."""

from __future__ import annotations

import io
import re
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from console_system import PASSWORD, USERS, console_system, draft, hidden_csrf, log_in
from embedded_system import bearer, eventually, running_embedded
from import_workbooks import filled
from openpyxl import load_workbook

from guanwu.cli.embedded import EmbeddedSystem
from guanwu.console.domain.menu import CHINA_TIME
from guanwu.console.domain.query import (
    DECLARATIONS,
    SUMMARY,
    Pager,
    api_params,
    bonded_list_number,
    form_values,
    history_line,
    import_findings,
    page_request,
)
from guanwu.contracts.events import BondedListSynced
from guanwu.customs import fixtures
from guanwu.platform.events import envelope_for
from guanwu.platform.local_users import LocalUser

pytestmark = pytest.mark.unit

LIST = "/console/query/declarations"


def rows_of(page: str) -> list[str]:
    return re.findall(r'<tr data-id="([^"]+)"', page)


async def listed(client: httpx.AsyncClient, declaration_id: str, **params: str) -> str:
    """The list page once it shows the declaration (the projection follows the declaration's events)."""

    async def probe() -> str | None:
        page = (await client.get(LIST, params=params)).text
        return page if declaration_id in rows_of(page) else None

    page: str = await eventually(probe)
    return page


def test_the_form_defaults_to_the_last_7_china_days_and_dates_become_china_midnights() -> None:
    today = date(2026, 11, 30)
    values = form_values(DECLARATIONS, {}, today)
    assert (values["updated_from"], values["updated_to"]) == ("2026-11-24", "2026-11-30")
    params = api_params(DECLARATIONS, values)
    assert params == {
        "updated_from": "2026-11-24T00:00:00+08:00",
        "updated_to": "2026-12-01T00:00:00+08:00",  # exclusive: the whole last day
        "sort": "updated_at",
        "order": "desc",
    }
    asked = {"q": "1", "updated_from": "", "updated_to": "", "bill_no": " B1 ", "declared_to": "2026-01-31"}
    params = api_params(DECLARATIONS, form_values(DECLARATIONS, asked, today))
    assert params == {"bill_no": "B1", "declared_to": "2026-02-01T00:00:00+08:00"}  # cleared: no bound
    linked = form_values(DECLARATIONS, {"ie_flag": "E"}, today)  # a link: its field, defaults for the rest
    assert (linked["ie_flag"], linked["updated_from"], linked["bill_no"]) == ("E", "2026-11-24", "")


def test_pages_go_forward_by_cursor_and_back_by_skip_while_the_api_allows_it() -> None:
    assert page_request(3, "abc", 20) == {"cursor": "abc", "limit": 20}
    assert page_request(3, None, 20) == {"skip": 40, "limit": 20}
    assert Pager(3, 20, 100, None).previous() == 2 and Pager(1, 20, 100, "x").previous() is None
    assert Pager(502, 20, 100_000, "x").previous() == 501
    assert Pager(503, 20, 100_000, "x").previous() is None  # skip 10,020: only 首页 goes back
    assert (Pager(1, 20, 10_000, "x").total_text, Pager(1, 20, 10_000, "x").pages_text) == ("10,000", "500")
    capped = Pager(1, 20, 10_000, "x", capped=True)  # the API's total_capped: at least 10,000
    assert (capped.total_text, capped.pages_text) == ("10,000+", "500+")
    assert Pager(1, 20, 41, None).pages == 3


def test_findings_history_and_numbers_read_in_chinese() -> None:
    error = {
        "findings": [
            {"sheet": "表头", "row": 2, "column": "F", "field": "CustomMaster", "message_zh": "关区代码不存在",
             "message_en": "x", "severity": "error"},
        ]
    }  # fmt: skip
    (finding,) = import_findings(error)
    assert (finding.sheet, finding.row, finding.column, finding.field) == ("表头", 2, "F", "CustomMaster")
    assert (finding.message, finding.severity) == ("关区代码不存在", "错误")
    (named,) = import_findings({"findings": [{**error["findings"][0], "label_zh": "申报地海关"}]})
    assert named.field == "申报地海关（CustomMaster）"
    line = history_line(
        {"kind": "receipt", "at": "2026-11-30T01:00:00Z", "action": "回执", "channel": "P",
         "channel_name": "放行", "status": "放行", "previous_status": "已申报"}
    )  # fmt: skip
    assert line["at"] == "2026年11月30日 09:00" and line["receipt"] == "P 放行"
    assert line["status"] == "已申报 → 放行" and line["kind"] == "海关回执"
    assert bonded_list_number(" qd3100261i00000001 ") == {"bond_invt_no": "QD3100261I00000001"}
    assert bonded_list_number("310020261000000001") == {"seq_no": "310020261000000001"}


async def test_the_list_finds_declarations_by_the_date_range_and_never_another_tenants(
    tmp_path: Path,
) -> None:
    async with console_system(tmp_path) as (system, client):
        ours = (await draft(system, client, "acme", "zhang"))["declaration_id"]
        theirs = (await draft(system, client, "other", "wang"))["declaration_id"]
        await log_in(client, "zhang")
        page = await listed(client, ours)  # no form: the last 7 days
        today = datetime.now(CHINA_TIME).date()
        assert f'name="updated_from" type="date" value="{(today - timedelta(days=6)).isoformat()}"' in page
        assert f'name="updated_to" type="date" value="{today.isoformat()}"' in page
        assert theirs not in page
        assert f'href="/console/declarations/{ours}">查看</a>' in page
        assert f'href="/console/query/declarations/{ours}/history">动态</a>' in page
        assert "打印报关单" in page and "生成接单" in page and "申报" in page
        past = {"q": "1", "updated_from": "2020-01-01", "updated_to": "2020-01-07"}
        old = (await client.get(LIST, params=past)).text
        assert rows_of(old) == [] and "暂无数据" in old and 'value="2020-01-01"' in old
        found = await listed(
            client, ours, q="1", updated_from=today.isoformat(), updated_to=today.isoformat()
        )
        assert rows_of(found) == [ours] and "草稿" in found and "未提交" in found
        wrong = (await client.get(LIST, params={"q": "1", "bill_no": "NO-SUCH-BILL"})).text
        assert rows_of(wrong) == []
        assert (await client.get(f"{LIST}/{theirs}/history")).status_code == 404


async def test_pages_follow_the_apis_cursor(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GUANWU_CONSOLE_PAGE_SIZE", "2")
    async with console_system(tmp_path) as (system, client):
        made = [(await draft(system, client, "acme", "zhang"))["declaration_id"] for _ in range(5)]
        await log_in(client, "zhang")

        async def all_projected() -> str | None:
            page = (await client.get(LIST)).text
            return page if "共 5 条" in page else None

        await eventually(all_projected)
        seen: list[str] = []
        url: str | None = LIST
        while url:
            page = (await client.get(url)).text
            seen += rows_of(page)
            more = re.search(r'<a href="([^"]+)">下一页</a>', page)
            url = more[1].replace("&amp;", "&") if more else None
            assert "共 5 条" in page
            if url:
                assert "cursor=" in url
        assert sorted(seen) == sorted(made) and len(seen) == 5
        assert "第 3 / 3 页" in page and "上一页" in page


async def test_prints_and_exports_are_passed_on_with_the_sessions_token(tmp_path: Path) -> None:
    async with console_system(tmp_path) as (system, client):
        ours = [(await draft(system, client, "acme", "zhang"))["declaration_id"] for _ in range(3)]
        theirs = (await draft(system, client, "other", "wang"))["declaration_id"]
        await log_in(client, "li")  # a reviewer reads, prints and exports
        page = await listed(client, ours[2])
        await listed(client, ours[0])
        assert "生成接单" not in page and 'value="declare"' not in page  # no writer's buttons

        async def printed() -> httpx.Response | None:
            answer = await client.get(f"{LIST}/{ours[0]}/print.pdf")
            return answer if answer.status_code == 200 else None

        pdf = await eventually(printed)
        assert pdf.headers["content-type"] == "application/pdf" and pdf.content.startswith(b"%PDF")
        assert (await client.get(f"{LIST}/{theirs}/print.pdf")).status_code == 404
        notices = await client.get(f"{LIST}/{ours[0]}/notices.pdf")
        assert (
            notices.status_code == 404 and "通知" in notices.text
        )  # no receipt yet: said, not a broken file

        selected = await client.get(f"{LIST}/export.xlsx", params=[("ids", ours[0]), ("ids", ours[2])])
        assert selected.status_code == 200, selected.text
        assert "attachment" in selected.headers["content-disposition"]
        assert sheet_ids(selected.content) == {ours[0], ours[2]}
        foreign = await client.get(f"{LIST}/export.xlsx", params={"ids": theirs})
        assert foreign.status_code == 200 and sheet_ids(foreign.content) == set()  # another tenant's: no row
        everything = await client.get(f"{LIST}/export.xlsx")  # nothing ticked: all the criteria match
        assert sheet_ids(everything.content) == set(ours)
        assert (await client.get("/console/query/summary/export.xlsx")).status_code == 200


def sheet_ids(content: bytes) -> set[str]:
    sheet = load_workbook(io.BytesIO(content), read_only=True).worksheets[0]
    rows = list(sheet.iter_rows(values_only=True))
    column = next(i for i, name in enumerate(rows[0]) if name and "系统编号" in str(name))
    return {str(row[column]) for row in rows[1:] if row[column]}


async def test_submit_and_declare_call_the_declaration_service_and_say_what_happened(tmp_path: Path) -> None:
    async with console_system(tmp_path) as (system, client):
        first = (await draft(system, client, "acme", "zhang"))["declaration_id"]
        second = (await draft(system, client, "acme", "zhang"))["declaration_id"]
        await log_in(client, "zhang")
        page = await listed(client, second)
        await listed(client, first)
        csrf = hidden_csrf(page)
        back = "q=1&bill_no="
        empty = await client.post(
            f"{LIST}/commands", data={"csrf_token": csrf, "command": "submit", "back": back}
        )
        assert empty.status_code == 422 and "请先勾选要提交审核的报关单" in empty.text
        form = {"csrf_token": csrf, "command": "submit", "ids": [first], "back": back}
        answer = await client.post(f"{LIST}/commands", data=form)
        assert answer.status_code == 200 and "提交审核：成功 1 票，未成功 0 票" in answer.text
        assert answer.headers["HX-Push-Url"] == f"{LIST}?{back.replace('bill_no=', 'bill_no=')}"
        stored = await client.get(f"/api/declaration/declarations/{first}", headers=bearer(system, "acme"))
        assert stored.json()["status"] == "待审核"
        form = {"csrf_token": csrf, "command": "declare", "ids": [second], "back": back}
        refused = await client.post(f"{LIST}/commands", data=form)
        assert "申报：成功 0 票，未成功 1 票" in refused.text
        assert re.search(
            rf'<tr class="failed"><td>{second}</td><td>未成功</td><td class="wrap">[^<]+</td>', refused.text
        )
        forged = await client.post(f"{LIST}/commands", data={**form, "csrf_token": "forged"})
        assert forged.status_code == 403


async def test_an_import_with_a_bad_row_shows_each_finding_and_creates_nothing(tmp_path: Path) -> None:
    async with console_system(tmp_path) as (system, client):
        await log_in(client, "zhang")
        page = (await client.get(f"{LIST}/import")).text
        assert "模板下载" in page
        template = await client.get(f"{LIST}/import/template.xlsx")
        assert template.status_code == 200
        assert load_workbook(io.BytesIO(template.content)).sheetnames[:3] == ["表头", "表体", "说明"]
        good = fixtures.export_sea_general_trade()
        bad = good.model_copy(update={"head": good.head.model_copy(update={"custom_master": "ZZZZ"})})
        csrf = hidden_csrf(page)
        files = {"file": ("坏数据.xlsx", filled([good, bad]), "application/octet-stream")}
        refused = await client.post(f"{LIST}/import", data={"csrf_token": csrf}, files=files)
        assert refused.status_code == 422 and "未导入任何报关单" in refused.text
        row = re.search(r'<tr class="error-row">(.*?)</tr>', refused.text, re.S)
        assert row and "<td>表头</td>" in row[1] and '<td class="num">3</td>' in row[1]
        assert "<td>申报地海关（CustomMaster）</td>" in row[1]  # named as the template's header
        drafts = await client.get("/api/declaration/declarations?mine=false", headers=bearer(system, "acme"))
        assert drafts.json()["total"] == 0
        files = {"file": ("好数据.xlsx", filled([good]), "application/octet-stream")}
        done = await client.post(f"{LIST}/import", data={"csrf_token": csrf, "ie_flag": "E"}, files=files)
        assert done.status_code == 200 and "导入成功" in done.text
        created = re.findall(r'<a href="/console/declarations/([^"]+)">查看</a>', done.text)
        assert len(created) == 1
        again = await client.post(f"{LIST}/import", data={"csrf_token": csrf, "ie_flag": "E"}, files=files)
        assert "此前已导入，未重复生成" in again.text and created[0] in again.text


async def test_a_job_order_links_the_ticked_declarations_once(tmp_path: Path) -> None:
    async with console_system(tmp_path) as (system, client):
        ours = [(await draft(system, client, "acme", "zhang"))["declaration_id"] for _ in range(2)]
        await log_in(client, "zhang")
        await listed(client, ours[1])
        await listed(client, ours[0])
        page = (await client.get(f"{LIST}/job-order", params=[("ids", i) for i in ours])).text
        assert all(i in page for i in ours)
        order_id = re.search(r'name="job_order_id" value="([^"]+)"', page)
        assert order_id
        form = {
            "csrf_token": hidden_csrf(page), "job_order_id": order_id[1], "ids": ours,
            "client_name": "宁波远帆", "bill_no": "", "tracking_no": "SF123456", "note": "",
        }  # fmt: skip
        without_client = await client.post(f"{LIST}/job-order", data={**form, "client_name": ""})
        assert without_client.status_code == 422 and "请填写委托客户" in without_client.text
        made = await client.post(f"{LIST}/job-order", data=form)
        assert made.status_code == 200 and "接单已生成" in made.text and "SF123456" in made.text
        twice = await client.post(f"{LIST}/job-order", data=form)
        assert order_id[1] in twice.text
        orders = await client.get("/api/declaration/job-orders", headers=bearer(system, "acme"))
        assert orders.json()["total"] == 1
        theirs = (await draft(system, client, "other", "wang"))["declaration_id"]
        foreign = {**form, "job_order_id": "another-order", "ids": [ours[0], theirs]}
        refused = await client.post(f"{LIST}/job-order", data=foreign)
        assert refused.status_code == 404 and theirs in refused.text and "接单已生成" not in refused.text
        assert {d["declaration_id"] for d in orders.json()["items"][0]["declarations"]} == set(ours)


async def test_the_timeline_and_a_refused_bonded_list_number(tmp_path: Path) -> None:
    async with console_system(tmp_path) as (system, client):
        made = await draft(system, client, "acme", "zhang")
        await log_in(client, "zhang")
        page = await listed(client, made["declaration_id"])
        history = await eventually(lambda: timeline(client, made["declaration_id"]))
        assert "跟踪报关单动态" in history and "草稿" in history and "zhang" in history
        form = {"csrf_token": hidden_csrf(page), "number": "QD3100261I00000001", "back": "q=1"}
        refused = await client.post(f"{LIST}/from-bonded-list", data=form)
        assert refused.status_code in (404, 409, 422) and "生成报关单失败" in refused.text


async def timeline(client: httpx.AsyncClient, declaration_id: str) -> str | None:
    page = (await client.get(f"{LIST}/{declaration_id}/history")).text
    return page if '<ol class="timeline"' in page and "暂无动态" not in page else None


async def two_step_summary(system: EmbeddedSystem, client: httpx.AsyncClient) -> dict[str, Any]:
    document = fixtures.export_sea_general_trade()
    head = document.head.model_copy(update={"type": "  5"})
    body = document.model_copy(update={"head": head}).model_dump(mode="json", exclude_none=True)
    answer = await client.post(
        "/api/declaration/declarations", json=body, headers=bearer(system, "acme", ("preparer",), "zhang")
    )
    assert answer.status_code == 201, answer.text
    made: dict[str, Any] = answer.json()
    return made


async def test_the_summary_screen_shows_only_two_step_summaries(tmp_path: Path) -> None:
    async with console_system(tmp_path) as (system, client):
        plain = (await draft(system, client, "acme", "zhang"))["declaration_id"]
        summary = (await two_step_summary(system, client))["declaration_id"]
        await log_in(client, "zhang")
        await listed(client, plain)

        async def shown() -> str | None:
            page = (await client.get(SUMMARY.path)).text
            return page if summary in rows_of(page) else None

        page = await eventually(shown)
        assert rows_of(page) == [summary] and "概要申报" in page and "<h1>概要申报数据查询</h1>" in page
        assert 'value="submit"' in page and "生成接单" not in page


async def approved_by_review(system: EmbeddedSystem, client: httpx.AsyncClient, declaration_id: str) -> None:
    """The reviewer li approves the declaration's pending review task through the review API."""
    reviewer = bearer(system, "acme", ("reviewer",), "li")

    async def task() -> dict[str, Any] | None:
        page = await client.get("/api/review/tasks", params={"status": "待审核"}, headers=reviewer)
        found = [t for t in page.json()["items"] if t["declaration_id"] == declaration_id]
        return found[0] if found else None

    url = f"/api/review/tasks/{(await eventually(task))['review_id']}"
    version = (await client.get(url, headers=reviewer)).json()["version"]
    headers = {**reviewer, "If-Match": f'"{version}"'}
    assert (await client.post(f"{url}/approve", json={"comment": "单证相符"}, headers=headers)).is_success

    async def approved() -> bool:
        answer = await client.get(f"/api/declaration/declarations/{declaration_id}", headers=reviewer)
        return bool(answer.json()["status"] == "审核通过")

    await eventually(approved)


async def test_declared_from_the_list_it_reaches_release_with_its_notice(tmp_path: Path) -> None:
    """提交审核 and 申报 from the list; the simulator's receipts show as 放行 in the list and the timeline, and
    打印通知书 prints the 放行 notice."""
    async with running_embedded(tmp_path, ["acme", "other"], with_signer=True) as (system, client):
        for name, (tenant, roles) in USERS.items():
            await system.users.add(LocalUser(username=name, tenant=tenant, roles=roles), PASSWORD)
        declaration_id = (await draft(system, client, "acme", "zhang"))["declaration_id"]
        await log_in(client, "zhang")
        csrf = hidden_csrf(await listed(client, declaration_id))
        form = {"csrf_token": csrf, "command": "submit", "ids": [declaration_id], "back": "q=1"}
        assert "提交审核：成功 1 票" in (await client.post(f"{LIST}/commands", data=form)).text
        await approved_by_review(system, client, declaration_id)
        declared = await client.post(f"{LIST}/commands", data={**form, "command": "declare"})
        assert "申报：成功 1 票" in declared.text and "当前状态：申报中" in declared.text

        async def released() -> str | None:
            page = (await client.get(LIST, params={"q": "1", "declaration_id": declaration_id})).text
            return page if '<td class="c-status">放行</td>' in page else None

        page = await eventually(released)
        assert '<td class="c-channel">P ' in page
        history = (await client.get(f"{LIST}/{declaration_id}/history")).text
        assert "海关回执" in history and re.search(r'<span class="channel">P [^<]+</span>', history)
        notices = await client.get(f"{LIST}/{declaration_id}/notices.pdf")
        assert notices.status_code == 200 and notices.content.startswith(b"%PDF")


async def test_a_declaration_is_generated_from_a_synced_approved_bonded_list(tmp_path: Path) -> None:
    async with console_system(tmp_path) as (system, client):
        bonded = fixtures.bonded_list()
        number = "QD530126I000000077"
        head = bonded.head.model_copy(update={"seq_no": "I20260000000000077", "bond_invt_no": number})
        synced = BondedListSynced(
            seq_no="I20260000000000077",
            bond_invt_no=number,
            list_stat="0",  # 预审批通过
            sw_version=1,
            sw_updated_at=datetime.now(UTC),
            bonded_list=bonded.model_copy(update={"head": head}),
        )
        await system.runtime.bus.publish_many([envelope_for(synced, source="/guanwu/sync", tenant="acme")])
        await log_in(client, "zhang")
        csrf = hidden_csrf((await client.get(LIST)).text)
        form = {"csrf_token": csrf, "number": number.lower(), "back": "q=1"}

        async def generated() -> httpx.Response | None:
            answer = await client.post(f"{LIST}/from-bonded-list", data=form, follow_redirects=False)
            return answer if answer.status_code == 303 else None

        answer = await eventually(generated)  # once the declaration service has the synced list
        detail = await client.get(answer.headers["location"])
        assert detail.status_code == 200 and "报关单详情" in detail.text and "草稿" in detail.text
        await log_in(client, "wang")  # another tenant: not theirs to draft from
        form["csrf_token"] = hidden_csrf((await client.get(LIST)).text)
        refused = await client.post(f"{LIST}/from-bonded-list", data=form, follow_redirects=False)
        assert refused.status_code == 404 and "生成报关单失败" in refused.text and number in refused.text
