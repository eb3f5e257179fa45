"""审单 in a real browser: Debian's chromium driven by Playwright against `guanwu up --simulator`. A reviewer
filters the list by status, opens 高级审核 from the toolbar and sees the template difference beside its field,
marks green and red with a comment, filters the fields by state, approves with a red mark only after giving a
覆盖理由, prints the review sheet, sends (发送) the approved declaration and watches the send settle, finds it all
in 审核留痕 and exports it; a resubmitted declaration shows its stale mark with both values.
Screenshots go to .local/artifacts/console/ (50-…)."""

from __future__ import annotations

import io
import re
import subprocess
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest
from e2e.test_browser import (
    CHROMIUM,
    UNLABELLED,
    add_user,
    bearer_of,
    chromium,
    guanwu_up,
    log_in_by_form,
    shot,
)
from openpyxl import load_workbook
from playwright.sync_api import Page, expect
from watching import wait_while_moving

from guanwu.console.domain.menu import CHINA_TIME
from guanwu.customs import fixtures
from guanwu.platform.local_users import LocalUser

pytestmark = pytest.mark.e2e

REVIEWER, REVIEWER_PASSWORD = "shenhe", "审单员 shenhe password 2026"
DECLARATIONS = "/api/declaration/declarations"


def ok(response: httpx.Response) -> dict[str, Any]:
    assert response.status_code in (200, 201, 202), response.text
    body: dict[str, Any] = response.json()
    return body


def versioned(headers: dict[str, str], version: int) -> dict[str, str]:
    return {**headers, "If-Match": f'"{version}"'}


def submitted_from_template(url: str, preparer: dict[str, str], contr_no: str, price_times: int = 1) -> str:
    """A draft made from a 单证模版 with its 合同协议号 changed (and its first line's unit price `price_times`
    the template's), submitted for review: its id."""
    document = fixtures.export_sea_general_trade().model_dump(mode="json", exclude_none=True)
    body = {"name": f"海运出口 {contr_no}", "document": document}
    template = ok(httpx.post(f"{url}/api/declaration/templates", json=body, headers=preparer))
    made = f"{url}/api/declaration/templates/{template['template_id']}/declarations"
    draft = ok(httpx.post(made, headers=preparer))
    draft["document"]["head"]["contr_no"] = contr_no
    line = draft["document"]["goods"][0]
    line["decl_price"] = str(Decimal(str(line["decl_price"])) * price_times)
    line["decl_total"] = str(Decimal(str(line["decl_price"])) * Decimal(str(line["g_qty"])))
    at = f"{url}{DECLARATIONS}/{draft['declaration_id']}"
    draft = ok(httpx.put(at, json=draft["document"], headers=versioned(preparer, draft["version"])))
    ok(httpx.post(f"{at}/submit", headers=versioned(preparer, draft["version"])))
    return str(draft["declaration_id"])


def pending_task(url: str, headers: dict[str, str], declaration_id: str) -> str:
    def found() -> str | None:
        rows = ok(httpx.get(f"{url}/api/review/tasks", params={"status": "待审核"}, headers=headers))["items"]
        return next((r["review_id"] for r in rows if r["declaration_id"] == declaration_id), None)

    review_id: str = wait_while_moving(found, lambda: None, "review to open the task")
    return review_id


def approved_history(url: str, preparer: dict[str, str], reviewer: dict[str, str], count: int) -> None:
    """`count` earlier declarations of the same consignee approved: the price history 高级审核 compares with."""
    for number in range(count):
        declaration_id = submitted_from_template(url, preparer, f"HT-EARLIER-{number}")
        review_id = pending_task(url, reviewer, declaration_id)
        task = ok(httpx.get(f"{url}/api/review/tasks/{review_id}", headers=reviewer))
        approve = f"{url}/api/review/tasks/{review_id}/approve"
        ok(httpx.post(approve, json={}, headers=versioned(reviewer, task["version"])))


def cell(page: Page, path: str) -> Any:
    return page.locator(".mark", has=page.locator(f'[data-path="{path}"]'))


