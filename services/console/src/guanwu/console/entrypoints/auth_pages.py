"""Sign-in beyond the local login form: the enterprise switch, and single sign-on through an OIDC issuer."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request, Response
from fastapi.responses import RedirectResponse

from guanwu.console.domain.menu import menu_item
from guanwu.console.entrypoints.pages import render, safe_next, to_login
from guanwu.console.entrypoints.session import (
    choose_tenant,
    read_session,
    require_csrf,
    session_max_age,
)

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
