"""Labels and keyboard on every screen of the console, in Debian's chromium against one `guanwu up --simulator`.

- Labels: every input, select and textarea of every screen (each menu item, 新增/编辑 of a declaration, its detail
  and timeline, the review screen, 导入, 生成接单, 异常登记 and 变更状态, both 数据同步 tabs, the login page) is named
  by `label[for]` (or a wrapping label), `aria-label` or `aria-labelledby`; the visible ones also have a
  non-empty accessible name as chromium computes it (Playwright's `to_have_accessible_name`).
- Keyboard: Tab walks the controls of the main forms in document order (nothing skipped, no positive tabindex),
  the focused control shows a visible focus ring (`:focus-visible` with an outline), and Enter submits.

Screenshot 89 (the focus ring on the query form) goes to .local/artifacts/console/."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from e2e.test_browser import CHROMIUM, add_user, bearer_of, chromium, guanwu_up, log_in_by_form, shot
from playwright.sync_api import Browser, Page, expect
from watching import wait_while_moving

from guanwu.console.domain.menu import MENU
from guanwu.customs import fixtures
from guanwu.platform.local_users import LocalUser

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="no chromium: run deploy/local/chromium.sh"),
]

PASSWORD = "无障碍测试 a11y password 2026"
CONTROLS = "input:not([type=hidden]), select, textarea"
ENTRY_ID = "610120260000077001"

NAMED = """(selector) => Array.from(document.querySelectorAll(selector)).filter(e => {
  if (e.labels && Array.from(e.labels).some(l => l.textContent.trim())) return false;
  if ((e.getAttribute('aria-label') || '').trim()) return false;
  const by = (e.getAttribute('aria-labelledby') || '').split(/\\s+/).filter(Boolean);
  return !by.some(id => (document.getElementById(id)?.textContent || '').trim());
}).map(e => e.outerHTML.slice(0, 200))"""


@dataclass
class Setup:
    url: str
    page: Page
    declaration_id: str
    review_id: str
    anomaly_id: str


def submitted_draft(url: str) -> str:
    headers = bearer_of(url, "zhidan", PASSWORD)
    document = fixtures.export_sea_general_trade().model_dump(mode="json", exclude_none=True)
    created = httpx.post(f"{url}/api/declaration/declarations", json=document, headers=headers).json()
    declaration_id: str = created["declaration_id"]
    submit = f"{url}/api/declaration/declarations/{declaration_id}/submit"
    assert httpx.post(submit, headers={**headers, "If-Match": '"1"'}).is_success
    return declaration_id


def eventually_one(url: str, path: str, params: dict[str, str], headers: dict[str, str]) -> dict[str, Any]:
    def found() -> Any:
        items = httpx.get(f"{url}{path}", params=params, headers=headers).json()["items"]
        return items[0] if items else None

    return dict(wait_while_moving(found, lambda: None, f"{path} to list {params}"))


@pytest.fixture(scope="module")
def setup(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Setup]:
    """demo (every role) reviews a declaration zhidan drafted and submitted; a 删单 receipt made an anomaly."""
    folder = tmp_path_factory.mktemp("a11y")
    with guanwu_up(folder) as (url, data), chromium() as browser:
        add_user(data, LocalUser(username="zhidan", tenant="demo", roles=["preparer"]), PASSWORD)
        declaration_id = submitted_draft(url)
        receipt = {"enterprise": "demo", "entry_id": ENTRY_ID, "channel": "D", "note": "海关删单"}
        assert httpx.post(f"{url}/sim/receipts", json=receipt).status_code == 201
        demo = bearer_of(url, "demo", (data / "demo-password").read_text().strip())
        task = eventually_one(url, "/api/review/tasks", {"declaration_id": declaration_id}, demo)
        anomaly = eventually_one(url, "/api/anomaly/anomalies", {"document_no": ENTRY_ID}, demo)
        yield Setup(
            url, signed_in(browser, url, data), declaration_id, task["review_id"], anomaly["anomaly_id"]
        )


def signed_in(browser: Browser, url: str, data: Path) -> Page:
    page = browser.new_page(viewport={"width": 1400, "height": 900}, locale="zh-CN")
    log_in_by_form(page, url, "demo", (data / "demo-password").read_text().strip())
    return page


def unnamed_controls(page: Page) -> list[str]:
    """The controls of the page without a name: by the markup rule (all, hidden ones too), then by chromium's
    accessible name (the visible ones, and the visible buttons and links)."""
    missing: list[str] = page.evaluate(NAMED, CONTROLS)
    visible = page.locator(CONTROLS).filter(visible=True)
    for i in range(visible.count()):
        control = visible.nth(i)
        try:
            expect(control).to_have_accessible_name(re.compile(r"\S"), timeout=50)
        except AssertionError:
            missing.append("no accessible name: " + control.evaluate("e => e.outerHTML.slice(0, 200)"))
    actions = page.locator("button, a[href], [role=tab]").filter(visible=True)
    for i in range(actions.count()):
        action = actions.nth(i)
        try:
            expect(action).to_have_accessible_name(re.compile(r"\S"), timeout=50)
        except AssertionError:
            missing.append(
                "button or link without a name: " + action.evaluate("e => e.outerHTML.slice(0, 200)")
            )
    return missing


def screens(setup: Setup) -> list[str]:
    d, r, a = setup.declaration_id, setup.review_id, setup.anomaly_id
    return [
        "/console/",
        *(item.path for group in MENU for item in group.items),
        "/console/declarations/export-declaration/new",
        f"/console/declarations/{d}",
        f"/console/declarations/{d}/edit",
        f"/console/query/declarations/{d}/history",
        "/console/query/declarations/import",
        f"/console/query/declarations/job-order?ids={d}",
        f"/console/review/{r}",
        "/console/anomalies/declaration/new",
        f"/console/anomalies/declaration/{a}",
        f"/console/anomalies/declaration/{a}/status",
    ]


def test_every_control_of_every_screen_has_an_accessible_name(setup: Setup) -> None:
    page, problems = setup.page, {}
    page.goto(f"{setup.url}/console/")
    page.evaluate(
        "document.querySelector('main, body').insertAdjacentHTML('beforeend', "
        "'<input id=probe-a><label>无关</label><select id=probe-b aria-labelledby=nowhere></select>')"
    )
    caught = unnamed_controls(page)  # the check itself: both probes are caught, by markup and by chromium
    assert len(caught) == 4 and all("probe-" in c for c in caught), caught
    for path in screens(setup):
        answer = page.goto(f"{setup.url}{path}")
        assert answer is not None and answer.status == 200, path
        for tab in page.get_by_role("tab").all():  # 数据同步: the other tab's form as well
            tab.click()
            problems.update({f"{path} [{tab.inner_text()}]": unnamed_controls(page)})
        problems[path] = unnamed_controls(page)
    context = page.context.browser.new_context(locale="zh-CN")  # type: ignore[union-attr]
    login = context.new_page()
    login.goto(f"{setup.url}/console/login")
    problems["/console/login"] = unnamed_controls(login)
    context.close()
    assert {path: found for path, found in problems.items() if found} == {}


TABBABLE = """(root) => {
  document.querySelectorAll('[data-tab-order]').forEach(e => e.removeAttribute('data-tab-order'));
  const radios = new Set();
  const list = Array.from(document.querySelector(root).querySelectorAll(
      'a[href], button, input, select, textarea, summary, [tabindex]')).filter(e => {
    if (e.matches(':disabled') || e.type === 'hidden' || e.tabIndex < 0 || e.closest('[inert]')) return false;
    if (!e.checkVisibility({visibilityProperty: true})) return false;  // also inside a closed <details>
    if (e.type === 'radio') { if (radios.has(e.name)) return false; radios.add(e.name); }
    return true; });
  list.forEach((e, i) => e.setAttribute('data-tab-order', String(i)));
  return list.length; }"""

FOCUSED = """() => { const e = document.activeElement, s = getComputedStyle(e);
  return { at: e.getAttribute('data-tab-order'), html: e.outerHTML.slice(0, 120),
           ring: e.matches(':focus-visible') && s.outlineStyle !== 'none' && parseFloat(s.outlineWidth) > 0 }; }"""


def tab_through(page: Page, root: str) -> int:
    """Tab from the first control of `root` to its last: each next control in document order gets the focus, and
    shows it. A date input takes several Tabs (one per part of the date). The number of controls."""
    count: int = page.evaluate(TABBABLE, root)
    assert count > 1, root
    page.locator(f'{root} [data-tab-order="0"]').focus()
    page.keyboard.press("Shift+Tab")  # from before the form, so that the focus comes by keyboard
    page.keyboard.press("Tab")
    for expected in range(count):
        focused = page.evaluate(FOCUSED)
        presses = 0
        while focused["at"] == str(expected - 1) and presses < 4:  # still inside the previous (date) input
            page.keyboard.press("Tab")
            focused, presses = page.evaluate(FOCUSED), presses + 1
        assert focused["at"] == str(expected), f"{root}: Tab #{expected} reached {focused['html']}"
        assert focused["ring"], f"{root}: no visible focus on {focused['html']}"
        if expected < count - 1:
            page.keyboard.press("Tab")
    return count


def test_the_query_form_by_keyboard(setup: Setup) -> None:
    page = setup.page
    page.goto(f"{setup.url}/console/query/declarations")
    expect(page.get_by_role("heading", level=1)).to_have_text("报关数据查询")
    tab_through(page, "form.query")
    page.get_by_label("系统编号").focus()
    page.keyboard.type(setup.declaration_id)
    shot(page, "89-键盘-报关数据查询-焦点")
    page.keyboard.press("Enter")  # submits the query
    expect(page).to_have_url(re.compile(rf"declaration_id={setup.declaration_id}"))
    expect(page.locator(f'table.grid tbody tr[data-id="{setup.declaration_id}"]')).to_be_visible()
    expect(page.locator("nav.pager")).to_contain_text("共 1 条")


def test_the_sync_and_anomaly_forms_by_keyboard(setup: Setup) -> None:
    page = setup.page
    page.goto(f"{setup.url}/console/sync/declarations")
    page.get_by_role("tab", name="按天同步").click()
    # Alpine shows the panel on its next tick, not at the click.
    expect(page.locator("#panel-by_day")).to_be_visible()
    tab_through(page, "#panel-by_day")
    page.goto(f"{setup.url}/console/anomalies/declaration/new")
    expect(page.get_by_role("heading", level=1)).to_have_text("异常登记")
    tab_through(page, "form.anomaly-form")
    page.get_by_label("报关单号").focus()
    page.keyboard.type(ENTRY_ID)
    page.keyboard.press("Enter")  # submits: the server names the missing required fields beside them
    expect(page.locator(".field.invalid").first).to_be_visible()
    expect(page.get_by_label("报关单号")).to_have_value(ENTRY_ID)


def test_the_review_decision_by_keyboard(setup: Setup) -> None:
    page = setup.page
    page.goto(f"{setup.url}/console/review/{setup.review_id}")
    tab_through(page, ".review-actions")
    page.get_by_label("退回原因").focus()
    page.keyboard.type("键盘退回：请核对提运单号")
    page.keyboard.press("Enter")
    expect(page.get_by_role("status")).to_have_text("已退回制单人。")
    expect(page.locator(".summary .status")).to_have_text("审核退回")


def test_the_editor_by_keyboard(setup: Setup) -> None:
    page = setup.page
    page.goto(f"{setup.url}/console/declarations/export-declaration/new")
    expect(page.get_by_role("heading", level=1)).to_have_text("新增出口报关单")
    assert tab_through(page, "form.editor") > 50