def filter_and_open_advanced(page: Page, url: str, review_id: str) -> None:
    """状态筛选 of the list, then the ticked row's 高级审核 from the seed's toolbar."""
    page.locator("nav.menu").get_by_role("link", name="报关单审核", exact=True).click()
    page.get_by_role("button", name="状态筛选").click()
    page.locator("#status-filter").get_by_role("link", name="待审核").click()
    expect(page.locator("#status-filter a.current")).to_have_text("待审核")
    row = page.locator(f'table.grid tbody tr[data-id="{review_id}"]')
    expect(row).to_contain_text("待审核")
    assert page.evaluate(UNLABELLED) == []
    page.get_by_role("button", name="高级审核").click()
    expect(page.locator(".review-toolbar .hint")).to_have_text("请勾选一条审核任务。")
    row.locator("input[type=checkbox]").check()
    shot(page, "50-报关单审核-状态筛选")
    page.get_by_role("button", name="高级审核").click()
    expect(page).to_have_url(re.compile(rf"/console/review/{review_id}\?mode=advanced$"))
    panel = page.get_by_role("complementary", name="高级审核")
    expect(panel).to_contain_text("单证模版：")
    expect(panel.locator('[data-kind="template"]').first).to_contain_text("CONTRACT-CHANGED")
    expect(cell(page, "head.contr_no").locator('.anote[data-kind="template"]')).to_contain_text("模版比对")
    outlier = cell(page, "goods[0].decl_price").locator('.anote.alarm[data-kind="price_history"]')
    expect(outlier).to_have_text("单价异常")
    far = re.compile(r"远离该收发货人历史单价.*的 10(\.0+)? 倍")
    expect(outlier).to_have_attribute("title", far)  # the whole message on hover, and in the panel
    expect(panel.locator('.note-line.alarm[data-kind="price_history"]')).to_contain_text(far)
    shot(page, "51-报关单审核-高级审核")


def mark_and_filter(page: Page) -> None:
    """One field green, one red with a comment; 状态筛选 shows the red one alone."""
    trade_name, contr_no = cell(page, "head.trade_name"), cell(page, "head.contr_no")
    trade_name.locator("button").click()
    expect(trade_name).to_have_class(re.compile(r"\bok\b"))
    contr_no.locator("button").click()
    contr_no.locator("button").click()
    expect(contr_no).to_have_class(re.compile(r"\bwrong\b"))
    container = cell(page, "containers[0].container_id")  # the other blocks are marked alike
    container.locator("button").click()
    expect(container).to_have_class(re.compile(r"\bok\b"))
    page.get_by_label("合同协议号").fill("合同号与合同正本不符")
    expect(contr_no.locator(".fcomment")).to_have_text("意见：合同号与合同正本不符")
    page.get_by_label("状态筛选").select_option("wrong")
    expect(trade_name).to_be_hidden()
    expect(contr_no).to_be_visible()
    assert page.evaluate(UNLABELLED) == []
    shot(page, "52-报关单审核-标记与状态筛选")
    page.get_by_label("状态筛选").select_option("")


def approve_with_override(page: Page) -> None:
    """通过 with a red mark is refused until a 覆盖理由 is given; the reason stays on the task."""
    page.get_by_role("button", name="通过").click()
    expect(page.get_by_role("alert")).to_contain_text("覆盖理由")
    expect(page.locator("#override-reason")).to_be_visible()
    expect(page.locator("#override-reason")).to_be_focused()
    expect(cell(page, "head.contr_no")).to_have_class(re.compile(r"\bwrong\b"))  # the marks were saved first
    shot(page, "53-报关单审核-需覆盖理由")
    page.locator("#override-reason").fill("已与客户电话核实，合同号以报关单为准")
    page.get_by_role("button", name="通过").click()
    expect(page.get_by_role("status")).to_have_text("已审核通过。")
    expect(page.locator(".summary .status")).to_have_text("审核通过")
    expect(page.locator(".override-reason")).to_have_text("已与客户电话核实，合同号以报关单为准")


def print_sheet(page: Page, url: str) -> None:
    """打印 opens the review sheet: the PDF the browser gets holds the declaration's 境内收发货人."""
    link = page.get_by_role("link", name="打印")
    href = link.get_attribute("href")
    assert href and link.get_attribute("target") == "_blank"
    answer = page.context.request.get(
        f"{url}{href}"
    )  # the browser's own session: the console passes the PDF on
    assert answer.ok and answer.headers["content-type"] == "application/pdf"
    text = subprocess.run(["pdftotext", "-", "-"], input=answer.body(), capture_output=True, check=True)
    assert "宁波远帆进出口有限公司" in text.stdout.decode()


