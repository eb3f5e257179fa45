"""Login, session cookie, CSRF and logout of the console, through the embedded app in process."""

from __future__ import annotations

import time
from pathlib import Path

import jwt
import pytest
from console_system import console_system, hidden_csrf, log_in
from embedded_system import SECRET

pytestmark = pytest.mark.unit


async def test_the_root_leads_a_stranger_to_the_login_page(tmp_path: Path) -> None:
    async with console_system(tmp_path) as (_, client):
        root = await client.get("/")
        assert root.status_code == 303 and root.headers["location"] == "/console/"
        home = await client.get("/console/")
        assert home.status_code == 303 and home.headers["location"].startswith("/console/login?next=")
        login = await client.get(home.headers["location"])
        assert "用户登录" in login.text and 'for="username"' in login.text and 'for="password"' in login.text


async def test_login_sets_an_http_only_lax_session_cookie_expiring_with_the_token(tmp_path: Path) -> None:
    async with console_system(tmp_path) as (_, client):
        answer = await log_in(client, "zhang")
        assert answer.status_code == 303 and answer.headers["location"] == "/console/"
        cookies = [v for k, v in answer.headers.multi_items() if k == "set-cookie"]
        session = next(c for c in cookies if c.startswith("guanwu_session="))
        assert "HttpOnly" in session and "SameSite=lax" in session and "Secure" not in session
        max_age = int(session.split("Max-Age=")[1].split(";")[0])
        assert 8 * 3600 - 60 <= max_age <= 8 * 3600  # the local issuer's token lives 8 hours
        home = await client.get("/console/")
        assert home.status_code == 200
        assert "用户：zhang" in home.text and "企业：acme" in home.text


async def test_a_wrong_password_is_refused_in_chinese(tmp_path: Path) -> None:
    async with console_system(tmp_path) as (_, client):
        answer = await log_in(client, "zhang", "wrong")
        assert answer.status_code == 401 and "用户名或密码错误" in answer.text
        assert "guanwu_session" not in client.cookies


async def test_a_post_without_the_csrf_token_is_refused(tmp_path: Path) -> None:
    async with console_system(tmp_path) as (_, client):
        await client.get("/console/login")
        forged = await client.post("/console/login", data={"username": "zhang", "password": "x"})
        assert forged.status_code == 403
        wrong = await client.post(
            "/console/login", data={"username": "zhang", "password": "x", "csrf_token": "guess"}
        )
        assert wrong.status_code == 403
        await log_in(client, "zhang")
        assert (await client.post("/console/logout")).status_code == 403
        assert (await client.get("/console/")).status_code == 200  # still signed in


async def test_logout_ends_the_session(tmp_path: Path) -> None:
    async with console_system(tmp_path) as (_, client):
        await log_in(client, "zhang")
        home = await client.get("/console/")
        out = await client.post("/console/logout", data={"csrf_token": hidden_csrf(home.text)})
        assert out.status_code == 303 and out.headers["location"] == "/console/login"
        assert (await client.get("/console/")).status_code == 303


async def test_an_expired_session_goes_back_to_login_saying_so(tmp_path: Path) -> None:
    async with console_system(tmp_path) as (_, client):
        expired = jwt.encode(
            {
                "sub": "zhang",
                "tenant": "acme",
                "roles": ["preparer"],
                "iss": "guanwu-local",
                "aud": "guanwu",
                "iat": int(time.time()) - 7200,
                "exp": int(time.time()) - 10,
            },
            SECRET,
            algorithm="HS256",
        )
        client.cookies.set("guanwu_session", expired)
        page = await client.get("/console/declarations/export-declaration")
        assert page.status_code == 303
        assert (
            "expired=1" in page.headers["location"]
            and "next=%2Fconsole%2Fdeclarations" in page.headers["location"]
        )
        login = await client.get(page.headers["location"])
        assert "登录已过期" in login.text


async def test_next_never_leaves_the_console(tmp_path: Path) -> None:
    async with console_system(tmp_path) as (_, client):
        page = await client.get("/console/login", params={"next": "//evil.example/"})
        form = {
            "username": "zhang",
            "password": "correct horse battery staple",
            "csrf_token": hidden_csrf(page.text),
            "next": "https://evil.example/",
        }
        answer = await client.post("/console/login", data=form)
        assert answer.headers["location"] == "/console/"


async def test_secure_cookies_are_marked_secure_behind_a_proxy_that_ends_tls(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Behind an ingress terminating TLS the console sees http; GUANWU_CONSOLE_SECURE_COOKIES marks its cookies
    Secure all the same (the session's holds the bearer token)."""
    monkeypatch.setenv("GUANWU_CONSOLE_SECURE_COOKIES", "true")
    async with console_system(tmp_path) as (_, client):
        page = await client.get("/console/login")
        cookies = [v for k, v in page.headers.multi_items() if k == "set-cookie"]
        csrf = next(c for c in cookies if c.startswith("guanwu_csrf="))
        assert "Secure" in csrf and "HttpOnly" in csrf
