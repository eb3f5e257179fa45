"""单点登录 in a real browser against a real OpenID Connect issuer in its own process.

The issuer is panva's `oidc-provider` (Node.js, OpenID certified; `tests/oidc_issuer`, installed with `npm ci`
there when missing): authorisation code with PKCE S256 required, JWT access tokens for the guanwu APIs carrying
the user's enterprises. guanwu runs embedded with every service verifying that issuer's tokens through its JWKS
(`tests/oidc_guanwu.py`); Debian's chromium logs in through the issuer's own login and consent pages, switches
enterprise (a broker's staff member serving two) and never sees the other enterprise's records, logs out at the
issuer, and meets a denied login and a forged state as Chinese pages. The last test does it as deployed: the
console and the declaration service each `guanwu serve`d on Kafka and FerretDB with `auth.mode=jwks`.
Screenshots 70–77."""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from distributed import cluster, free_port
from oidc_test_issuer import console_oidc_settings, oidc_issuer, process
from playwright.sync_api import Browser, Page, expect, sync_playwright

from guanwu.customs import fixtures
from guanwu.platform.auth import TENANT_HEADER

pytestmark = pytest.mark.e2e

TESTS = Path(__file__).resolve().parents[1]
CHROMIUM = Path(os.environ.get("GUANWU_CHROMIUM", "/usr/bin/chromium"))
ARTIFACTS = Path(__file__).resolve().parents[4] / ".local" / "artifacts" / "console"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--no-first-run"]


@pytest.fixture(scope="module")
def system(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str]]:
    """(the issuer's URL, guanwu's URL)."""
    tmp = tmp_path_factory.mktemp("oidc")
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    with oidc_issuer(free_port(), url, tmp / "issuer.log") as issuer:
        console_env = {f"GUANWU_CONSOLE_{k}": v for k, v in console_oidc_settings(issuer, url).items()}
        guanwu = [sys.executable, str(TESTS / "oidc_guanwu.py"), str(port), str(tmp / "data"), issuer]
        with process(guanwu, f"{url}/readyz", tmp / "guanwu.log", console_env, "guanwu to start"):
            yield issuer, url


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        try:
            yield launched
        finally:
            launched.close()