def send_and_watch(page: Page, review_id: str) -> None:
    """From the list's toolbar: 打印 opens the ticked row's sheet in a new tab, 发送 sends it; the screen shows
    the send requested, then settled by the declaration service (polled)."""
    page.locator("nav.menu").get_by_role("link", name="报关单审核", exact=True).click()
    page.locator(f'table.grid tbody tr[data-id="{review_id}"] input[type=checkbox]').check()
    with page.expect_popup() as popup:
        page.locator(".review-toolbar").get_by_role("button", name="打印").click()
    assert popup.value.url.endswith(f"/console/review/{review_id}/print.pdf")
    popup.value.close()
    shot(page, "54-报关单审核-勾选发送")
    page.locator(".review-toolbar").get_by_role("button", name="发送").click()
    expect(page).to_have_url(re.compile(rf"/console/review/{review_id}\?done=send$"))
    state = page.locator("#send-state")
    expect(state).to_be_visible()  # 发送中 while requested: often settled already when the page shows
    expect(state).to_contain_text("已发送", timeout=30_000)  # by htmx polling, no reload
    expect(state).not_to_have_attribute("hx-trigger", re.compile("."))  # polling stopped
    expect(page.get_by_role("button", name="发送")).to_have_count(0)
    shot(page, "55-报关单审核-已发送")


def audit_and_export(page: Page, declaration_id: str) -> None:
    page.locator(".review-toolbar").get_by_role("link", name="审核留痕").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("审核留痕")
    expect(page.locator("#a-declaration_id")).to_have_value(declaration_id)
    sent = page.locator('table.audit-records tr[data-action="sent"]')

    def recorded() -> bool:  # the audit follows review's events: a moment behind the screen
        if sent.count() == 1:
            return True
        page.reload()
        return False

    wait_while_moving(recorded, lambda: page.locator("table.audit-records tbody").inner_text(), "the audit")
    approved = page.locator('tr[data-action="approve"]')
    expect(approved).to_contain_text("覆盖理由：已与客户电话核实，合同号以报关单为准")
    expect(page.locator('tr[data-action="mark"]', has_text="合同协议号")).to_contain_text("红色（有误）")
    assert page.evaluate(UNLABELLED) == []
    shot(page, "56-审核留痕")
    with page.expect_download() as download:
        page.get_by_role("link", name="导出 Excel").click()
    book = load_workbook(io.BytesIO(Path(download.value.path()).read_bytes()))
    exported = [[str(v) for v in row if v is not None] for row in book.active.iter_rows(values_only=True)]
    assert any("head.contr_no" in row for row in exported[1:]), exported[:3]
    assert any(any("已与客户电话核实" in v for v in row) for row in exported[1:])
    by_reviewer(page)


def by_reviewer(page: Page) -> None:
    """Per reviewer over a period: today's actions of the reviewer, across declarations."""
    today = datetime.now(CHINA_TIME).date().isoformat()
    page.locator("#a-declaration_id").fill("")
    page.get_by_label("审单员").fill(REVIEWER)
    page.get_by_label("日期 从").fill(today)
    page.locator("#a-day_to").fill(today)
    page.get_by_role("button", name="查询", exact=True).click()
    expect(page).to_have_url(re.compile(rf"reviewer={REVIEWER}"))
    reviewers = page.locator("table.audit-records tbody tr td:nth-child(3)")
    expect(reviewers.first).to_have_text(REVIEWER)
    assert set(reviewers.all_inner_texts()) == {REVIEWER}
    approvals = page.locator('table.audit-records tr[data-action="approve"]')
    expect(approvals).to_have_count(4)  # the three earlier declarations and this one
    shot(page, "58-审核留痕-按审单员")


