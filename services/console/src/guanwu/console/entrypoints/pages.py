"""The console's screens: module-level routes rendering Jinja2 templates from the services' APIs."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import quote, urlencode

from fastapi import APIRouter, Depends, Form, HTTPException, Request, Response
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse
from fastapi.templating import Jinja2Templates

from guanwu.console.adapters import ApiRefused, SessionExpired
from guanwu.console.domain.detail import audit_action, declaration_view
from guanwu.console.domain.menu import DECLARATION_SCREENS, MENU, may_open, menu_for, menu_item
from guanwu.console.domain.screens import (
    REVIEW_TASKS,
    ListScreen,
    anomaly_screen,
    declaration_screen,
    format_cell,
)
from guanwu.console.entrypoints.session import (
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


def to_login(request: Request, *, expired: bool) -> Response:
    query = {"next": request.url.path + (f"?{request.url.query}" if request.url.query else "")}
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
async def login_page(request: Request, next: str = "/console/", expired: str | None = None) -> Response:
    return render(
        request,
        "login.html",
        None,
        title="登录",
        next=safe_next(next),
        expired=bool(expired),
        error=None,
        username="",
    )


@router.post("/console/login", dependencies=[Depends(require_csrf)])
async def login(
    request: Request,
    context: Context,
    username: Annotated[str, Form(max_length=64)],
    password: Annotated[str, Form(max_length=256)],
    next: Annotated[str, Form(max_length=2000)] = "/console/",
) -> Response:
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
        )
    response = RedirectResponse(safe_next(next), status_code=303)
    start_session(request, response, result.access_token)
    return response


@router.post("/console/logout", dependencies=[Depends(require_csrf)])
async def logout(request: Request) -> Response:
    response = RedirectResponse("/console/login", status_code=303)
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


async def list_page(request: Request, context: Context, screen: ListScreen, page: int) -> Response:
    session = signed_in(request, request.url.path)
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
        )

    def page_url(number: int) -> str:
        return f"{request.url.path}?{urlencode({**result.values, 'page': number})}"

    return render(
        request,
        "list.html",
        session,
        title=screen.title,
        screen=screen,
        result=result,
        error=None,
        page_url=page_url,
    )


@router.get("/console/declarations/{slug}")
async def declarations(request: Request, context: Context, slug: str, page: int = 1) -> Response:
    """A 制单 list (`export-declaration` …), or else one declaration (its id)."""
    if slug in DECLARATION_SCREENS:
        return await list_page(request, context, declaration_screen(slug), page)
    return await declaration_detail(request, context, slug)


def refused_page(request: Request, session: Session, refused: ApiRefused, title: str) -> Response:
    """The API's refusal as a page: 404 (another tenant's or no such id) and 403 keep their status."""
    status = refused.status if refused.status in (403, 404) else 200
    message = "未找到该记录（不存在或不属于本企业）。" if refused.status == 404 else refused.message
    return render(request, "message.html", session, status=status, title=title, message=message)


async def declaration_detail(request: Request, context: Context, declaration_id: str) -> Response:
    session = read_session(request)
    if session is None:
        return to_login(request, expired=bool(request.cookies.get("guanwu_session")))
    try:
        async with context.apis(request.app) as apis:
            declaration = await apis.get(
                "declaration",
                f"/api/declaration/declarations/{quote(declaration_id, safe='')}",
                session.token,
            )
    except SessionExpired:
        return to_login(request, expired=True)
    except ApiRefused as refused:
        return refused_page(request, session, refused, "报关单详情")
    return render(
        request,
        "declaration.html",
        session,
        title="报关单详情",
        declaration=declaration,
        view=declaration_view(declaration.get("document") or {}),
    )


@router.get("/console/review/tasks")
async def review_tasks(request: Request, context: Context, page: int = 1) -> Response:
    return await list_page(request, context, REVIEW_TASKS, page)


REVIEW_DONE = {"marks": "标记已保存。", "approve": "已审核通过。", "reject": "已退回制单人。"}


async def review_page(
    request: Request,
    context: Context,
    review_id: str,
    *,
    error: str | None = None,
    status: int = 200,
    done: str | None = None,
) -> Response:
    """The review screen; with `error`, answered with the refusal's `status` (the page says what failed)."""
    session = signed_in(request, "/console/review/tasks")
    if not isinstance(session, Session):
        return session
    try:
        async with context.apis(request.app) as apis:
            task = await apis.get("review", f"/api/review/tasks/{quote(review_id, safe='')}", session.token)
            path = f"/api/declaration/declarations/{quote(task['declaration_id'], safe='')}"
            declaration = await apis.get("declaration", path, session.token)
    except SessionExpired:
        return to_login(request, expired=True)
    except ApiRefused as refused:
        return refused_page(request, session, refused, "报关单审核")
    marks = {
        m["field_path"]: {"verdict": m["verdict"], "comment": m.get("comment") or ""} for m in task["marks"]
    }
    return render(
        request,
        "review.html",
        session,
        status=status,
        title="报关单审核",
        task=task,
        declaration=declaration,
        view=declaration_view(declaration.get("document") or {}),
        marks=marks,
        error=error,
        done=REVIEW_DONE.get(done or ""),
    )


