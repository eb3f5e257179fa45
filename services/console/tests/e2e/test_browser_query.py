"""业务数据查询 in a real browser: Debian's chromium driven by Playwright against `guanwu up --simulator`. A
person finds a declaration by a date range, opens its timeline, gets its PDF and an xlsx export, and imports a
template with a bad row, seeing the per-row error. Screenshots go to .local/artifacts/console/ (30-…)."""

from __future__ import annotations

import io
import re
from datetime import datetime, timedelta
from pathlib import Path

import httpx
import pytest
from e2e.test_browser import (
    ARTIFACTS,
    CHROMIUM,
    UNLABELLED,
    bearer_of,
    chromium,
    draft_export_declaration,
    guanwu_up,
    log_in_by_form,
    shot,
)
from import_workbooks import filled
from openpyxl import load_workbook
from playwright.sync_api import Page, expect
from watching import wait_while_moving

from guanwu.console.domain.menu import CHINA_TIME
from guanwu.customs import fixtures

pytestmark = pytest.mark.e2e


def find_by_date_range(page: Page, declaration_id: str) -> None:
    """报关数据查询 opens on the last 7 days; a range of days before the draft finds nothing, today finds it."""
    page.locator("nav.menu").get_by_role("link", name="报关数据查询", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("报关数据查询")
    today = datetime.now(CHINA_TIME).date()
    expect(page.locator("#f-updated-from")).to_have_value((today - timedelta(days=6)).isoformat())
    expect(page.locator("#f-updated-to")).to_have_value(today.isoformat())
    assert page.evaluate(UNLABELLED) == []
    page.locator("#f-updated-from").fill((today - timedelta(days=30)).isoformat())
    page.locator("#f-updated-to").fill((today - timedelta(days=10)).isoformat())
    page.get_by_role("button", name="查询", exact=True).click()
    expect(page.locator("table.grid tbody")).to_contain_text("暂无数据")
    page.locator("#f-updated-from").fill(today.isoformat())
    page.locator("#f-updated-to").fill(today.isoformat())
    page.get_by_role("button", name="查询", exact=True).click()
    row = page.locator(f'table.grid tbody tr[data-id="{declaration_id}"]')
    expect(row).to_contain_text("草稿")
    expect(page.locator("nav.pager")).to_contain_text("共 1 条")
    shot(page, "30-报关数据查询-按日期查询")


def submit_for_review(page: Page, declaration_id: str) -> None:
    """提交审核 of the ticked row through the declaration service; the outcome of each row is shown."""
    page.get_by_role("button", name="提交审核").click()
    expect(page.locator(".hint")).to_have_text("请先勾选记录后再提交审核。")  # nothing ticked yet
    page.locator(f'table.grid tbody tr[data-id="{declaration_id}"] input[type=checkbox]').check()
    page.get_by_role("button", name="提交审核").click()
    expect(page.get_by_role("status")).to_contain_text("提交审核：成功 1 票，未成功 0 票")
    expect(page.locator("table.outcomes tbody tr")).to_contain_text("当前状态：待审核")
    expect(page).to_have_url(re.compile(r"/console/query/declarations\?q=1&"))  # a reload reads the list
    shot(page, "31-报关数据查询-提交审核")


def open_the_timeline(page: Page, declaration_id: str) -> None:
    row = page.locator(f'table.grid tbody tr[data-id="{declaration_id}"]')
    row.get_by_role("link", name="动态").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("跟踪报关单动态")
    expect(page.locator(".summary .id")).to_have_text(declaration_id)
    expect(page.locator("ol.timeline li").first).to_contain_text("草稿")

    def shows_the_submission() -> bool:
        if "提交审核 · 待审核" in page.locator("ol.timeline").inner_text():
            return True
        page.reload()  # the query service may not have the submission yet
        return False

    wait_while_moving(shows_the_submission, lambda: None, "the timeline to show 提交审核")
    shot(page, "32-跟踪报关单动态")
    page.get_by_role("link", name="返回列表").click()


def print_and_export(page: Page, url: str, declaration_id: str, folder: Path) -> None:
    """Ticked, 打印报关单 points at the console's PDF (fetched with the browser's own cookies) and 列表导出 downloads
    the ticked row only."""
    page.locator(f'table.grid tbody tr[data-id="{declaration_id}"] input[type=checkbox]').check()
    printing = page.get_by_role("link", name="打印报关单")
    expect(printing).to_have_attribute("href", f"/console/query/declarations/{declaration_id}/print.pdf")
    pdf = page.request.get(f"{url}{printing.get_attribute('href')}")
    assert pdf.ok and pdf.headers["content-type"] == "application/pdf" and pdf.body().startswith(b"%PDF")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    (ARTIFACTS / "33-打印报关单.pdf").write_bytes(pdf.body())
    exporting = page.get_by_role("link", name=re.compile("列表导出"))
    expect(exporting).to_have_text("列表导出（已选 1 条）")
    shot(page, "33-报关数据查询-已勾选")
    with page.expect_download() as download:
        exporting.click()
    saved = folder / "export.xlsx"
    download.value.save_as(saved)
    rows = list(load_workbook(saved, read_only=True).worksheets[0].iter_rows(values_only=True))
    assert len(rows) == 2 and declaration_id in [str(v) for v in rows[1]]


def make_a_job_order(page: Page, declaration_id: str) -> None:
    """生成接单 for the ticked row: the form lists it and takes the client and numbers; the order links it."""
    select_all = page.get_by_label("全选本页")
    expect(select_all).to_be_checked()  # the one row of the page is still ticked
    select_all.uncheck()
    expect(page.locator(f'tr[data-id="{declaration_id}"] input[type=checkbox]')).not_to_be_checked()
    expect(page.get_by_role("link", name=re.compile("列表导出"))).to_have_text("列表导出")  # all matching
    select_all.check()
    expect(page.get_by_role("link", name=re.compile("列表导出"))).to_have_text("列表导出（已选 1 条）")
    page.get_by_role("link", name="生成接单").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("生成接单")
    expect(page.locator("table.grid tbody")).to_contain_text(declaration_id)
    expect(page.get_by_label("提运单号")).to_have_value("MAEU240716553")  # the ticked rows' one 提运单号
    page.get_by_label("委托客户").fill("宁波远帆进出口有限公司")
    page.get_by_label("运单/跟踪号").fill("SF1234567890")
    assert page.evaluate(UNLABELLED) == []
    shot(page, "36-生成接单")
    page.get_by_role("button", name="生成接单").click()
    expect(page.get_by_role("status")).to_contain_text("接单已生成")
    expect(page.locator("table.grid tbody")).to_contain_text(declaration_id)
    shot(page, "37-生成接单-已生成")
    page.get_by_role("link", name="返回报关数据查询").click()


def import_a_bad_row(page: Page, folder: Path) -> None:
    page.get_by_role("link", name="导入", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("报关单导入")
    with page.expect_download() as download:
        page.get_by_role("link", name="模板下载").click()
    template = load_workbook(io.BytesIO(Path(download.value.path()).read_bytes()))
    assert template.sheetnames[:3] == ["表头", "表体", "说明"]
    good = fixtures.export_sea_general_trade()
    bad = good.model_copy(update={"head": good.head.model_copy(update={"custom_master": "ZZZZ"})})
    filled_in = folder / "报关单导入-有错.xlsx"
    filled_in.write_bytes(filled([good, bad]))
    page.get_by_label("导入文件").set_input_files(filled_in)
    assert page.evaluate(UNLABELLED) == []
    page.get_by_role("button", name="导入", exact=True).click()
    expect(page.get_by_role("alert")).to_contain_text("未导入任何报关单")
    error_row = page.locator("table.findings tbody tr", has_text="CustomMaster")
    expect(error_row).to_contain_text("表头")
    expect(error_row.locator("td").nth(2)).to_have_text("3")  # the bad declaration's 表头 row
    shot(page, "34-报关单导入-错误明细")


@pytest.mark.skipif(not CHROMIUM.exists(), reason="no chromium: run deploy/local/chromium.sh")
def test_a_person_finds_tracks_prints_exports_and_imports(tmp_path: Path) -> None:
    with guanwu_up(tmp_path) as (url, data), chromium() as browser:
        password = (data / "demo-password").read_text().strip()
        declaration_id = draft_export_declaration(url, password)
        page = browser.new_page(
            viewport={"width": 1400, "height": 900}, locale="zh-CN", accept_downloads=True
        )
        log_in_by_form(page, url, "demo", password)
        find_by_date_range(page, declaration_id)
        submit_for_review(page, declaration_id)
        open_the_timeline(page, declaration_id)
        expect(page.locator(f'table.grid tbody tr[data-id="{declaration_id}"]')).to_be_visible()
        print_and_export(page, url, declaration_id, tmp_path)
        make_a_job_order(page, declaration_id)
        import_a_bad_row(page, tmp_path)
        summary_id = draft_two_step_summary(url, password)
        page.locator("nav.menu").get_by_role("link", name="概要申报数据查询", exact=True).click()
        expect(page.get_by_role("heading", level=1)).to_have_text("概要申报数据查询")
        row = page.locator(f'table.grid tbody tr[data-id="{summary_id}"]')
        expect(row).to_contain_text("概要申报")
        expect(page.locator("table.grid tbody tr")).to_have_count(1)
        shot(page, "35-概要申报数据查询")


def draft_two_step_summary(url: str, password: str) -> str:
    """A 概要申报 (两步申报, DecHead.Type position 3 = 5) drafted through the API, once the query service has it."""
    headers = bearer_of(url, "demo", password)
    document = fixtures.export_sea_general_trade()
    head = document.head.model_copy(update={"type": "  5"})
    body = document.model_copy(update={"head": head}).model_dump(mode="json", exclude_none=True)
    created = httpx.post(f"{url}/api/declaration/declarations", json=body, headers=headers)
    assert created.status_code == 201, created.text
    declaration_id: str = created.json()["declaration_id"]

    def projected() -> bool:
        rows = httpx.get(f"{url}/api/query/summary-declarations", headers=headers).json()["items"]
        return any(row["declaration_id"] == declaration_id for row in rows)

    wait_while_moving(projected, lambda: None, "the query service to project the 概要申报")
    return declaration_id
