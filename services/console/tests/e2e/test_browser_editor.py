"""报关单制单 in a real browser: Debian's chromium driven by Playwright against `guanwu up --simulator`. A
preparer saves a draft as a 单证模版, loses no edit to a second tab's save (412: 合并), types a new declaration
with three goods lines through the searchable selects (copy, move, delete a line), applies the template, sees
a finding at its field after 暂存, fixes it and 提交审核; the transit block follows 南方/北方模式. Screenshots
go to .local/artifacts/console/ (40-…)."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from e2e.test_browser import (
    CHROMIUM,
    UNLABELLED,
    bearer_of,
    chromium,
    draft_export_declaration,
    guanwu_up,
    log_in_by_form,
)
from e2e.test_browser import shot as full_shot
from playwright.sync_api import BrowserContext, Page, expect

pytestmark = pytest.mark.e2e

TEMPLATE = "远帆出口模版"


def shot(page: Page, name: str) -> None:
    """The whole page from its top: the sticky toolbar at the top, not over the middle of the page."""
    page.evaluate("window.scrollTo(0, 0)")
    full_shot(page, name)


def field(page: Page, path: str) -> str:
    return "#f-" + path.replace(".", "-")


def pick(page: Page, path: str, typed: str, option: str) -> None:
    """A searchable select: type part of a code or name, choose the option the server found."""
    box = page.locator(field(page, path))
    box.fill(typed)
    choice = box.locator("xpath=..").get_by_role("option", name=option)
    choice.click()
    expect(box).to_have_value(option)


def save_the_draft_as_a_template(page: Page, declaration_id: str) -> None:
    page.locator("nav.menu").get_by_role("link", name="出口报关单", exact=True).click()
    page.locator("table.grid tbody tr", has_text=declaration_id).get_by_role("link", name="查看").click()
    page.get_by_role("link", name="编辑").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("编辑出口报关单")
    expect(page.locator(field(page, "head.trade_country"))).to_have_value("USA 美国")  # code + name
    expect(page.locator(".goods-lines tbody tr.selected")).to_contain_text("男式表演服")
    assert page.evaluate(UNLABELLED) == []
    shot(page, "40-编辑报关单")
    page.get_by_label("模版名称").fill(TEMPLATE)
    page.get_by_role("button", name="保存为模版").click()
    expect(page.get_by_role("status")).to_have_text(f"已保存为单证模版「{TEMPLATE}」。")
    expect(page.locator("#template-id")).to_contain_text(TEMPLATE)
    shot(page, "41-单证模版-已保存")


def a_second_tab_saves_first(context: BrowserContext, page: Page, url: str, declaration_id: str) -> None:
    """Both tabs edit version 1; the second saves; the first's 暂存 is refused (412) with its edit kept (覆盖 is
    offered); 合并 takes the other tab's change beside the user's, and 暂存 saves both."""
    edit = f"{url}/console/declarations/{declaration_id}/edit"
    page.goto(edit)
    other = context.new_page()
    other.goto(edit)
    other.locator(field(other, "head.note_s")).fill("另一窗口的备注")
    other.get_by_role("button", name="暂存").click()
    expect(other.get_by_role("status")).to_contain_text("已暂存（版本 2）")
    other.close()
    page.locator(field(page, "head.bill_no")).fill("MYBILL0001")
    expect(page.locator(".unsaved")).to_be_visible()
    page.get_by_role("button", name="暂存").click()
    conflict = page.locator(".conflict")
    expect(conflict).to_contain_text("此报关单已被他人修改")
    expect(conflict.locator("table.changes")).to_contain_text("另一窗口的备注")
    expect(page.locator(field(page, "head.bill_no"))).to_have_value("MYBILL0001")  # nothing lost
    expect(page.get_by_role("button", name="用我的修改覆盖（保存为版本 3）")).to_be_visible()
    shot(page, "46-版本冲突-修改仍在")
    page.get_by_role("button", name="合并他人修改（不保存，核对后暂存）").click()
    expect(page.get_by_role("status")).to_contain_text("已合并他人修改的 1 项（备注）")
    expect(page.locator(field(page, "head.note_s"))).to_have_value("另一窗口的备注")
    expect(page.locator(field(page, "head.bill_no"))).to_have_value("MYBILL0001")
    page.get_by_role("button", name="暂存").click()
    expect(page.get_by_role("status")).to_contain_text("已暂存（版本 3）")
    expect(page.locator(field(page, "head.bill_no"))).to_have_value("MYBILL0001")
    expect(page.locator(field(page, "head.note_s"))).to_have_value("另一窗口的备注")
    shot(page, "47-版本冲突-合并后暂存")


def type_the_first_line(page: Page) -> None:
    page.get_by_role("button", name="新增商品").click()
    expect(page.locator(field(page, "goods.code_ts"))).to_be_focused()
    page.locator(field(page, "goods.code_ts")).fill("6211339000")  # not in the sample tariff: kept as typed
    page.locator(field(page, "goods.g_name")).click()
    expect(page.locator(field(page, "goods.code_ts"))).to_have_value("6211339000")
    page.locator(field(page, "goods.g_name")).fill("男式表演服")
    page.locator(field(page, "goods.g_model")).fill("0|2|机织|表演服|男式|100%涤纶|无品牌|YF2024-01")
    for name, value in (("g_qty", "6264"), ("first_qty", "6264"), ("second_qty", "1044")):
        page.locator(field(page, f"goods.{name}")).fill(value)
    pick(page, "goods.g_unit", "011", "011 件")
    pick(page, "goods.first_unit", "件", "011 件")
    pick(page, "goods.second_unit", "千克", "035 千克")
    page.locator(field(page, "goods.decl_price")).fill("2.5")
    page.locator(field(page, "goods.decl_total")).fill("15660")
    box = page.locator(field(page, "goods.trade_curr"))
    box.fill("美元")
    expect(box.locator("xpath=..").get_by_role("option").first).to_have_text("USD 美元")
    shot(page, "42-新增-代码检索")
    box.press("Enter")  # the first option
    expect(box).to_have_value("USD 美元")
    pick(page, "goods.origin_country", "中国", "CHN 中国")
    pick(page, "goods.destination_country", "usa", "USA 美国")
    page.locator(field(page, "goods.district_code")).fill("33029")
    pick(page, "goods.duty_mode", "照章", "1 照章征税")


def names_in_the_grid(page: Page) -> list[str]:
    return page.locator(".goods-lines tbody tr td:nth-child(3)").all_inner_texts()


def three_lines_copied_moved_and_one_deleted(page: Page) -> None:
    type_the_first_line(page)
    for name in ("女式表演服", "儿童表演服", "多余的一项"):
        page.get_by_role("button", name="复制", exact=True).click()
        page.locator(field(page, "goods.g_name")).fill(name)
    assert names_in_the_grid(page) == ["男式表演服", "女式表演服", "儿童表演服", "多余的一项"]
    page.get_by_role("button", name="删除", exact=True).click()  # the selected line: the last copy
    page.get_by_role("button", name="选择第2项商品").click()
    page.get_by_role("button", name="下移").click()
    assert names_in_the_grid(page) == ["男式表演服", "儿童表演服", "女式表演服"]
    expect(page.locator(field(page, "goods.g_name"))).to_have_value(
        "女式表演服"
    )  # the moved line stays selected
    expect(page.locator("#goods-title .count")).to_have_text("共 3 项，最多 50 项")


def new_declaration_with_a_finding_fixed_and_submitted(page: Page) -> None:
    page.locator("nav.menu").get_by_role("link", name="出口报关单", exact=True).click()
    page.get_by_role("link", name="新增", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("新增出口报关单")
    three_lines_copied_moved_and_one_deleted(page)
    page.locator("#template-id").select_option(label=TEMPLATE)
    page.get_by_role("button", name="应用模版").click()
    expect(page.get_by_role("status")).to_contain_text(f"已应用单证模版「{TEMPLATE}」")
    expect(page.locator(field(page, "head.trade_name"))).to_have_value("宁波远帆进出口有限公司")
    assert names_in_the_grid(page) == ["男式表演服", "儿童表演服", "女式表演服"]  # the typed lines kept
    assert page.evaluate(UNLABELLED) == []
    shot(page, "43-新增-三项商品与模版")
    page.locator(field(page, "head.gross_wet")).fill("-5")
    page.get_by_role("button", name="暂存").click()
    expect(page.get_by_role("status")).to_contain_text("已暂存（版本 1）")
    weight = page.locator(".efield", has=page.locator(field(page, "head.gross_wet")))
    expect(weight).to_have_class("efield has-error")
    expect(weight.locator(".fnote")).to_contain_text("毛重（GrossWet）不能为负数")
    shot(page, "44-暂存-校验提示在字段旁")
    page.locator(field(page, "head.gross_wet")).fill("9876.5")
    page.get_by_role("button", name="暂存").click()
    expect(page.get_by_role("status")).to_contain_text("已暂存（版本 2）")
    expect(weight.locator(".fnote")).to_have_count(0)
    page.get_by_role("button", name="提交审核").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("报关单详情")
    expect(page.get_by_role("status")).to_have_text("已提交审核。")
    expect(page.locator(".summary .status")).to_have_text("待审核")
    expect(page.locator("table.goods tbody tr")).to_have_count(3)
    shot(page, "45-提交审核-待审核")


def transit_block_follows_the_district(page: Page) -> None:
    page.locator("nav.menu").get_by_role("link", name="出口转关提前报关", exact=True).click()
    page.get_by_role("link", name="新增", exact=True).click()
    transit = page.locator("section.transit")
    manifest = page.locator(field(page, "transit.head.trans_no"))
    pick(page, "head.custom_master", "广州", "5100 广州海关")
    expect(transit.locator(".mode-tag")).to_have_text("南方模式")
    expect(manifest).to_be_visible()
    expect(page.locator(field(page, "head.edi_id"))).to_have_value("5")  # 南方转关提前
    shot(page, "48-转关-南方模式")
    pick(page, "head.custom_master", "上海", "2200 上海海关")
    expect(transit.locator(".mode-tag")).to_have_text("北方模式")
    expect(manifest).to_be_hidden()
    expect(page.locator(field(page, "head.edi_id"))).to_have_value("3")
    shot(page, "49-转关-北方模式")
    asked: list[str] = []
    page.once("dialog", lambda dialog: (asked.append(dialog.message), dialog.dismiss()))
    page.locator("nav.menu").get_by_role("link", name="出口报关单", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("新增出口转关提前报关")  # stayed: nothing lost
    assert asked == ["有未暂存的修改，离开后将丢失。确定离开吗？"]


@pytest.mark.skipif(not CHROMIUM.exists(), reason="no chromium: run deploy/local/chromium.sh")
def test_a_preparer_drafts_with_the_editor(tmp_path: Path) -> None:
    with guanwu_up(tmp_path) as (url, data), chromium() as browser:
        password = (data / "demo-password").read_text().strip()
        declaration_id = draft_export_declaration(url, password)
        context = browser.new_context(viewport={"width": 1400, "height": 900}, locale="zh-CN")
        page = context.new_page()
        log_in_by_form(page, url, "demo", password)
        save_the_draft_as_a_template(page, declaration_id)
        a_second_tab_saves_first(context, page, url, declaration_id)
        stored = httpx.get(
            f"{url}/api/declaration/declarations/{declaration_id}", headers=bearer_of(url, "demo", password)
        ).json()
        assert stored["version"] == 3 and stored["document"]["head"]["bill_no"] == "MYBILL0001"
        new_declaration_with_a_finding_fixed_and_submitted(page)
        transit_block_follows_the_district(page)
