"""#17's main flows in a real browser (Debian's chromium driven by Playwright) against one `guanwu up
--simulator` for the module, as `make run` serves it: a preparer, a reviewer and a manager, each in their own
browser context (their sessions kept between steps).

- 新增 in the editor (a 单证模版 with three goods lines applied, 暂存) → 提交审核 → the reviewer marks fields green
  and one red → 退回 → the preparer sees the red mark at its field in 编辑, fixes it → 提交审核 → 通过 → 申报 from
  报关数据查询 → the simulator's receipts → 放行 in 报关数据查询 and its timeline;
- a 删单 receipt from the simulator → its anomaly in 报关单异常;
- a by-day sync whose progress bar is watched until it completes;
- an import with a bad row (its per-row error shown);
- every menu item opens for admin, and each role gets 403 from the screens outside its menu.

Screenshots 80-89 go to .local/artifacts/console/.

Setup outside the console: the users (into the system's user store), the enterprise's 单证模版 the draft starts
from (template API), the 删单 receipt and the sync's data set (the simulator's own API)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from e2e.test_browser import CHROMIUM, add_user, bearer_of, chromium, guanwu_up, log_in_by_form, shot
from import_workbooks import edited, filled
from playwright.sync_api import Browser, Page, expect
from watching import wait_while_moving

from guanwu.console.domain.menu import MENU
from guanwu.customs import fixtures
from guanwu.platform.local_users import LocalUser

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="no chromium: run deploy/local/chromium.sh"),
]

PASSWORD = "流程测试 flow password 2026"
TEMPLATE = "出口一般贸易（海运）"
USERS = {"zhidan": ["preparer"], "shendan": ["reviewer"], "jingli": ["manager"]}
QUERY = "/console/query/declarations"


class System:
    def __init__(self, url: str, data: Path, browser: Browser, folder: Path) -> None:
        self.url, self.data, self.browser, self.folder = url, data, browser, folder
        self.demo_password = (data / "demo-password").read_text().strip()
        self._pages: dict[str, Page] = {}

    def page(self, username: str) -> Page:
        """A signed-in page of `username` in a browser context of its own (kept for the module)."""
        if username not in self._pages:
            context = self.browser.new_context(
                viewport={"width": 1400, "height": 900}, locale="zh-CN", accept_downloads=True
            )
            page = context.new_page()
            log_in_by_form(page, self.url, username, self.password(username))
            self._pages[username] = page
        return self._pages[username]

    def password(self, username: str) -> str:
        return self.demo_password if username == "demo" else PASSWORD

    def api(self, username: str) -> dict[str, str]:
        headers: dict[str, str] = bearer_of(self.url, username, self.password(username))
        return headers


@pytest.fixture(scope="module")
def system(tmp_path_factory: pytest.TempPathFactory) -> Iterator[System]:
    folder = tmp_path_factory.mktemp("flow")
    with guanwu_up(folder) as (url, data), chromium() as browser:
        for username, roles in USERS.items():
            add_user(data, LocalUser(username=username, tenant="demo", roles=roles), PASSWORD)
        yield System(url, data, browser, folder)


def menu_link(page: Page, title: str) -> None:
    page.locator("nav.menu").get_by_role("link", name=title, exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(title)


def search(page: Page) -> None:
    """查询, and wait until htmx has swapped in the new result table (the old one is marked first)."""
    page.evaluate("document.querySelectorAll('table.grid').forEach(t => { t.dataset.stale = '1'; })")
    page.get_by_role("button", name="查询", exact=True).click()
    expect(page.locator("table.grid[data-stale]")).to_have_count(0)


def query_row(page: Page, declaration_id: str) -> Any:
    return page.locator(f'table.grid tbody tr[data-id="{declaration_id}"]')


def a_template_of_the_enterprise(system: System) -> None:
    """Setup, not a step of the flow: the enterprise's 单证模版 (an export under general trade with three goods
    lines), through the template API."""
    document = fixtures.export_sea_general_trade()
    assert len(document.goods) == 3
    body = {"name": TEMPLATE, "document": document.model_dump(mode="json", exclude_none=True)}
    created = httpx.post(f"{system.url}/api/declaration/templates", json=body, headers=system.api("zhidan"))
    assert created.status_code == 201, created.text


def draft_in_the_editor(page: Page) -> str:
    """出口报关单 › 新增: the template applied (three goods lines), 备注 typed, 暂存, then 提交审核."""
    menu_link(page, "出口报关单")
    page.get_by_role("link", name="新增", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("新增出口报关单")
    page.get_by_role("combobox", name="单证模版").select_option(label=TEMPLATE)
    page.get_by_role("button", name="应用模版").click()
    expect(page.get_by_role("status")).to_contain_text(f"已应用单证模版「{TEMPLATE}」")
    expect(page.locator("#goods-title .count")).to_contain_text("共 3 项")
    page.get_by_role("textbox", name="备注", exact=True).fill("浏览器流程测试")
    page.get_by_role("button", name="暂存", exact=True).click()
    expect(page.get_by_role("status")).to_contain_text("已暂存（版本 1）")
    expect(page.get_by_role("heading", level=1)).to_have_text("编辑出口报关单")
    shot(page, "80-流程-制单-模版暂存")
    declaration_id = page.locator(".editor-bar .id").inner_text()
    page.get_by_role("button", name="提交审核", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("报关单详情")
    expect(page.locator(".summary .status")).to_have_text("待审核")
    return declaration_id


def fix_in_the_editor(page: Page, declaration_id: str, bill_no: str) -> None:
    """The returned declaration's detail › 编辑: the reviewer's red mark beside 提运单号; corrected, 提交审核."""
    page.goto(f"{page.url.split('/console')[0]}/console/declarations/{declaration_id}")
    expect(page.locator(".summary .status")).to_have_text("审核退回")
    page.get_by_role("link", name="编辑", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("编辑出口报关单")
    field = page.locator(".efield", has=page.locator("#f-head-bill_no"))
    expect(field).to_contain_text("提运单号与舱单不符")  # the reviewer's comment at its field
    page.get_by_role("textbox", name="提运单号", exact=True).fill(bill_no)
    expect(page.locator(".editor-bar .unsaved")).to_be_visible()
    shot(page, "82-流程-制单-退回后修改")
    page.get_by_role("button", name="提交审核", exact=True).click()  # 暂存 the change, then 提交审核
    expect(page.get_by_role("heading", level=1)).to_have_text("报关单详情")
    expect(page.locator(".summary .status")).to_have_text("待审核")


def command_from_the_list(page: Page, declaration_id: str, command: str, outcome: str) -> None:
    """报关数据查询: find the row (the query service may lag a write), tick it and press 提交审核 / 申报."""
    menu_link(page, "报关数据查询")

    def listed() -> bool:
        if query_row(page, declaration_id).count():
            return True
        search(page)
        return False

    wait_while_moving(listed, lambda: None, "the query service to list the declaration")
    query_row(page, declaration_id).locator("input[type=checkbox]").check()
    page.get_by_role("button", name=command, exact=True).click()
    expect(page.get_by_role("status")).to_contain_text(f"{command}：成功 1 票，未成功 0 票")
    expect(page.locator("table.outcomes tbody tr")).to_contain_text(f"当前状态：{outcome}")


def open_pending_review(page: Page, declaration_id: str) -> None:
    """报关单审核: the declaration's pending task (the list is the review service's read of the events)."""

    menu_link(page, "报关单审核")
    page.get_by_label("审核状态").select_option("待审核")  # not the task returned before

    def pending() -> Any:
        search(page)
        row = page.locator("table.grid tbody tr", has_text=declaration_id)
        return row if row.count() else None

    wait_while_moving(pending, lambda: None, "the review task to be listed").get_by_role(
        "link", name="审核"
    ).click()
    expect(page).to_have_url(re.compile(r"/console/review/(?!tasks)[^/?]+$"))
    expect(page.locator(".summary .status")).to_have_text("待审核")


def mark(page: Page, path: str, clicks: int) -> Any:
    cell = page.locator(".mark", has=page.locator(f'[data-path="{path}"]'))
    for _ in range(clicks):
        cell.locator("button").click()
    expect(cell).to_have_class(re.compile(r"\bok\b" if clicks == 1 else r"\bwrong\b"))
    return cell


def review_and_return(page: Page, declaration_id: str) -> None:
    open_pending_review(page, declaration_id)
    mark(page, "head.trade_name", 1)  # green: checked
    mark(page, "goods[0].g_qty", 1)
    mark(page, "head.bill_no", 2)  # red: wrong
    expect(page.locator(".legend b").nth(0)).to_have_text("2")
    expect(page.locator(".legend b").nth(1)).to_have_text("1")
    page.get_by_label("提运单号").fill("提运单号与舱单不符")
    page.get_by_label("退回原因").fill("提运单号有误，请按舱单更正")
    shot(page, "81-流程-审核-绿红标记")
    page.get_by_role("button", name="退回").click()
    expect(page.get_by_role("status")).to_have_text("已退回制单人。")
    expect(page.locator(".summary .status")).to_have_text("审核退回")


def review_and_approve(page: Page, declaration_id: str) -> None:
    open_pending_review(page, declaration_id)
    bill_no = page.locator(".mark", has=page.locator('[data-path="head.bill_no"]'))
    expect(bill_no).to_contain_text("MAEU240716999")  # the corrected value is what is reviewed
    while not re.search(r"\bok\b", bill_no.get_attribute("class") or ""):
        bill_no.locator("button").click()  # from whatever the screen carried over, to green
    expect(page.locator(".legend b").nth(1)).to_have_text("0")
    page.get_by_label("审核意见").fill("已更正，单证相符")
    shot(page, "83-流程-审核-通过前")
    page.get_by_role("button", name="通过").click()
    expect(page.locator(".summary .status")).to_have_text("审核通过")


def released_in_the_query_list(page: Page, declaration_id: str) -> None:
    """After 申报 the simulator answers with its receipts; the list and the timeline show 放行."""

    def released() -> bool:
        search(page)
        return "放行" in query_row(page, declaration_id).locator("td.c-status").inner_text()

    row = query_row(
        page, declaration_id
    )  # while its 申报状态 still moves (申报中, 已申报, 入库成功 …) it waits
    wait_while_moving(released, row.inner_text, "the simulator's receipts to reach 放行")
    expect(query_row(page, declaration_id).locator("td.c-channel")).to_contain_text("P")
    shot(page, "84-流程-报关数据查询-放行")
    query_row(page, declaration_id).get_by_role("link", name="动态").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("跟踪报关单动态")
    timeline = page.locator("ol.timeline")
    for step in ("草稿", "审核退回", "审核通过", "海关回执"):
        expect(timeline).to_contain_text(step)
    expect(timeline.locator("li", has_text="海关回执").last).to_contain_text("放行")
    shot(page, "85-流程-跟踪报关单动态-放行")


def test_a_draft_is_returned_fixed_approved_declared_and_released(system: System) -> None:
    preparer, reviewer = system.page("zhidan"), system.page("shendan")
    a_template_of_the_enterprise(system)
    declaration_id = draft_in_the_editor(preparer)
    review_and_return(reviewer, declaration_id)
    fix_in_the_editor(preparer, declaration_id, "MAEU240716999")
    review_and_approve(reviewer, declaration_id)
    command_from_the_list(preparer, declaration_id, "申报", "申报中")
    released_in_the_query_list(preparer, declaration_id)


def test_a_delete_receipt_shows_as_an_anomaly(system: System) -> None:
    entry_id = "610120260000088888"
    receipt = {"enterprise": "demo", "entry_id": entry_id, "channel": "D", "note": "海关删单"}
    assert httpx.post(f"{system.url}/sim/receipts", json=receipt).status_code == 201
    page = system.page("jingli")
    menu_link(page, "报关单异常")
    page.get_by_label("报关单号").fill(entry_id)

    def registered() -> Any:
        search(page)
        row = page.locator("table.grid tbody tr", has_text=entry_id)
        return row if row.count() else None

    row = wait_while_moving(registered, lambda: None, "the anomaly service to register the 删单")
    expect(row).to_contain_text("删单")
    expect(row).to_contain_text("未处理")
    shot(page, "86-流程-报关单异常-删单回执")


PROGRESS_SEEN = """() => { window.progressSeen = [];
  new MutationObserver(() => document.querySelectorAll('#sync-jobs tbody tr:first-child progress')
    .forEach(p => window.progressSeen.push(p.getAttribute('value'))))
  .observe(document.body, {childList: true, subtree: true}); }"""


def test_a_by_day_sync_shows_its_progress_until_done(system: System) -> None:
    start = (datetime.now(UTC) - timedelta(days=2)).replace(microsecond=0)
    body = {"enterprise": "demo", "seed": 7, "declarations": 30, "start": start.isoformat(), "days": 2}
    assert httpx.post(f"{system.url}/sim/datasets", json=body).status_code == 201
    page = system.page("jingli")
    menu_link(page, "报关数据同步")
    page.get_by_role("tab", name="按天同步").click()
    by_day = page.get_by_role("tabpanel", name="按天同步")
    by_day.get_by_label("境内收发货人").fill("")
    page.evaluate(PROGRESS_SEEN)
    by_day.get_by_role("button", name="确定").click()
    expect(page.get_by_role("status")).to_contain_text("同步任务已创建")
    row = page.locator("#sync-jobs tbody tr").first
    state = row.locator("td.state")
    # htmx polls the list (no reload); it waits while the row changes (state, counts), fails once it stood still
    wait_while_moving(lambda: state.inner_text() == "已完成", row.inner_text, "the sync job to complete")
    fetched = int(row.locator("td.fetched").inner_text().replace(",", ""))
    assert fetched > 0
    expect(row.locator("td.progress .fraction")).to_have_text(f"{fetched:,} / {fetched:,}")
    expect(row.locator("progress")).to_have_attribute("value", "100")
    seen = [int(v) for v in page.evaluate("window.progressSeen") if v is not None]
    assert seen and seen[-1] == 100 and seen == sorted(seen), seen  # the bar only moves forward
    shot(page, "87-流程-报关数据同步-进度完成")


def test_an_import_with_a_bad_row_shows_its_error(system: System) -> None:
    page = system.page("zhidan")
    menu_link(page, "报关数据查询")
    page.get_by_role("link", name="导入", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("报关单导入")

    def not_a_number(goods: Any) -> None:
        assert goods["F1"].value == "成交数量（GQty）"
        goods["F3"] = "八百"  # the second goods line's 成交数量

    workbook = system.folder / "报关单导入-表体有错.xlsx"
    workbook.write_bytes(edited(filled([fixtures.export_sea_general_trade()]), "表体", not_a_number))
    page.get_by_label("导入文件").set_input_files(workbook)
    page.get_by_role("button", name="导入", exact=True).click()
    expect(page.get_by_role("alert")).to_contain_text("未导入任何报关单")
    error_row = page.locator("table.findings tbody tr", has_text="表体")
    expect(error_row).to_have_count(1)  # the one bad cell, not the whole file
    expect(error_row.locator("td").nth(2)).to_have_text("3")  # its row of 表体
    expect(error_row.locator("td").nth(3)).to_have_text("F")
    expect(error_row.locator("td").nth(4)).to_have_text("成交数量（GQty）")  # named as the template's header
    expect(error_row).to_contain_text("应为数字")
    shot(page, "88-流程-报关单导入-表体错误")


# 报关数据查询's buttons that write, by role (the APIs' rules): who sees 申报 / 提交审核 / 导入, and 生成接单.
WRITING_BUTTONS = {
    "demo": (True, True),
    "zhidan": (True, True),
    "shendan": (False, False),
    "jingli": (False, True),
}


def the_query_buttons_follow_the_role(page: Page, username: str) -> None:
    menu_link(page, "报关数据查询")
    acts, orders = WRITING_BUTTONS[username]
    toolbar = page.locator("main")
    for name in ("申报", "提交审核"):
        expect(toolbar.get_by_role("button", name=name, exact=True)).to_have_count(int(acts))
    expect(toolbar.get_by_role("link", name="导入", exact=True)).to_have_count(int(acts))
    expect(toolbar.get_by_role("link", name="生成接单", exact=True)).to_have_count(int(orders))
    expect(toolbar.get_by_role("link", name="打印报关单", exact=True)).to_have_count(
        1
    )  # reading is everyone's


def test_every_menu_item_opens_for_its_roles_and_is_refused_to_others(system: System) -> None:
    roles = {"demo": {"admin"}, **{name: set(r) for name, r in USERS.items()}}
    for username, held in roles.items():
        page = system.page(username)
        nav = page.locator("nav.menu")
        for group in MENU:
            allowed = "admin" in held or bool(group.roles & held)
            for item in group.items:
                expect(nav.get_by_role("link", name=item.title, exact=True)).to_have_count(int(allowed))
                answer = page.request.get(f"{system.url}{item.path}")
                if allowed:
                    assert answer.status == 200, (username, item.path)
                    assert f"<h1>{item.title}</h1>" in answer.text(), (username, item.path)
                else:
                    assert answer.status == 403, (username, item.path, answer.status)
                    assert "无权" in answer.text(), (username, item.path)
        the_query_buttons_follow_the_role(page, username)