async def refused_action(
    request: Request, context: Context, review_id: str, message: str, status: int
) -> Response:
    """The review screen saying why an action was refused, at the screen's own address (not the action's, which
    a reload would post to), so the reviewer can reload and try again."""
    response = await review_page(request, context, review_id, error=message, status=status)
    response.headers["HX-Push-Url"] = f"/console/review/{quote(review_id, safe='')}"
    return response


@router.get("/console/review/{review_id}")
async def review(request: Request, context: Context, review_id: str, done: str | None = None) -> Response:
    return await review_page(request, context, review_id, done=done)


def parse_marks(text: str) -> list[dict[str, Any]]:
    """The marks the page sends (JSON from Alpine): only what a FieldMark holds; the API validates the rest."""
    try:
        given = json.loads(text or "[]")
    except ValueError:
        return []
    if not isinstance(given, list):
        return []
    return [
        {
            "field_path": str(m["field_path"]),
            "verdict": str(m["verdict"]),
            "comment": m.get("comment") or None,
        }
        for m in given
        if isinstance(m, dict) and "field_path" in m and "verdict" in m
    ]


@router.post("/console/review/{review_id}/{action}", dependencies=[Depends(require_csrf)])
async def review_action(
    request: Request,
    context: Context,
    review_id: str,
    action: str,
    version: Annotated[int, Form()],
    marks: Annotated[str, Form(max_length=500_000)] = "[]",
    comment: Annotated[str, Form(max_length=1000)] = "",
    marks_changed: Annotated[str, Form(max_length=5)] = "",
) -> Response:
    """保存标记 / 通过 / 退回: forwarded to the review API with the task's version as If-Match. 通过 with marks
    changed since the page was read saves them first (the approve API takes no marks), then approves the
    version that save answered, so no click of the reviewer is lost."""
    if action not in REVIEW_DONE:
        raise HTTPException(404)
    session = signed_in(request, "/console/review/tasks")
    if not isinstance(session, Session):
        return session
    if action == "reject" and not comment.strip():
        return await refused_action(request, context, review_id, "退回时请填写退回原因。", 422)
    body: dict[str, Any]
    if action == "marks":
        method, body = "PUT", {"marks": parse_marks(marks)}
    elif action == "reject":
        method, body = "POST", {"comment": comment.strip(), "marks": parse_marks(marks)}
    else:
        method, body = "POST", {"comment": comment.strip() or None}
    path = f"/api/review/tasks/{quote(review_id, safe='')}/{action}"
    try:
        async with context.apis(request.app) as apis:
            if action == "approve" and marks_changed == "true":
                marks_path = f"/api/review/tasks/{quote(review_id, safe='')}/marks"
                saved = await apis.change(
                    "PUT", "review", marks_path, session.token, {"marks": parse_marks(marks)}, version
                )
                version = int(saved["version"])
            await apis.change(method, "review", path, session.token, body, version)
    except SessionExpired:
        return to_login(request, expired=True)
    except ApiRefused as refused:
        return await refused_action(request, context, review_id, refused.message, refused.status)
    return RedirectResponse(f"/console/review/{quote(review_id, safe='')}?done={action}", status_code=303)


@router.get("/console/anomalies/declaration")
async def declaration_anomalies(request: Request, context: Context, page: int = 1) -> Response:
    return await list_page(request, context, anomaly_screen("declaration"), page)


@router.get("/console/anomalies/bonded-list")
async def bonded_list_anomalies(request: Request, context: Context, page: int = 1) -> Response:
    return await list_page(request, context, anomaly_screen("bonded_list"), page)


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
