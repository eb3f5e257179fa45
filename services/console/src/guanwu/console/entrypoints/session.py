"""The console's session: a cookie holding the user's bearer token, and CSRF protection of every POST.

Choices:
- The session cookie holds the API token itself (HttpOnly, SameSite=Lax, Secure over https, expiring with the
  token) rather than a server-side session id: the console stays stateless like the services, and every
  API call is authorised by the services exactly as for any other client. Logging out deletes the cookie;
  the token itself lives on until its `exp` (the local issuer has no revocation list).
- CSRF: double submit, per session. A random token sits in its own HttpOnly cookie, set with the login form
  and renewed at login; every POST must bring the same value in the form field `csrf_token` or the header
  `X-CSRF-Token` (htmx sends it from `hx-headers`). A cross-site form can neither read the cookie nor set it,
  and SameSite=Lax keeps the cookies off cross-site POSTs as a second line.
- Enterprise switch: a user whose token lists several tenants (a broker's staff) picks one; the choice sits in
  its own cookie and every API call names it (`X-Guanwu-Tenant`, see `adapters.ACTING_TENANT`). The cookie
  grants nothing: a service accepts the tenant only when the user's signed token lists it, and each request
  acts for that one tenant alone. A choice the token does not list (stale) falls back to the token's own.
"""

from __future__ import annotations

import hmac
import secrets
import time
from dataclasses import dataclass
from typing import Any

import jwt
from fastapi import HTTPException, Request, Response

from guanwu.console.adapters import ACTING_TENANT
from guanwu.platform.auth import InvalidToken, Principal, TenantRefused, TokenVerifier

SESSION_COOKIE = "guanwu_session"
TENANT_COOKIE = "guanwu_tenant"
OIDC_COOKIE = "guanwu_oidc"
"""An OIDC session's ID token (the `id_token_hint` of the issuer's logout)."""
CSRF_COOKIE = "guanwu_csrf"
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "X-CSRF-Token"
CSRF_LIFETIME_SECONDS = 24 * 3600


@dataclass(frozen=True)
class Session:
    token: str
    principal: Principal
    csrf: str


def read_session(request: Request) -> Session | None:
    """The signed-in user, or None when there is no session or its token no longer verifies (expired)."""
    token = request.cookies.get(SESSION_COOKIE)
    if not token:
        return None
    verifier: TokenVerifier = request.app.state.token_verifier
    try:
        principal = acting_principal(verifier, token, request.cookies.get(TENANT_COOKIE) or None)
    except InvalidToken:
        return None
    ACTING_TENANT.set(principal.tenant)
    return Session(token=token, principal=principal, csrf=request.cookies.get(CSRF_COOKIE, ""))


def acting_principal(verifier: TokenVerifier, token: str, chosen: str | None) -> Principal:
    """The user for the chosen tenant; for a stale or missing choice the token's own tenant, or (a token
    listing several and naming none) the first it lists."""
    try:
        return verifier.verify(token, tenant=chosen)
    except TenantRefused as refused:
        last = refused
    if chosen is not None:  # a stale choice: the token's own tenant
        try:
            return verifier.verify(token)
        except TenantRefused as refused:
            last = refused
    if not last.choices:
        raise InvalidToken(str(last)) from last
    return verifier.verify(token, tenant=last.choices[0])


def csrf_token(request: Request) -> str:
    """The CSRF token of this browser: the cookie's, or a new one (`set_csrf_cookie` sends it)."""
    return request.cookies.get(CSRF_COOKIE) or secrets.token_urlsafe(32)


def cookie_options(request: Request) -> dict[str, Any]:
    context = getattr(request.app.state, "service_contexts", {}).get("console")
    secure = request.url.scheme == "https" or bool(getattr(context, "secure_cookies", False))
    return {"httponly": True, "samesite": "lax", "secure": secure, "path": "/"}


def set_csrf_cookie(request: Request, response: Response, value: str) -> None:
    response.set_cookie(CSRF_COOKIE, value, max_age=CSRF_LIFETIME_SECONDS, **cookie_options(request))


def start_session(request: Request, response: Response, token: str, id_token: str | None = None) -> int:
    """The session cookie expires with the token; a fresh CSRF token comes with it (no fixation), and no
    earlier session's enterprise choice. `id_token`: an OIDC login's. Returns the session's max-age."""
    expires_at = int(jwt.decode(token, options={"verify_signature": False}).get("exp", 0))
    max_age = max(expires_at - int(time.time()), 0)
    response.set_cookie(SESSION_COOKIE, token, max_age=max_age, **cookie_options(request))
    set_csrf_cookie(request, response, secrets.token_urlsafe(32))
    response.delete_cookie(TENANT_COOKIE, **cookie_options(request))
    if id_token:
        response.set_cookie(OIDC_COOKIE, id_token, max_age=max_age, **cookie_options(request))
    else:
        response.delete_cookie(OIDC_COOKIE, **cookie_options(request))
    return max_age


def session_max_age(session: Session) -> int:
    expires_at = int(jwt.decode(session.token, options={"verify_signature": False}).get("exp", 0))
    return max(expires_at - int(time.time()), 0)


def choose_tenant(request: Request, response: Response, tenant: str, max_age: int) -> None:
    response.set_cookie(TENANT_COOKIE, tenant, max_age=max_age, **cookie_options(request))


def end_session(request: Request, response: Response) -> None:
    for name in (SESSION_COOKIE, CSRF_COOKIE, TENANT_COOKIE, OIDC_COOKIE):
        response.delete_cookie(name, **cookie_options(request))


async def require_csrf(request: Request) -> None:
    """Dependency of every POST route: 403 unless the form field or header matches the CSRF cookie."""
    expected = request.cookies.get(CSRF_COOKIE, "")
    given = request.headers.get(CSRF_HEADER)
    if given is None:
        form = await request.form()
        value = form.get(CSRF_FIELD)
        given = value if isinstance(value, str) else ""
    if not expected or not hmac.compare_digest(expected.encode(), given.encode()):
        raise HTTPException(
            403,
            detail={
                "code": "console.csrf",
                "message_zh": "页面已失效（安全校验未通过），请刷新页面后重试",
                "message_en": "CSRF check failed: reload the page and try again",
            },
        )