def shot(page: Page, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def sign_in_at_the_issuer(page: Page, url: str, login: str, screenshots: bool = False) -> None:
    page.goto(f"{url}/console/login")
    if screenshots:
        shot(page, "70-登录-单点登录")
    page.get_by_role("link", name="单点登录").click()
    page.locator("input[name=login]").fill(login)
    page.locator("input[name=password]").fill("any password")
    if screenshots:
        shot(page, "71-统一身份认证-登录")
    page.get_by_role("button", name="Sign-in").click()
    page.get_by_role("button", name="Continue").click()  # the issuer's consent


def drafts_through_the_api(page: Page, url: str) -> dict[str, str]:
    """One draft in each enterprise, posted with the session's own access token (the issuer's JWT) and the
    enterprise named in X-Guanwu-Tenant, as the console does; a tenant the token does not list is refused.
    `url`: where the declaration API answers."""
    token = next(c["value"] for c in page.context.cookies() if c["name"] == "guanwu_session")
    document = fixtures.export_sea_general_trade().model_dump(mode="json", exclude_none=True)
    ids = {}
    for tenant in ("acme", "other"):
        headers = {"Authorization": f"Bearer {token}", TENANT_HEADER: tenant}
        answer = httpx.post(f"{url}/api/declaration/declarations", json=document, headers=headers, timeout=30)
        assert answer.status_code == 201, answer.text
        ids[tenant] = answer.json()["declaration_id"]
    refused = httpx.post(
        f"{url}/api/declaration/declarations",
        json=document,
        headers={"Authorization": f"Bearer {token}", TENANT_HEADER: "third"},
        timeout=30,
    )
    assert refused.status_code == 403 and refused.json()["error"]["code"] == "auth.tenant_forbidden"
    return ids


def sees_only(page: Page, url: str, ids: dict[str, str], tenant: str) -> None:
    for owner, declaration in ids.items():
        page.goto(f"{url}/console/declarations/{declaration}")
        if owner == tenant:
            expect(page.locator("body")).not_to_contain_text("未找到该记录")
        else:
            expect(page.locator(".error")).to_contain_text("未找到该记录")


def test_single_sign_on_with_the_enterprise_switch_and_logout(
    browser: Browser, system: tuple[str, str]
) -> None:
    issuer, url = system
    page = browser.new_page(viewport={"width": 1280, "height": 800}, locale="zh-CN")
    sign_in_at_the_issuer(page, url, "broker", screenshots=True)
    expect(page).to_have_url(f"{url}/console/")
    expect(page.locator(".who .user")).to_have_text("用户：broker")
    expect(page.locator(".who .tenant")).to_have_text("企业：acme")  # the first the token lists
    expect(page.get_by_role("link", name="报关单审核")).to_have_count(0)  # a preparer in acme

    ids = drafts_through_the_api(page, url)
    sees_only(page, url, ids, "acme")

    page.goto(f"{url}/console/declarations/export-declaration")
    page.locator(".tenant-switch summary").click()
    expect(page.get_by_role("button", name="other")).to_be_visible()
    shot(page, "72-切换企业")
    page.get_by_role("button", name="other").click()
    expect(page).to_have_url(f"{url}/console/declarations/export-declaration")  # the same screen, reloaded
    expect(page.locator(".who .tenant")).to_have_text("企业：other")
    expect(page.get_by_role("link", name="报关单审核")).to_be_visible()  # a reviewer in other
    shot(page, "73-切换企业-已切换")
    sees_only(page, url, ids, "other")
    page.goto(f"{url}/console/declarations/{ids['other']}")
    shot(page, "74-切换企业-本企业报关单")

    page.goto(f"{url}/console/")
    page.get_by_role("button", name="退出").click()
    expect(page).to_have_url(re.compile(re.escape(issuer)))  # the issuer's logout asks first
    page.get_by_role("button", name="Yes, sign me out").click()
    expect(page).to_have_url(re.compile(re.escape(f"{url}/console/login")))
    expect(page.get_by_role("heading", name="用户登录")).to_be_visible()
    page.goto(f"{url}/console/")
    expect(page.get_by_role("heading", name="用户登录")).to_be_visible()  # no session left
    page.close()


def test_a_denied_login_a_forged_state_and_an_unknown_user_are_chinese_pages(
    browser: Browser, system: tuple[str, str]
) -> None:
    _, url = system
    page = browser.new_page(viewport={"width": 1280, "height": 800}, locale="zh-CN")
    page.goto(f"{url}/console/login")
    page.get_by_role("link", name="单点登录").click()
    page.get_by_role("link", name="[ Cancel ]").click()
    expect(page.get_by_role("heading", name="单点登录失败")).to_be_visible()
    expect(page.locator(".error")).to_have_text("您已取消或拒绝了登录授权。")
    shot(page, "75-单点登录-已拒绝")

    page.goto(f"{url}/console/oidc/login")  # a login started, then a callback that is not its answer
    page.goto(f"{url}/console/oidc/callback?code=forged&state=forged")
    expect(page.locator(".error")).to_contain_text("state 不符")
    shot(page, "76-单点登录-请求无效")

    sign_in_at_the_issuer(page, url, "stranger")
    expect(page.locator(".error")).to_contain_text("未开通本系统")
    page.goto(f"{url}/console/")
    expect(page.get_by_role("heading", name="用户登录")).to_be_visible()
    page.close()


@pytest.fixture(scope="module")
def distributed(kafka_bootstrap: str, mongo_url: str) -> Iterator[tuple[str, str, str]]:
    """As deployed: `guanwu serve console` and `guanwu serve declaration`, each its own process on Kafka and
    FerretDB, both with `auth.mode=jwks` on the issuer (settings only, nothing swapped). (issuer, console URL,
    declaration URL)."""
    with cluster(kafka_bootstrap, mongo_url) as running:
        issuer_port = free_port()
        issuer_url = f"http://127.0.0.1:{issuer_port}"
        jwks = {
            "AUTH__MODE": "jwks",
            "AUTH__JWKS_URL": f"{issuer_url}/jwks",
            "AUTH__ISSUER": issuer_url,
            "AUTH__AUDIENCE": "guanwu",
        }
        declaration = running.service("declaration", **jwks)
        console = running.service("console", **jwks, DECLARATION_URL=declaration.url)
        console.env.update(
            {f"GUANWU_CONSOLE_{k}": v for k, v in console_oidc_settings(issuer_url, console.url).items()}
        )
        log = declaration.log_path.with_name(f"oidc-issuer-{issuer_port}.log")
        with oidc_issuer(issuer_port, console.url, log) as issuer:
            declaration.start()
            console.start()
            yield issuer, console.url, declaration.url


def test_distributed_the_console_signs_in_only_through_the_issuer_and_each_service_keeps_one_enterprise(
    browser: Browser, distributed: tuple[str, str, str]
) -> None:
    _, url, declaration_url = distributed
    page = browser.new_page(viewport={"width": 1280, "height": 800}, locale="zh-CN")
    page.goto(f"{url}/console/login")
    expect(page.locator("#username")).to_have_count(0)  # no local users where the services take jwks tokens
    shot(page, "77-登录-仅单点登录")
    sign_in_at_the_issuer(page, url, "broker")
    expect(page.locator(".who .tenant")).to_have_text("企业：acme")
    ids = drafts_through_the_api(page, declaration_url)
    sees_only(page, url, ids, "acme")
    page.locator(".tenant-switch summary").click()
    page.get_by_role("button", name="other").click()
    expect(page.locator(".who .tenant")).to_have_text("企业：other")
    sees_only(page, url, ids, "other")
    page.close()
