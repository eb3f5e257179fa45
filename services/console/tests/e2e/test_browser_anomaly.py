"""异常状态登记 in a real browser: Debian's chromium driven by Playwright against `guanwu up --simulator`. A 删单
receipt from the simulator appears in 报关单异常 by itself; a person registers one by hand (the missing 报关单号 is
named at its field first), edits it, changes its status to 已处理, attaches a PDF and downloads it again, sees
统计分析 count both in its SVG charts, and deletes the two at once. Screenshots go to .local/artifacts/console/
(60-…)."""

from __future__ import annotations

import re
from datetime import datetime
from pathlib import Path

import httpx
import pytest
from e2e.test_browser import CHROMIUM, UNLABELLED, chromium, guanwu_up, log_in_by_form, shot
from playwright.sync_api import Locator, Page, expect
from watching import wait_while_moving

from guanwu.console.domain.menu import CHINA_TIME

pytestmark = pytest.mark.e2e

DELETED_ENTRY = "610120260000077001"
OUR_ENTRY = "610120260000077002"
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def row(page: Page, number: str) -> Locator:
    return page.locator("table.anomalies tbody tr", has_text=number)


def open_menu(page: Page, title: str) -> None:
    page.locator("nav.menu").get_by_role("link", name=title, exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(title)
    assert page.evaluate(UNLABELLED) == [], title


def the_delete_receipt_shows(page: Page, url: str) -> None:
    """The simulator's 删单 receipt reaches sync, which the anomaly service registers (登记人 系统)."""
    receipt = {"enterprise": "demo", "entry_id": DELETED_ENTRY, "channel": "D", "note": "海关删单"}
    assert httpx.post(f"{url}/sim/receipts", json=receipt).status_code == 201
    open_menu(page, "报关单异常")

    def shown() -> bool:
        if row(page, DELETED_ENTRY).count():
            return True
        page.reload()
        return False

    wait_while_moving(shown, lambda: None, "the 删单 receipt's record in 报关单异常")
    expect(row(page, DELETED_ENTRY)).to_contain_text("删单")
    expect(row(page, DELETED_ENTRY)).to_contain_text("系统自动登记")
    expect(row(page, DELETED_ENTRY).locator("td.c-handling_status")).to_have_text("未处理")


def register_by_hand(page: Page) -> None:
    page.get_by_role("link", name="新增", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("异常登记")
    assert page.evaluate(UNLABELLED) == []
    page.get_by_label("境内收发货人").fill("西安远帆贸易有限公司")
    page.get_by_label("进出口").select_option("E")
    page.get_by_label("异常类型").select_option("查验")
    page.get_by_label("责任人").fill("张三")
    page.get_by_label("异常原因").fill("海关布控查验")
    page.get_by_role("button", name="确定").click()
    number = page.locator('[data-field="document_no"]')
    expect(number.locator(".field-error")).to_have_text("请填写报关单号")
    expect(page.get_by_label("报关单号")).to_have_attribute("aria-invalid", "true")
    expect(page.get_by_label("境内收发货人")).to_have_value("西安远帆贸易有限公司")  # the input is kept
    shot(page, "61-异常登记-必填项提示")
    page.get_by_label("报关单号").fill(OUR_ENTRY)
    page.get_by_role("button", name="确定").click()
    expect(page.get_by_role("status")).to_have_text("异常登记已保存。")
    expect(page).to_have_url(
        re.compile(r"/console/anomalies/declaration\?done=created$")
    )  # a reload posts nothing
    expect(row(page, OUR_ENTRY)).to_contain_text("西安远帆贸易有限公司")
    expect(row(page, OUR_ENTRY)).to_contain_text("查验")
    shot(page, "60-报关单异常-列表")


def edit_and_close(page: Page) -> None:
    """编辑 of the ticked row (异常类型 查验 → 退单), then 变更状态 to 已处理 with today's 完成日期."""
    page.get_by_role("link", name="编辑", exact=True).first.click()
    expect(page.locator(".hint")).to_have_text("请勾选一条记录后再编辑。")  # nothing ticked yet
    row(page, OUR_ENTRY).locator("input[type=checkbox]").check()
    page.locator(".toolbar").get_by_role("link", name="编辑", exact=True).click()
    expect(page.get_by_label("报关单号")).to_have_value(OUR_ENTRY)
    page.get_by_label("异常类型").select_option("退单")
    page.get_by_label("责任岗位").fill("单证岗")
    page.get_by_role("button", name="确定").click()
    expect(page.get_by_role("status")).to_have_text("修改已保存。")
    expect(row(page, OUR_ENTRY)).to_contain_text("退单")
    row(page, OUR_ENTRY).locator("input[type=checkbox]").check()
    page.locator(".toolbar").get_by_role("link", name="变更状态").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("变更状态")
    assert page.evaluate(UNLABELLED) == []
    page.get_by_label("变更为").select_option("已处理")
    today = datetime.now(CHINA_TIME).date()
    expect(page.get_by_label("完成日期")).to_have_value(today.isoformat())
    shot(page, "63-变更状态")
    page.get_by_role("button", name="确定").click()
    expect(page.get_by_role("status")).to_have_text("处理状态已变更。")
    expect(row(page, OUR_ENTRY).locator("td.c-handling_status")).to_have_text("已处理")
    expect(row(page, OUR_ENTRY).locator("td.c-completed_on")).to_have_text(today.strftime("%Y年%m月%d日"))


def attach_and_download(page: Page, folder: Path) -> None:
    row(page, OUR_ENTRY).get_by_role("link", name="编辑").click()
    expect(page.get_by_role("heading", name=re.compile("附件"))).to_have_text("附件（0）")
    expect(page.locator("table.history")).to_contain_text("异常类型：查验 → 退单")
    program = folder / "setup.exe"
    program.write_bytes(b"MZ\x90\x00" + bytes(200))
    page.get_by_label("上传附件").set_input_files(program)
    page.get_by_role("button", name="上传", exact=True).click()
    expect(page.locator('#attachments [role="alert"]')).to_contain_text("附件未上传：不允许的附件类型")
    expect(page.get_by_role("heading", name=re.compile("附件"))).to_have_text("附件（0）")
    shot(page, "69-异常登记-附件被拒")
    notice = folder / "查验通知书.pdf"
    notice.write_bytes(PDF)
    page.get_by_label("上传附件").set_input_files(notice)
    page.get_by_role("button", name="上传", exact=True).click()
    expect(page.get_by_role("heading", name=re.compile("附件"))).to_have_text("附件（1）")
    attachment = page.locator("table.attachments tbody tr", has_text="查验通知书.pdf")
    expect(attachment).to_contain_text("PDF")
    assert page.evaluate(UNLABELLED) == []
    shot(page, "62-异常登记-编辑与附件")
    with page.expect_download() as download:
        attachment.get_by_role("link", name="下载").click()
    assert download.value.suggested_filename == "查验通知书.pdf"
    assert Path(download.value.path()).read_bytes() == PDF
    page.get_by_role("link", name="返回报关单异常").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("报关单异常")


def statistics_count_both(page: Page) -> None:
    open_menu(page, "统计分析")

    def counted() -> bool:
        if page.locator(".totals .total").inner_text() == "2":
            return True
        page.reload()
        return False

    wait_while_moving(counted, lambda: None, "统计分析 to count both records")
    by_type = page.locator('svg[data-chart="按异常类型"]')
    expect(by_type).to_have_attribute("role", "img")
    for label, count in (("删单", "1"), ("退单", "1"), ("查验", "0")):
        expect(by_type.locator(f'g.bar[data-label="{label}"]')).to_have_attribute("data-count", count)
    by_status = page.locator('svg[data-chart="按处理状态"]')
    for label, count in (("未处理", "1"), ("已处理", "1")):
        expect(by_status.locator(f'g.bar[data-label="{label}"]')).to_have_attribute("data-count", count)
    month = datetime.now(CHINA_TIME).strftime("%Y年%m月")
    trend = page.locator('svg[data-chart="月度趋势"]')
    expect(trend.locator(f'g.bar[data-label="{month}"][data-series="count"]')).to_have_attribute(
        "data-count", "2"
    )
    expect(trend.locator(f'g.bar[data-label="{month}"][data-series="open"]')).to_have_attribute(
        "data-count", "1"
    )
    wide = page.locator('svg[data-chart="按异常类型"] g.bar[data-label="退单"] rect').get_attribute("width")
    assert wide and float(wide) > 0
    expect(page.locator(".totals .open")).to_have_text("1")
    shot(page, "64-统计分析")


def delete_both(page: Page) -> None:
    open_menu(page, "报关单异常")
    page.get_by_role("button", name="删除").click()
    expect(page.locator(".hint")).to_have_text("请先勾选记录后再删除。")
    page.get_by_label("全选本页").check()
    page.get_by_role("button", name="删除").click()
    confirm = page.get_by_role("alertdialog")
    expect(confirm).to_contain_text("选中的 2 条异常记录")
    expect(page.get_by_label("删除原因")).to_be_focused()
    page.get_by_label("删除原因").fill("演示数据，已核实无需保留")
    shot(page, "65-报关单异常-确认删除")
    page.get_by_role("button", name="确定删除").click()
    expect(page.get_by_role("status")).to_have_text("删除：成功 2 条，未成功 0 条。")
    expect(page.locator("table.anomalies tbody")).to_contain_text("暂无数据")
    shot(page, "66-报关单异常-已删除")


def bonded_list_form(page: Page) -> None:
    open_menu(page, "核注清单异常")
    shot(page, "67-核注清单异常-列表")
    page.get_by_role("link", name="新增", exact=True).click()
    expect(page.get_by_label("核注清单编号")).to_be_visible()
    page.get_by_label("核注清单编号").fill("QD6101")  # not a whole 清单编号
    page.get_by_label("异常类型").select_option("退单")
    page.get_by_role("button", name="确定").click()
    message = page.locator('[data-field="document_no"] .field-error')
    expect(message).to_be_visible()
    expect(page.get_by_role("alert")).to_contain_text("请按提示修改后再保存")
    shot(page, "68-核注清单异常-编号有误")


@pytest.mark.skipif(not CHROMIUM.exists(), reason="no chromium: run deploy/local/chromium.sh")
def test_a_person_registers_handles_documents_counts_and_deletes_anomalies(tmp_path: Path) -> None:
    with guanwu_up(tmp_path) as (url, data), chromium() as browser:
        password = (data / "demo-password").read_text().strip()
        page = browser.new_page(
            viewport={"width": 1400, "height": 900}, locale="zh-CN", accept_downloads=True
        )
        log_in_by_form(page, url, "demo", password)
        the_delete_receipt_shows(page, url)
        register_by_hand(page)
        edit_and_close(page)
        attach_and_download(page, tmp_path)
        statistics_count_both(page)
        delete_both(page)
        bonded_list_form(page)
