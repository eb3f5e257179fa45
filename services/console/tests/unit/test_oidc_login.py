"""单点登录's checks without an issuer: the signed login cookie (state, nonce, PKCE), the ID token's claims,
and the callback's refusals as Chinese pages. The whole flow against a real issuer: e2e/test_browser_oidc.py."""

from __future__ import annotations

import base64
import dataclasses
import hashlib
import time
from pathlib import Path
from types import SimpleNamespace
from typing import Any
from urllib.parse import parse_qs, urlsplit

import jwt
import pytest
from console_system import PASSWORD, console_system
from cryptography.hazmat.primitives.asymmetric import rsa
from pydantic import SecretStr

from guanwu.console.adapters_oidc import OidcClient, OidcFailed, Provider
from guanwu.console.config import OidcSettings

pytestmark = pytest.mark.unit

ISSUER = "https://id.example"
SETTINGS = OidcSettings(
    issuer=ISSUER,
    client_id="console",
    client_secret=SecretStr("secret"),
    redirect_url="https://console.example/console/oidc/callback",
    state_secret=SecretStr("k" * 40),
)
KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)


def client() -> OidcClient:
    oidc = OidcClient(SETTINGS, 5.0)
    oidc._provider = Provider(ISSUER, f"{ISSUER}/auth", f"{ISSUER}/token", f"{ISSUER}/jwks", None)
    oidc._keys = SimpleNamespace(get_signing_key_from_jwt=lambda _: SimpleNamespace(key=KEY.public_key()))  # type: ignore[assignment]
    return oidc


async def test_the_authorisation_request_carries_state_nonce_and_an_s256_challenge() -> None:
    oidc = client()
    url, cookie = await oidc.begin("/console/query/declarations")
    query = {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}
    assert url.startswith(f"{ISSUER}/auth?") and query["response_type"] == "code"
    assert query["code_challenge_method"] == "S256" and query["client_id"] == "console"
    flow = oidc.flow(cookie, query["state"])
    digest = hashlib.sha256(flow.verifier.encode()).digest()
    assert query["code_challenge"] == base64.urlsafe_b64encode(digest).rstrip(b"=").decode()
    assert (flow.nonce, flow.next) == (query["nonce"], "/console/query/declarations")
    assert len(flow.verifier) >= 43  # RFC 7636: 43 to 128 characters


async def test_a_callback_not_answering_the_started_login_is_refused() -> None:
    oidc = client()
    _, cookie = await oidc.begin("/console/")
    state = jwt.decode(cookie, options={"verify_signature": False})["state"]
    expired = jwt.encode({**jwt.decode(cookie, options={"verify_signature": False}), "exp": 1}, "k" * 40)
    forged = jwt.encode(jwt.decode(cookie, options={"verify_signature": False}), "another-key-" + "x" * 30)
    cases = {"未找到登录状态": (None, state), "state 不符": (cookie, "other"), "已过期": (expired, state)}
    cases["登录请求无效"] = (forged, state)
    for message, (given, answered) in cases.items():
        with pytest.raises(OidcFailed) as refused:
            oidc.flow(given, answered)
        assert message in refused.value.message


def id_token(**changes: Any) -> str:
    now = int(time.time())
    claims = {"iss": ISSUER, "aud": "console", "sub": "broker", "nonce": "n1", "iat": now, "exp": now + 300}
    claims.update(changes)
    return jwt.encode({k: v for k, v in claims.items() if v is not None}, KEY, algorithm="RS256")


@pytest.mark.parametrize(
    "changes",
    [
        {"nonce": "replayed"},
        {"nonce": None},
        {"aud": "another-client"},
        {"iss": "https://evil.example"},
        {"exp": int(time.time()) - 10},
        {"aud": ["console", "api"], "azp": "api"},
    ],
    ids=["nonce", "no-nonce", "audience", "issuer", "expired", "azp"],
)
def test_id_tokens_that_do_not_answer_this_login_are_refused(changes: dict[str, Any]) -> None:
    oidc = client()
    assert oidc._provider is not None
    assert oidc._id_token_claims(oidc._provider, id_token(), "n1")["sub"] == "broker"
    with pytest.raises(OidcFailed) as refused:
        oidc._id_token_claims(oidc._provider, id_token(**changes), "n1")
    assert refused.value.status == 401 and "身份令牌校验未通过" in refused.value.message


async def test_the_console_offers_single_sign_on_and_refuses_bad_callbacks_in_chinese(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name, value in {
        "ISSUER": ISSUER,
        "CLIENT_ID": "console",
        "REDIRECT_URL": SETTINGS.redirect_url,
    }.items():
        monkeypatch.setenv(f"GUANWU_CONSOLE_OIDC__{name}", value)
    async with console_system(tmp_path) as (_, browser):
        login = await browser.get("/console/login")
        assert "单点登录" in login.text and "/console/oidc/login?next=" in login.text
        assert 'id="username"' in login.text  # local users too: the embedded services take local tokens
        denied = await browser.get("/console/oidc/callback?error=access_denied&state=x")
        assert denied.status_code == 401 and "您已取消或拒绝了登录授权" in denied.text
        lost = await browser.get("/console/oidc/callback?code=c&state=s")
        assert lost.status_code == 400 and "未找到登录状态" in lost.text
        assert "guanwu_session" not in browser.cookies


async def test_without_single_sign_on_its_routes_do_not_exist(tmp_path: Path) -> None:
    async with console_system(tmp_path) as (_, browser):
        assert "单点登录" not in (await browser.get("/console/login")).text
        assert (await browser.get("/console/oidc/login")).status_code == 404
        assert (await browser.get("/console/oidc/callback?code=c&state=s")).status_code == 404


async def test_where_the_services_take_only_the_issuer_s_tokens_the_login_page_offers_single_sign_on_alone(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name, value in {
        "ISSUER": ISSUER,
        "CLIENT_ID": "console",
        "REDIRECT_URL": SETTINGS.redirect_url,
    }.items():
        monkeypatch.setenv(f"GUANWU_CONSOLE_OIDC__{name}", value)
    async with console_system(tmp_path) as (system, browser):
        contexts = system.app.state.service_contexts
        contexts["console"] = dataclasses.replace(contexts["console"], local_login=False)  # as auth.mode=jwks
        login = await browser.get("/console/login?next=/console/query/declarations")
        assert "单点登录" in login.text and 'id="username"' not in login.text
        posted = await browser.post(
            "/console/login",
            data={"username": "zhang", "password": PASSWORD, "csrf_token": browser.cookies["guanwu_csrf"]},
        )
        assert posted.status_code == 303 and posted.headers["location"].startswith("/console/login?next=")
        assert "guanwu_session" not in browser.cookies
