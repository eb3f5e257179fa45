"""The console's screens: module-level routes rendering Jinja2 templates from the services' APIs."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Form, HTTPException, Request, Response
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse
from fastapi.templating import Jinja2Templates

from guanwu.console.adapters import ApiRefused, SessionExpired
from guanwu.console.domain.detail import audit_action
from guanwu.console.domain.menu import MENU, may_open, menu_for, menu_item
from guanwu.console.domain.screens import (
    ListScreen,
    format_cell,
)
from guanwu.console.entrypoints.session import (
    OIDC_COOKIE,
    Session,
    csrf_token,
    end_session,
    read_session,
    require_csrf,
    set_csrf_cookie,
    start_session,
)
from guanwu.console.service_layer import ConsoleContext, load_list
from guanwu.platform.http.context import service_context

PACKAGE = Path(__file__).resolve().parent.parent
STATIC = PACKAGE / "static"
STATIC_FILES = frozenset(p.name for p in STATIC.iterdir() if p.suffix in (".js", ".css"))
templates = Jinja2Templates(directory=PACKAGE / "templates")
templates.env.globals["format_cell"] = format_cell
templates.env.globals["audit_action"] = audit_action

Context = Annotated[ConsoleContext, Depends(service_context("console"))]
router = APIRouter(include_in_schema=False)


def render(
    request: Request, name: str, session: Session | None, status: int = 200, **values: Any
) -> Response:
    csrf = session.csrf if session and session.csrf else csrf_token(request)
    menu = menu_for(session.principal.roles) if session else []
    page = {"session": session, "menu": menu, "csrf": csrf, "current_path": request.url.path, **values}
    response = templates.TemplateResponse(request, name, page, status_code=status)
    if not request.cookies.get("guanwu_csrf"):
        set_csrf_cookie(request, response, csrf)
    return response


def to_login(request: Request, *, expired: bool, next: str | None = None) -> Response:
    """The login page, coming back to `next` (by default this address) once signed in."""
    query = {"next": next or request.url.path + (f"?{request.url.query}" if request.url.query else "")}
    if expired:
        query["expired"] = "1"
    target = f"/console/login?{urlencode(query)}"
    response: Response
    if request.headers.get("HX-Request"):
        response = Response(status_code=204, headers={"HX-Redirect": target})
    else:
        response = RedirectResponse(target, status_code=303)
    if expired:
        end_session(request, response)
    return response


def safe_next(target: str) -> str:
    """Only a path of the console itself: never another site (`//evil`, `https://…`)."""
    ok = target.startswith("/console/") and not target.startswith("//") and "\\" not in target
    return target if ok else "/console/"


@router.get("/")
async def root() -> Response:
    return RedirectResponse("/console/", status_code=303)


@router.get("/console/static/{name}")
async def static(name: str) -> Response:
    if name not in STATIC_FILES:
        raise HTTPException(404)
    return FileResponse(STATIC / name, headers={"Cache-Control": "public, max-age=3600"})


@router.get("/console/login")
async def login_page(
    request: Request, context: Context, next: str = "/console/", expired: str | None = None
) -> Response:
    return render(
        request,
        "login.html",
        None,
        title="登录",
        next=safe_next(next),
        expired=bool(expired),
        error=None,
        username="",
        oidc=context.oidc is not None,
        local_login=context.local_login,
    )


@router.post("/console/login", dependencies=[Depends(require_csrf)])
async def login(
    request: Request,
    context: Context,
    username: Annotated[str, Form(max_length=64)],
    password: Annotated[str, Form(max_length=256)],
    next: Annotated[str, Form(max_length=2000)] = "/console/",
) -> Response:
    if not context.local_login:  # the services take the issuer's tokens only: single sign-on
        return RedirectResponse(f"/console/login?{urlencode({'next': safe_next(next)})}", status_code=303)
    async with context.apis(request.app) as apis:
        result = await apis.login(username, password)
    if result is None:
        return render(
            request,
            "login.html",
            None,
            status=401,
            title="登录",
            next=safe_next(next),
            expired=False,
            error="用户名或密码错误",
            username=username,
            oidc=context.oidc is not None,
            local_login=context.local_login,
        )
    response = RedirectResponse(safe_next(next), status_code=303)
    start_session(request, response, result.access_token)
    return response


@router.post("/console/logout", dependencies=[Depends(require_csrf)])
async def logout(request: Request, context: Context) -> Response:
    """Ends the console's session; an OIDC session also at the issuer, when it offers an end-session endpoint
    (it comes back to `oidc.post_logout_redirect_url`)."""
    target = "/console/login"
    id_token = request.cookies.get(OIDC_COOKIE)
    if id_token and context.oidc is not None:
        target = await context.oidc.logout_url(id_token) or target
    response = RedirectResponse(target, status_code=303)
    end_session(request, response)
    return response


@router.get("/console/")
async def home(request: Request) -> Response:
    session = read_session(request)
    if session is None:
        return to_login(request, expired=bool(request.cookies.get("guanwu_session")))
    return render(request, "home.html", session, title="首页")


def signed_in(request: Request, menu_path: str) -> Session | Response:
    """The session, or the answer instead of the page: the login page, or 403 for a menu entry the user's
    roles do not show."""
    session = read_session(request)
    if session is None:
        return to_login(request, expired=bool(request.cookies.get("guanwu_session")))
    if not may_open(session.principal.roles, menu_path):
        return render(
            request, "message.html", session, status=403, title="无权访问", message="您的角色无权使用此功能。"
        )
    return session


async def list_page(
    request: Request,
    context: Context,
    screen: ListScreen,
    page: int,
    *,
    path: str | None = None,
    error: str | None = None,
    status: int = 200,
    **values: Any,
) -> Response:
    """A list screen at `path` (by default the request's), with an `error` of a POST above it if any."""
    path = path or request.url.path
    session = signed_in(request, path)
    if not isinstance(session, Session):
        return session
    form = dict(request.query_params)
    try:
        async with context.apis(request.app) as apis:
            result = await load_list(apis, session.token, screen, form, page, context.page_size)
    except SessionExpired:
        return to_login(request, expired=True)
    except ApiRefused as refused:
        return render(
            request,
            "list.html",
            session,
            status=refused.status,
            title=screen.title,
            screen=screen,
            result=None,
            error=refused.message,
            page_url=None,
            current_path=path,
            **values,
        )

    def page_url(number: int) -> str:
        return f"{path}?{urlencode({**result.values, 'page': number})}"

    return render(
        request,
        "list.html",
        session,
        status=status,
        title=screen.title,
        screen=screen,
        result=result,
        error=error,
        page_url=page_url,
        current_path=path,
        **values,
    )


def refused_page(request: Request, session: Session, refused: ApiRefused, title: str) -> Response:
    """The API's refusal as a page: 404 (another tenant's or no such id) and 403 keep their status."""
    status = refused.status if refused.status in (403, 404) else 200
    message = "未找到该记录（不存在或不属于本企业）。" if refused.status == 404 else refused.message
    return render(request, "message.html", session, status=status, title=title, message=message)


async def not_built(request: Request) -> Response:
    session = signed_in(request, request.url.path)
    if not isinstance(session, Session):
        return session
    item = menu_item(request.url.path)
    return render(request, "not_built.html", session, title=item.title if item else "尚未建成")


for _group in MENU:
    for _item in _group.items:
        if not _item.built:
            router.add_api_route(_item.path, not_built, methods=["GET"], response_class=HTMLResponse)
