"""The console as a client of an external OpenID Connect issuer: authorisation code + PKCE (S256).

Choices:
- No server-side state: the login's `state`, `nonce`, PKCE verifier and the page to return to travel in a
  short-lived cookie signed (HS256) with the console's key, scoped to the callback's path. The browser holds
  the verifier, as a server session would for it; the code is useless without it and the client's secret.
- The ID token is verified here (signature by the issuer's JWKS through PyJWT's `PyJWKClient`, issuer,
  audience = client id, `azp` when several audiences, expiry, nonce); the access token, the session's bearer,
  is verified as every service verifies it (`app.state.token_verifier`, `auth.mode=jwks`).
- Discovery (`/.well-known/openid-configuration`) is read at the first login and kept; its `issuer` must be
  the configured one (no mix-up).
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import secrets
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, urlencode

import httpx
import jwt

from guanwu.console.config import OidcSettings

ID_TOKEN_ALGORITHMS = ["RS256", "ES256", "PS256"]
CALLBACK_PATH = "/console/oidc/callback"


class OidcFailed(Exception):
    """The login cannot go on: `message` says why in Chinese; `status` is the page's."""

    def __init__(self, message: str, status: int = 400, detail: str = "") -> None:
        super().__init__(detail or message)
        self.message = message
        self.status = status


@dataclass(frozen=True)
class Provider:
    issuer: str
    authorization_endpoint: str
    token_endpoint: str
    jwks_uri: str
    end_session_endpoint: str | None


@dataclass(frozen=True)
class LoginFlow:
    state: str
    nonce: str
    verifier: str
    next: str


@dataclass(frozen=True)
class Tokens:
    access_token: str
    id_token: str
    subject: str


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


