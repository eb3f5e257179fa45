"""Sign-in beyond the local login form: the enterprise switch, and single sign-on through an OIDC issuer."""

from __future__ import annotations

import asyncio
from typing import Annotated, Any

import structlog
from fastapi import APIRouter, Depends, Form, HTTPException, Request, Response
from fastapi.responses import RedirectResponse

from guanwu.console.adapters_oidc import CALLBACK_PATH, OidcClient, OidcFailed
from guanwu.console.domain.menu import menu_item
from guanwu.console.entrypoints.pages import Context, render, safe_next, to_login
from guanwu.console.entrypoints.session import (
    acting_principal,
    choose_tenant,
    cookie_options,
    read_session,
    require_csrf,
    session_max_age,
    start_session,
)
from guanwu.platform.auth import InvalidToken, TokenVerifier

LOGIN_COOKIE = "guanwu_oidc_login"
"""The started login (state, nonce, PKCE verifier, next page), signed, short-lived, sent to the callback only."""
DENIED = {
    "access_denied": "您已取消或拒绝了登录授权。",
    "login_required": "单点登录服务要求重新登录。",
    "consent_required": "需要您在单点登录服务中同意授权。",
}
log = structlog.get_logger(__name__)

router = APIRouter(include_in_schema=False)


@router.post("/console/tenant", dependencies=[Depends(require_csrf)])
async def switch_tenant(
    request: Request,
    tenant: Annotated[str, Form(min_length=1, max_length=64)],
    next: Annotated[str, Form(max_length=2000)] = "/console/",
) -> Response:
    """Act for another enterprise the user's token lists: the choice is remembered in a cookie and named in
    every API call; the page reloads (a menu screen again, now of that enterprise; any other page → 首页,
    since a record of the previous enterprise is not this one's)."""
    session = read_session(request)
    if session is None:
        return to_login(request, expired=bool(request.cookies.get("guanwu_session")))
    if tenant not in session.principal.tenants:
        return render(
            request, "message.html", session, status=403, title="无权访问", message="您无权访问该企业的数据。"
        )
    target = safe_next(next)
    response = RedirectResponse(target if menu_item(target) else "/console/", status_code=303)
    choose_tenant(request, response, tenant, session_max_age(session))
    return response


def _oidc(context: Any) -> OidcClient:
    if context.oidc is None:
        raise HTTPException(404)
    client: OidcClient = context.oidc
    return client


def _failed(request: Request, failed: OidcFailed) -> Response:
    log.warning("oidc_login_failed", reason=str(failed))
    response = render(
        request, "oidc_error.html", None, status=failed.status, title="单点登录失败", message=failed.message
    )
    response.delete_cookie(LOGIN_COOKIE, **{**cookie_options(request), "path": CALLBACK_PATH})
    return response


@router.get("/console/oidc/login")
async def oidc_login(request: Request, context: Context, next: str = "/console/") -> Response:
    """To the issuer's login page, with state, nonce and a PKCE S256 challenge."""
    oidc = _oidc(context)
    try:
        url, flow = await oidc.begin(safe_next(next))
    except OidcFailed as failed:
        return _failed(request, failed)
    response = RedirectResponse(url, status_code=303)
    options = {**cookie_options(request), "path": CALLBACK_PATH}
    response.set_cookie(LOGIN_COOKIE, flow, max_age=oidc.settings.login_seconds, **options)
    return response


@router.get(CALLBACK_PATH)
async def oidc_callback(
    request: Request,
    context: Context,
    code: str | None = None,
    state: str | None = None,
    error: str | None = None,
) -> Response:
    """The issuer's answer: the started login's state checked, the code exchanged (PKCE), the ID token
    verified, and the access token, which the services verify alike, kept as the session's bearer."""
    oidc = _oidc(context)
    try:
        if error:
            raise OidcFailed(DENIED.get(error, f"单点登录服务拒绝了登录（{error[:64]}）。"), 401, error)
        flow = oidc.flow(request.cookies.get(LOGIN_COOKIE), state)
        if not code:
            raise OidcFailed("登录请求无效（缺少授权码），请重新登录。", 400, "no code")
        tokens = await oidc.finish(code, flow)
        verifier: TokenVerifier = request.app.state.token_verifier
        principal = await asyncio.to_thread(acting_principal, verifier, tokens.access_token, None)
    except OidcFailed as failed:
        return _failed(request, failed)
    except InvalidToken as refused:
        message = (
            "单点登录成功，但您的账号未开通本系统（访问令牌不被接受，或未指明企业和角色），请联系管理员。"
        )
        return _failed(request, OidcFailed(message, 403, f"access token refused: {refused}"))
    log.info("oidc_login", user=principal.user_id, tenants=list(principal.tenants))
    response = RedirectResponse(safe_next(flow.next), status_code=303)
    start_session(request, response, tokens.access_token, id_token=tokens.id_token)
    response.delete_cookie(LOGIN_COOKIE, **{**cookie_options(request), "path": CALLBACK_PATH})
    return response
