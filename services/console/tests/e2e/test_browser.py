"""The console in a real browser: Debian's chromium driven by Playwright against `guanwu up --simulator` on a
free port, as `make run` serves it. Screenshots of every screen go to .local/artifacts/console/."""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from distributed import free_port
from playwright.sync_api import Browser, Page, expect, sync_playwright
from watching import activity, wait_while_moving

from guanwu.console.domain.menu import MENU
from guanwu.customs import fixtures
from guanwu.platform.local_users import LocalUser, LocalUserStore
from guanwu.platform.store.sqlite import SqliteDocumentStore

pytestmark = pytest.mark.e2e

CHROMIUM = Path(os.environ.get("GUANWU_CHROMIUM", "/usr/bin/chromium"))
ARTIFACTS = Path(__file__).resolve().parents[4] / ".local" / "artifacts" / "console"
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
    "--disable-sync", "--no-first-run",
]  # fmt: skip


def ready(url: str) -> bool:
    with contextlib.suppress(httpx.HTTPError):
        return httpx.get(f"{url}/readyz", timeout=2).status_code == 200
    return False


@contextlib.contextmanager
def guanwu_up(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    """`guanwu up --simulator` on a free port; its URL and data folder. Killed at the end."""
    port, data = free_port(), tmp_path / "data"
    logs = tmp_path / "guanwu.log"
    with logs.open("wb") as out:
        args = ["up", "--simulator", "--port", str(port), "--data-dir", str(data)]
        popen = subprocess.Popen([sys.executable, "-m", "guanwu.cli.main", *args], stdout=out, stderr=out)
        url = f"http://127.0.0.1:{port}"
        try:
            moving = activity(popen, files=(logs,))
            wait_while_moving(lambda: ready(url) or popen.poll() is not None, moving, "guanwu up to start")
            assert popen.poll() is None, logs.read_text()
            yield url, data
        finally:
            popen.kill()
            popen.wait()


@contextlib.contextmanager
def chromium() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


UNLABELLED = """() => Array.from(document.querySelectorAll('input, select, textarea'))
  .filter(e => e.type !== 'hidden' && e.labels.length === 0 && !e.getAttribute('aria-label'))
  .map(e => e.outerHTML)"""


def shot(page: Page, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def log_in_by_keyboard(page: Page, url: str, password: str) -> None:
    page.goto(f"{url}/")
    expect(page.get_by_role("heading", name="用户登录")).to_be_visible()
    shot(page, "00-登录")
    expect(page.locator("#username")).to_be_focused()  # autofocus
    page.keyboard.type("demo")
    page.keyboard.press("Tab")
    expect(page.locator("#password")).to_be_focused()
    page.keyboard.type(password)
    page.keyboard.press("Tab")
    expect(page.get_by_role("button", name="登录")).to_be_focused()
    assert page.evaluate(UNLABELLED) == []
    page.keyboard.press("Enter")
    expect(page.locator(".who .user")).to_have_text("用户：demo")
    expect(page.locator(".who .tenant")).to_have_text("企业：demo")


def bearer_of(url: str, username: str, password: str) -> dict[str, str]:
    token = httpx.post(f"{url}/api/auth/token", json={"username": username, "password": password}).json()
    return {"Authorization": f"Bearer {token['access_token']}"}


def add_user(data: Path, user: LocalUser, password: str) -> None:
    """A second user of the demo enterprise, straight into the running system's SQLite store (the embedded
    LocalUserStore has no API to add one)."""

    async def add() -> None:
        store = SqliteDocumentStore(data)
        try:
            await LocalUserStore(store).add(user, password)
        finally:
            await store.close()

    with ThreadPoolExecutor(1) as thread:  # Playwright's sync API already runs an event loop in this one
        thread.submit(asyncio.run, add()).result()


def draft_export_declaration(url: str, password: str, username: str = "demo") -> str:
    headers = bearer_of(url, username, password)
    document = fixtures.export_sea_general_trade().model_dump(mode="json", exclude_none=True)
    created = httpx.post(f"{url}/api/declaration/declarations", json=document, headers=headers)
    assert created.status_code == 201, created.text
    declaration_id: str = created.json()["declaration_id"]

    def projected() -> Any:
        rows = httpx.get(f"{url}/api/query/declarations", headers=headers).json()["items"]
        return any(row["declaration_id"] == declaration_id for row in rows)

    wait_while_moving(projected, lambda: None, "the query service to project the draft")
    return declaration_id


@pytest.mark.skipif(not CHROMIUM.exists(), reason="no chromium: run deploy/local/chromium.sh")
def test_a_person_logs_in_opens_every_screen_and_finds_a_draft(tmp_path: Path) -> None:
    with guanwu_up(tmp_path) as (url, data), chromium() as browser:
        password = (data / "demo-password").read_text().strip()
        page = browser.new_page(viewport={"width": 1400, "height": 900}, locale="zh-CN")
        log_in_by_keyboard(page, url, password)
        shot(page, "01-首页")
        number = 2
        for group in MENU:
            for item in group.items:
                page.locator("nav.menu").get_by_role("link", name=item.title, exact=True).click()
                expect(page.get_by_role("heading", level=1)).to_have_text(item.title)
                assert page.evaluate(UNLABELLED) == [], item.title
                shot(page, f"{number:02d}-{group.title}-{item.title}")
                number += 1
        declaration_id = draft_export_declaration(url, password)
        page.locator("nav.menu").get_by_role("link", name="出口报关单", exact=True).click()
        expect(page.locator("table.grid tbody tr", has_text=declaration_id)).to_be_visible()
        expect(page.locator("table.grid tbody tr", has_text=declaration_id)).to_contain_text("草稿")
        shot(page, "20-出口报关单-草稿")


REVIEWER_PASSWORD = "审单员 reviewer password 2024"


def log_in_by_form(page: Page, url: str, username: str, password: str) -> None:
    page.goto(f"{url}/console/login")
    page.locator("#username").fill(username)
    page.locator("#password").fill(password)
    page.get_by_role("button", name="登录").click()
    expect(page.locator(".who .user")).to_have_text(f"用户：{username}")


def preparer_opens_the_detail(page: Page, url: str, password: str, declaration_id: str) -> None:
    """The preparer finds the submitted declaration in 出口报关单 and opens its 查看; then logs out."""
    log_in_by_form(page, url, "demo", password)  # the preparer sees the detail from the list
    page.locator("nav.menu").get_by_role("link", name="出口报关单", exact=True).click()
    row = page.locator("table.grid tbody tr", has_text=declaration_id)
    row.get_by_role("link", name="查看").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("报关单详情")
    expect(page.locator(".summary .status")).to_have_text("待审核")
    expect(page.locator(".fcell", has_text="境内收发货人名称")).to_contain_text("宁波远帆进出口有限公司")
    assert page.evaluate(UNLABELLED) == []
    shot(page, "21-报关单详情")
    page.get_by_role("button", name="退出").click()


@pytest.mark.skipif(not CHROMIUM.exists(), reason="no chromium: run deploy/local/chromium.sh")
def test_a_reviewer_marks_fields_and_returns_a_declaration(tmp_path: Path) -> None:
    with guanwu_up(tmp_path) as (url, data), chromium() as browser:
        password = (data / "demo-password").read_text().strip()
        add_user(data, LocalUser(username="reviewer", tenant="demo", roles=["reviewer"]), REVIEWER_PASSWORD)
        declaration_id = draft_export_declaration(url, password)
        submit = httpx.post(
            f"{url}/api/declaration/declarations/{declaration_id}/submit",
            headers={**bearer_of(url, "demo", password), "If-Match": '"1"'},
        )
        assert submit.status_code < 300, submit.text
        page = browser.new_page(viewport={"width": 1400, "height": 900}, locale="zh-CN")

        preparer_opens_the_detail(page, url, password, declaration_id)

        log_in_by_form(page, url, "reviewer", REVIEWER_PASSWORD)
        page.locator("nav.menu").get_by_role("link", name="报关单审核", exact=True).click()
        row = page.locator("table.grid tbody tr", has_text=declaration_id)
        expect(row).to_contain_text("待审核")
        row.get_by_role("link", name="审核").click()
        expect(page.get_by_role("heading", level=1)).to_have_text("报关单审核")
        trade_name = page.locator(".fcell.mark", has=page.locator('[data-path="head.trade_name"]'))
        quantity = page.locator("td.mark", has=page.locator('[data-path="goods[0].g_qty"]'))
        trade_name.locator("button").click()
        expect(trade_name).to_have_class(re.compile(r"\bok\b"))
        trade_name.locator("button").click()
        expect(trade_name).to_have_class(re.compile(r"\bwrong\b"))
        quantity.locator("button").click()
        expect(quantity).to_have_class(re.compile(r"\bok\b"))
        bill_no = page.locator(".fcell.mark", has=page.locator('[data-path="head.bill_no"]'))
        for verdict in ("ok", "wrong"):
            bill_no.locator("button").click()
            expect(bill_no).to_have_class(re.compile(rf"\b{verdict}\b"))
        bill_no.locator("button").click()  # the third click resets
        expect(bill_no).not_to_have_class(re.compile(r"\b(ok|wrong)\b"))
        expect(page.locator(".legend b").first).to_have_text("1")  # 已核对 1 项
        page.get_by_label("境内收发货人名称").fill("名称与合同不符")
        assert page.evaluate(UNLABELLED) == []
        shot(page, "22-报关单审核-标记")
        page.get_by_role("button", name="保存标记").click()
        expect(page.get_by_role("status")).to_have_text("标记已保存。")
        expect(trade_name).to_have_class(re.compile(r"\bwrong\b"))  # as saved
        expect(quantity).to_have_class(re.compile(r"\bok\b"))
        # A refusal (here a stale version: 412) is swapped in and says why, like any page.
        page.evaluate("document.querySelectorAll('input[name=version]').forEach(e => { e.value = '1'; })")
        page.get_by_role("button", name="通过").click()
        expect(page.get_by_role("alert")).to_contain_text("已被他人修改")
        expect(page).to_have_url(re.compile(r"/console/review/[^/?]+$"))  # a reload shows the screen again
        page.reload()
        page.get_by_label("退回原因").fill("境内收发货人名称有误")
        page.get_by_role("button", name="退回").click()
        expect(page.get_by_role("status")).to_have_text("已退回制单人。")
        expect(page.locator(".summary .status")).to_have_text("审核退回")
        shot(page, "23-报关单审核-已退回")
        page.locator("nav.menu").get_by_role("link", name="报关单审核", exact=True).click()
        expect(page.locator("table.grid tbody tr", has_text=declaration_id)).to_contain_text("审核退回")
        shot(page, "24-报关单审核-列表")


@pytest.mark.skipif(not CHROMIUM.exists(), reason="no chromium: run deploy/local/chromium.sh")
def test_a_preparer_syncs_declarations_by_day_and_watches_the_job_complete(tmp_path: Path) -> None:
    with guanwu_up(tmp_path) as (url, data), chromium() as browser:
        password = (data / "demo-password").read_text().strip()
        start = (datetime.now(UTC) - timedelta(days=4)).replace(microsecond=0)
        body = {"enterprise": "demo", "seed": 5, "declarations": 60, "start": start.isoformat(), "days": 3}
        assert httpx.post(f"{url}/sim/datasets", json=body).status_code == 201
        page = browser.new_page(viewport={"width": 1400, "height": 900}, locale="zh-CN")
        log_in_by_form(page, url, "demo", password)
        page.locator("nav.menu").get_by_role("link", name="报关数据同步", exact=True).click()
        expect(page.get_by_role("heading", level=1)).to_have_text("报关数据同步")
        page.get_by_role("tab", name="按天同步").click()
        by_day = page.get_by_role("tabpanel", name="按天同步")
        expect(by_day).to_be_visible()
        expect(by_day.get_by_label("企业类别")).to_have_value("1")
        assert page.evaluate(UNLABELLED) == []
        by_day.get_by_label("境内收发货人").fill("")
        shot(page, "25-报关数据同步-按天同步")
        by_day.get_by_role("button", name="确定").click()
        expect(page.get_by_role("status")).to_contain_text("同步任务已创建")
        row = page.locator("#sync-jobs tbody tr").first
        expect(row).to_contain_text("按天同步")
        expect(row.locator("td.state")).to_have_text("已完成", timeout=60_000)  # by htmx polling, no reload
        fetched = row.locator("td.fetched").inner_text()
        assert int(fetched.replace(",", "")) > 0
        expect(row.locator("td.written")).to_have_text(fetched)
        expect(row.locator("progress")).to_have_attribute("value", "100")
        expect(page.locator("#sync-jobs")).not_to_have_attribute(
            "hx-trigger", re.compile(".")
        )  # polling stopped
        shot(page, "26-报关数据同步-已完成")