def stale_mark(page: Page, url: str, preparer: dict[str, str], reviewer: dict[str, str]) -> None:
    """A second declaration returned with a red mark, changed and resubmitted: the new task shows the stale
    mark with the value reviewed and the value now."""
    declaration_id = submitted_from_template(url, preparer, "HT-OLD-1")
    review_id = pending_task(url, reviewer, declaration_id)
    page.goto(f"{url}/console/review/{review_id}")
    contr_no = cell(page, "head.contr_no")
    contr_no.locator("button").click()
    contr_no.locator("button").click()
    page.get_by_label("退回原因").fill("合同号有误")
    page.get_by_role("button", name="退回").click()
    expect(page.locator(".summary .status")).to_have_text("审核退回")
    at = f"{url}{DECLARATIONS}/{declaration_id}"

    def returned() -> dict[str, Any] | None:
        current = ok(httpx.get(at, headers=preparer))
        return current if current["status"] == "审核退回" else None

    current = wait_while_moving(returned, lambda: None, "the declaration to be returned")
    current["document"]["head"]["contr_no"] = "HT-NEW-2"
    changed = ok(httpx.put(at, json=current["document"], headers=versioned(preparer, current["version"])))
    ok(httpx.post(f"{at}/submit", headers=versioned(preparer, changed["version"])))
    again = pending_task(url, reviewer, declaration_id)
    page.goto(f"{url}/console/review/{again}")
    contr_no = cell(page, "head.contr_no")
    expect(contr_no).to_have_class(re.compile(r"\bstale\b"))
    expect(contr_no.locator(".stale-note")).to_have_text("已变更：审核时 HT-OLD-1 → 现在 HT-NEW-2")
    expect(page.locator(".stale-count")).to_contain_text("已变更 1 项")
    page.get_by_label("状态筛选").select_option("stale")
    expect(cell(page, "head.trade_name")).to_be_hidden()
    shot(page, "57-报关单审核-标记已变更")
    refused_send(page, at, preparer)


def refused_send(page: Page, at: str, preparer: dict[str, str]) -> None:
    """The stale mark cleared and the task approved; the preparer declares it before the reviewer's 发送, which
    the declaration service then refuses: the screen says why."""
    page.get_by_label("状态筛选").select_option("")
    cell(page, "head.contr_no").locator("button").click()  # red → unmarked
    page.get_by_role("button", name="通过").click()
    expect(page.get_by_role("status")).to_have_text("已审核通过。")
    send = page.get_by_role("button", name="发送")

    def sendable() -> bool:  # the task learns 审核通过 from the declaration's event
        if send.count() == 1:
            return True
        page.reload()
        return False

    wait_while_moving(sendable, lambda: page.locator(".declaration-status").inner_text(), "发送 to show")
    current = ok(httpx.get(at, headers=preparer))
    assert current["status"] == "审核通过"
    ok(httpx.post(f"{at}/declare", headers=versioned(preparer, current["version"])))
    send.click()
    state = page.locator("#send-state")
    expect(state).to_contain_text("发送被拒绝：", timeout=30_000)
    expect(state).to_have_class(re.compile(r"\brefused\b"))
    shot(page, "59-报关单审核-发送被拒绝")


@pytest.mark.skipif(not CHROMIUM.exists(), reason="no chromium: run deploy/local/chromium.sh")
def test_a_reviewer_uses_advanced_review_overrides_prints_sends_and_audits(tmp_path: Path) -> None:
    with guanwu_up(tmp_path) as (url, data), chromium() as browser:
        password = (data / "demo-password").read_text().strip()
        add_user(data, LocalUser(username=REVIEWER, tenant="demo", roles=["reviewer"]), REVIEWER_PASSWORD)
        demo = bearer_of(url, "demo", password)
        ok(httpx.put(f"{url}/api/review/settings", json={"reviewers_may_send": True}, headers=demo))
        reviewer = bearer_of(url, REVIEWER, REVIEWER_PASSWORD)
        approved_history(url, demo, reviewer, 3)
        declaration_id = submitted_from_template(url, demo, "CONTRACT-CHANGED", price_times=10)
        review_id = pending_task(url, reviewer, declaration_id)
        page = browser.new_page(viewport={"width": 1500, "height": 950}, locale="zh-CN")
        log_in_by_form(page, url, REVIEWER, REVIEWER_PASSWORD)
        filter_and_open_advanced(page, url, review_id)
        mark_and_filter(page)
        approve_with_override(page)
        print_sheet(page, url)
        send_and_watch(page, review_id)
        audit_and_export(page, declaration_id)
        stale_mark(page, url, demo, reviewer)