class OidcClient:
    def __init__(self, settings: OidcSettings, timeout_seconds: float) -> None:
        self.settings = settings
        self._timeout = timeout_seconds
        secret = settings.state_secret.get_secret_value() if settings.state_secret else None
        self._key = secret or secrets.token_urlsafe(48)
        self._provider: Provider | None = None
        self._keys: jwt.PyJWKClient | None = None
        self._lock = asyncio.Lock()

    async def provider(self) -> Provider:
        async with self._lock:
            if self._provider is None:
                self._provider = await self._discover()
                self._keys = jwt.PyJWKClient(self._provider.jwks_uri, cache_keys=True)
            return self._provider

    async def _discover(self) -> Provider:
        issuer = self.settings.issuer.rstrip("/")
        try:
            async with httpx.AsyncClient(timeout=self._timeout) as http:
                answer = await http.get(f"{issuer}/.well-known/openid-configuration")
                answer.raise_for_status()
                meta = answer.json()
        except (httpx.HTTPError, ValueError) as exc:
            raise OidcFailed("无法连接单点登录服务，请稍后重试。", 502, f"discovery failed: {exc}") from exc
        if not isinstance(meta, dict) or str(meta.get("issuer", "")).rstrip("/") != issuer:
            raise OidcFailed("单点登录服务配置有误（issuer 不符）。", 502, "discovery names another issuer")
        try:
            return Provider(
                issuer=meta["issuer"],
                authorization_endpoint=meta["authorization_endpoint"],
                token_endpoint=meta["token_endpoint"],
                jwks_uri=meta["jwks_uri"],
                end_session_endpoint=meta.get("end_session_endpoint"),
            )
        except KeyError as exc:
            raise OidcFailed("单点登录服务配置有误。", 502, f"discovery lacks {exc}") from exc

    async def begin(self, next_page: str) -> tuple[str, str]:
        """The issuer's authorisation URL, and the signed flow cookie to set."""
        provider = await self.provider()
        flow = LoginFlow(
            secrets.token_urlsafe(24), secrets.token_urlsafe(24), secrets.token_urlsafe(48), next_page
        )
        challenge = _b64(hashlib.sha256(flow.verifier.encode()).digest())
        query = {
            "response_type": "code",
            "client_id": self.settings.client_id,
            "redirect_uri": self.settings.redirect_url,
            "scope": self.settings.scopes,
            "state": flow.state,
            "nonce": flow.nonce,
            "code_challenge": challenge,
            "code_challenge_method": "S256",
        }
        sign = {**flow.__dict__, "exp": int(time.time()) + self.settings.login_seconds}
        return f"{provider.authorization_endpoint}?{urlencode(query)}", jwt.encode(sign, self._key, "HS256")

    def flow(self, cookie: str | None, state: str | None) -> LoginFlow:
        """The started login this callback answers: refused if missing, expired, forged or of another state."""
        if not cookie:
            raise OidcFailed("登录请求已失效（未找到登录状态），请重新登录。", 400, "no login cookie")
        try:
            claims = jwt.decode(cookie, self._key, algorithms=["HS256"], options={"require": ["exp"]})
        except jwt.ExpiredSignatureError as exc:
            raise OidcFailed("登录请求已过期，请重新登录。", 400, "login cookie expired") from exc
        except jwt.PyJWTError as exc:
            raise OidcFailed("登录请求无效，请重新登录。", 400, f"bad login cookie: {exc}") from exc
        flow = LoginFlow(claims["state"], claims["nonce"], claims["verifier"], claims["next"])
        if not state or not secrets.compare_digest(flow.state.encode(), state.encode()):
            raise OidcFailed("登录请求无效（state 不符），请重新登录。", 400, "state mismatch")
        return flow

    async def finish(self, code: str, flow: LoginFlow) -> Tokens:
        """Exchange the code (with the PKCE verifier) and verify the ID token."""
        provider = await self.provider()
        form = {
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": self.settings.redirect_url,
            "code_verifier": flow.verifier,
        }
        auth: httpx.BasicAuth | None = None
        if self.settings.client_secret is None:
            form["client_id"] = self.settings.client_id
        else:  # client_secret_basic: both form-urlencoded first (RFC 6749 2.3.1)
            secret = self.settings.client_secret.get_secret_value()
            auth = httpx.BasicAuth(quote(self.settings.client_id, safe=""), quote(secret, safe=""))
        try:
            async with httpx.AsyncClient(timeout=self._timeout, auth=auth) as http:
                answer = await http.post(provider.token_endpoint, data=form)
        except httpx.HTTPError as exc:
            raise OidcFailed("无法连接单点登录服务，请稍后重试。", 502, f"token endpoint: {exc}") from exc
        body = _json(answer)
        if answer.is_error or "access_token" not in body or "id_token" not in body:
            error = body.get("error", f"HTTP {answer.status_code}")
            raise OidcFailed(
                "单点登录失败：授权码无效或已过期，请重新登录。", 401, f"token endpoint refused: {error}"
            )
        claims = await asyncio.to_thread(self._id_token_claims, provider, str(body["id_token"]), flow.nonce)
        return Tokens(str(body["access_token"]), str(body["id_token"]), str(claims.get("sub", "")))

    def _id_token_claims(self, provider: Provider, id_token: str, nonce: str) -> dict[str, Any]:
        assert self._keys is not None  # set with the provider
        try:
            key = self._keys.get_signing_key_from_jwt(id_token)
            claims: dict[str, Any] = jwt.decode(
                id_token,
                key.key,
                algorithms=ID_TOKEN_ALGORITHMS,
                audience=self.settings.client_id,
                issuer=provider.issuer,
                options={"require": ["exp", "iat", "sub"]},
            )
        except jwt.PyJWTError as exc:
            raise OidcFailed("单点登录失败：身份令牌校验未通过。", 401, f"id token: {exc}") from exc
        if not secrets.compare_digest(str(claims.get("nonce", "")).encode(), nonce.encode()):
            raise OidcFailed("单点登录失败：身份令牌校验未通过。", 401, "id token nonce mismatch")
        audiences = claims["aud"] if isinstance(claims["aud"], list) else [claims["aud"]]
        if len(audiences) > 1 and claims.get("azp") != self.settings.client_id:
            raise OidcFailed("单点登录失败：身份令牌校验未通过。", 401, "id token azp is not this client")
        return claims

    async def logout_url(self, id_token: str | None) -> str | None:
        """The issuer's end-session URL (None: it offers none)."""
        try:
            provider = await self.provider()
        except OidcFailed:
            return None
        if not provider.end_session_endpoint:
            return None
        query = {"client_id": self.settings.client_id}
        if id_token:
            query["id_token_hint"] = id_token
        if self.settings.post_logout_redirect_url:
            query["post_logout_redirect_uri"] = self.settings.post_logout_redirect_url
        return f"{provider.end_session_endpoint}?{urlencode(query)}"


def _json(response: httpx.Response) -> dict[str, Any]:
    try:
        body = response.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}
