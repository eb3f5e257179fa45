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
"""

from __future__ import annotations

import hmac
import secrets
import time
from dataclasses import dataclass
from typing import Any

import jwt
from fastapi import HTTPException, Request, Response

from guanwu.platform.auth import InvalidToken, Principal, TokenVerifier

SESSION_COOKIE = "guanwu_session"
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
        principal = verifier.verify(token)
    except InvalidToken:
        return None
    return Session(token=token, principal=principal, csrf=request.cookies.get(CSRF_COOKIE, ""))


def csrf_token(request: Request) -> str:
    """The CSRF token of this browser: the cookie's, or a new one (`set_csrf_cookie` sends it)."""
    return request.cookies.get(CSRF_COOKIE) or secrets.token_urlsafe(32)


def _cookie_options(request: Request) -> dict[str, Any]:
    return {"httponly": True, "samesite": "lax", "secure": request.url.scheme == "https", "path": "/"}


def set_csrf_cookie(request: Request, response: Response, value: str) -> None:
    response.set_cookie(CSRF_COOKIE, value, max_age=CSRF_LIFETIME_SECONDS, **_cookie_options(request))


def start_session(request: Request, response: Response, token: str) -> None:
    """The session cookie expires with the token; a fresh CSRF token comes with it (no fixation)."""
    expires_at = int(jwt.decode(token, options={"verify_signature": False}).get("exp", 0))
    max_age = max(expires_at - int(time.time()), 0)
    response.set_cookie(SESSION_COOKIE, token, max_age=max_age, **_cookie_options(request))
    set_csrf_cookie(request, response, secrets.token_urlsafe(32))


def end_session(request: Request, response: Response) -> None:
    for name in (SESSION_COOKIE, CSRF_COOKIE):
        response.delete_cookie(name, **_cookie_options(request))


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
