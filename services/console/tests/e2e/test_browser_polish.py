"""The console's smaller keyboard and editing aids in chromium, against one `guanwu up --simulator`:

- the review screen's skip links (the first Tab stops in main: 跳到审核意见与操作, 跳到表头, 跳到表体; Enter moves the
  focus there, with a visible ring);
- the editor renumbers what names goods lines by number (集装箱's 商品项号, 随附单据's 关联商品项号) when lines move or
  are deleted;
- a 暂存 whose session has expired keeps the typed edit: after the login the editor offers 恢复未保存的修改;
- a 制单 list's own 生成报关单 form (a refused number shown on the list).

Screenshots 90-… go to .local/artifacts/console/."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from e2e.test_browser import CHROMIUM, add_user, bearer_of, chromium, guanwu_up, log_in_by_form, shot
from playwright.sync_api import Page, expect
from watching import wait_while_moving

from guanwu.customs import fixtures
from guanwu.platform.local_users import LocalUser

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="no chromium: run deploy/local/chromium.sh"),
]

PASSWORD = "制单员 polish password 2026"
API = "/api/declaration/declarations"


@dataclass
class Setup:
    url: str
    page: Page
    demo_password: str
    headers: dict[str, str]


@pytest.fixture(scope="module")
def setup(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Setup]:
    """demo (every role) in chromium; zhidan, a preparer, drafts through the API."""
    folder = tmp_path_factory.mktemp("polish")
    with guanwu_up(folder) as (url, data), chromium() as browser:
        add_user(data, LocalUser(username="zhidan", tenant="demo", roles=["preparer"]), PASSWORD)
        demo_password = (data / "demo-password").read_text().strip()
        page = browser.new_page(viewport={"width": 1400, "height": 900}, locale="zh-CN")
        log_in_by_form(page, url, "demo", demo_password)
        yield Setup(url, page, demo_password, bearer_of(url, "zhidan", PASSWORD))


def created(setup: Setup, **blocks: Any) -> dict[str, Any]:
    document = fixtures.export_sea_general_trade().model_dump(mode="json", exclude_none=True)
    answer = httpx.post(f"{setup.url}{API}", json={**document, **blocks}, headers=setup.headers)
    assert answer.status_code == 201, answer.text
    body: dict[str, Any] = answer.json()
    return body


def review_task(setup: Setup) -> str:
    declaration = created(setup)
    submit = f"{setup.url}{API}/{declaration['declaration_id']}/submit"
    assert httpx.post(submit, headers={**setup.headers, "If-Match": '"1"'}).is_success

    def found() -> Any:
        params = {"declaration_id": declaration["declaration_id"]}
        reviewer = bearer_of(setup.url, "demo", setup.demo_password)
        items = httpx.get(f"{setup.url}/api/review/tasks", params=params, headers=reviewer).json()
        return items["items"][0]["review_id"] if items.get("items") else None

    return str(wait_while_moving(found, lambda: None, "the review task"))


FOCUSED = """() => { const e = document.activeElement, s = getComputedStyle(e);
  return { id: e.id, text: e.textContent.trim().slice(0, 40), visible: e.checkVisibility(),
           ring: s.outlineStyle !== 'none' && parseFloat(s.outlineWidth) > 0 }; }"""


def test_the_review_screen_skips_to_the_decision_by_keyboard(setup: Setup) -> None:
    page = setup.page
    page.goto(f"{setup.url}/console/review/{review_task(setup)}")
    expect(page.get_by_role("heading", level=1)).to_have_text("报关单审核")
    assert page.locator("main [data-path]").count() > 100  # the field buttons a keyboard would walk through
    page.locator("nav.menu a").last.focus()  # the last stop before main
    page.keyboard.press("Tab")
    focused = page.evaluate(FOCUSED)
    assert focused["text"] == "跳到审核意见与操作" and focused["visible"] and focused["ring"], focused
    assert page.evaluate("document.activeElement.closest('main') !== null")
    shot(page, "90-审核-跳转链接")
    page.keyboard.press("Enter")
    expect(page.locator("#review-decision")).to_be_focused()
    assert page.evaluate(FOCUSED)["ring"]
    page.keyboard.press("Tab")
    expect(page.get_by_role("button", name="保存标记")).to_be_focused()  # the decision's first control
    shot(page, "91-审核-审核意见与操作")
    for link, target in (("跳到表头", "#review-head"), ("跳到表体", "#review-goods")):
        page.locator("nav.menu a").last.focus()
        page.keyboard.press("Tab")
        while page.evaluate(FOCUSED)["text"] != link:
            page.keyboard.press("Tab")
        page.keyboard.press("Enter")
        expect(page.locator(target)).to_be_focused()
    page.keyboard.press("Tab")
    expect(page.locator(".grid.goods [data-path='goods[0].g_no']")).to_be_focused()  # the first 表体 cell


def container_numbers(page: Page) -> list[str]:
    return [page.get_by_label(f"第{n}行 商品项号").input_value() for n in (1, 2)]


def test_moving_and_deleting_goods_lines_renumbers_their_references(setup: Setup) -> None:
    page = setup.page
    document = fixtures.export_sea_general_trade().model_dump(mode="json", exclude_none=True)
    edocs = [{**document["edocs"][0], "g_no_str": "3"}, document["edocs"][1]]
    declaration = created(setup, edocs=edocs)  # containers: 商品项号 "1,2" and "3"
    page.goto(f"{setup.url}/console/declarations/{declaration['declaration_id']}/edit")
    expect(page.get_by_role("heading", level=1)).to_have_text("编辑出口报关单")
    assert container_numbers(page) == ["1,2", "3"]
    page.get_by_role("button", name="选择第3项商品").click()
    page.get_by_role("button", name="上移").click()  # 便携式计算机 is line 2 now, 微波炉 line 3
    expect(page.get_by_label("第1行 商品项号")).to_have_value("1,3")
    expect(page.get_by_label("第2行 商品项号")).to_have_value("2")
    expect(page.get_by_label("第1行 关联商品项号")).to_have_value("2")
    page.get_by_role("button", name="选择第1项商品").click()
    page.get_by_role(
        "button", name="删除", exact=True
    ).click()  # 男式表演服 goes: its number from the lists too
    assert container_numbers(page) == ["2", "1"]
    expect(page.get_by_label("第1行 关联商品项号")).to_have_value("1")
    shot(page, "92-编辑-项号随商品移动")
    page.get_by_role("button", name="暂存").click()
    expect(page.get_by_role("status")).to_contain_text("已暂存（版本 2）")
    saved = httpx.get(f"{setup.url}{API}/{declaration['declaration_id']}", headers=setup.headers).json()
    goods = [(g["g_no"], g["g_name"]) for g in saved["document"]["goods"]]
    assert goods == [(1, "便携式计算机"), (2, "微波炉")]
    assert [c["goods_no"] for c in saved["document"]["containers"]] == ["2", "1"]
    assert saved["document"]["edocs"][0]["g_no_str"] == "1"
    # The function itself (editor.js): old number → new; ranges and full-width commas read, text kept.
    renumber = "([text, moved]) => window.guanwuEditor.renumberList(text, moved)"
    for text, moved, expected in (
        ("1-3", {"1": 1, "2": 3, "3": 4}, "1,3,4"),  # a copy of line 1 inserted as line 2
        ("3，1", {"1": 2, "3": 1}, "1,2"),
        ("2,见附件", {"1": 1}, "见附件"),  # line 2 deleted; what is not a number stays
    ):
        assert page.evaluate(renumber, [text, moved]) == expected, text


def test_an_edit_saved_after_the_session_expired_is_offered_back_after_the_login(setup: Setup) -> None:
    page = setup.page
    declaration = created(setup)
    edit = f"{setup.url}/console/declarations/{declaration['declaration_id']}/edit"
    page.goto(edit)
    page.locator("#f-head-note_s").fill("登录超时前输入的备注")
    page.context.clear_cookies(name="guanwu_session")  # the token ran out while the user typed
    page.get_by_role("button", name="暂存").click()
    expect(page.get_by_role("heading", name="用户登录")).to_be_visible()
    page.locator("#username").fill("demo")
    page.locator("#password").fill(setup.demo_password)
    page.get_by_role("button", name="登录").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("编辑出口报关单")
    expect(page.locator("#f-head-note_s")).not_to_have_value("登录超时前输入的备注")  # the stored one
    offer = page.locator(".kept-edit")
    expect(offer).to_be_visible()
    shot(page, "93-编辑-恢复未保存的修改")
    offer.get_by_role("button", name="恢复未保存的修改").click()
    expect(offer).to_be_hidden()
    expect(page.locator("#f-head-note_s")).to_have_value("登录超时前输入的备注")
    expect(page.locator(".unsaved")).to_be_visible()
    page.get_by_role("button", name="暂存").click()
    expect(page.get_by_role("status")).to_contain_text("已暂存（版本 2）")
    saved = httpx.get(f"{setup.url}{API}/{declaration['declaration_id']}", headers=setup.headers).json()
    assert saved["document"]["head"]["note_s"] == "登录超时前输入的备注"
    page.reload()
    expect(page.locator(".kept-edit")).to_be_hidden()  # offered once, and only after such a login


def test_a_declaration_list_has_its_own_form_to_generate_from_a_bonded_list(setup: Setup) -> None:
    page = setup.page
    page.goto(f"{setup.url}/console/declarations/import-declaration")
    number = page.get_by_label("核注清单编号")
    number.fill("QD000000000000000")
    page.get_by_role("button", name="生成报关单").click()
    expect(page.get_by_role("alert")).to_contain_text("生成报关单失败")
    expect(page).to_have_url(re.compile(r"/console/declarations/import-declaration$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("进口报关单")
    expect(page.get_by_label("核注清单编号")).to_have_value("QD000000000000000")
    shot(page, "94-进口报关单-生成报关单")
