"""业务数据查询 screens: 报关数据查询 and 概要申报数据查询 over the query service's lists (keyset paging), with the
seed's action buttons — 打印报关单 / 打印通知书 and 列表导出 passed on from the query service with the session's token
(the browser holds no bearer token), 申报 and 提交审核 through the declaration service's commands, 导入 with
模板下载 and the per-row findings, 生成接单, 生成报关单 from a 核注清单 — and 跟踪报关单动态 of one declaration."""

from __future__ import annotations

import json
from collections.abc import Mapping
from contextlib import AsyncExitStack
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import parse_qsl, quote, urlencode
from uuid import uuid4

from fastapi import APIRouter, Depends, HTTPException, Request, Response
from fastapi.responses import RedirectResponse, StreamingResponse
from starlette.background import BackgroundTask
from starlette.datastructures import UploadFile

from guanwu.console.adapters import ApiRefused, ServiceApis, SessionExpired
from guanwu.console.domain.menu import CHINA_TIME, chinese_datetime
from guanwu.console.domain.query import (
    DECLARATIONS,
    JOB_ORDER_MAKERS,
    MAKERS,
    MAX_SELECTED,
    QUERY_SCREENS,
    SUBMITTED,
    Pager,
    QueryScreen,
    api_params,
    bonded_list_number,
    findings_message,
    form_values,
    history_line,
    import_findings,
    more_asked,
    page_request,
    query_cell,
    selected_ids,
)
from guanwu.console.entrypoints.pages import (
    Context,
    refused_page,
    render,
    signed_in,
    templates,
    to_login,
)
from guanwu.console.entrypoints.session import Session, require_csrf

templates.env.globals.update(query_cell=query_cell, chinese_datetime=chinese_datetime)
router = APIRouter(include_in_schema=False)

ROWS = "/api/query/declarations"
DECLARATION_API = "/api/declaration/declarations"
IMPORTS = "/api/declaration/imports"
JOB_ORDERS = "/api/declaration/job-orders"
COMMANDS = {"submit": "提交审核", "declare": "申报"}
DOWNLOADS = {"print.pdf": "打印报关单", "notices.pdf": "打印通知书"}


def query_screen(slug: str) -> QueryScreen:
    screen = QUERY_SCREENS.get(slug)
    if screen is None:
        raise HTTPException(404)
    return screen


@dataclass(frozen=True)
class Outcome:
    """What one 申报 / 提交审核 did to one selected declaration."""

    declaration_id: str
    ok: bool
    message: str


async def query_page(
    request: Request,
    context: Context,
    screen: QueryScreen,
    session: Session,
    asked: Mapping[str, str],
    *,
    notice: str | None = None,
    error: str | None = None,
    outcomes: list[Outcome] | None = None,
    status: int = 200,
) -> Response:
    """The screen for the query string `asked` (the form's fields, `page` and the `cursor` that led there)."""
    values = form_values(screen, asked, datetime.now(CHINA_TIME).date())
    page = int(asked["page"]) if str(asked.get("page", "")).isdigit() and int(asked["page"]) > 0 else 1
    params = {**api_params(screen, values), **page_request(page, asked.get("cursor"), context.page_size)}
    rows: list[dict[str, Any]] = []
    pager: Pager | None = None
    try:
        async with context.apis(request.app) as apis:
            answer = await apis.get("query", screen.api, session.token, params)
        rows = list(answer["items"])
        total, capped = int(answer["total"]), bool(answer.get("total_capped"))
        pager = Pager(page, context.page_size, total, answer.get("next_cursor"), capped)
    except SessionExpired:
        return to_login(request, expired=True)
    except ApiRefused as refused:
        error, status = error or refused.message, status if status != 200 else refused.status
    form_query = urlencode({SUBMITTED: "1", **values})
    return render(
        request,
        "query_list.html",
        session,
        status=status,
        title=screen.title,
        screen=screen,
        values=values,
        more_open=more_asked(screen, values),
        rows=rows,
        pager=pager,
        form_query=form_query,
        list_query=urlencode({k: v for k, v in asked.items() if k in ("page", "cursor")}, doseq=True),
        may_act=bool(MAKERS & session.principal.roles),
        may_order=bool(JOB_ORDER_MAKERS & session.principal.roles),
        notice=notice,
        error=error,
        outcomes=outcomes or [],
        max_selected=MAX_SELECTED,
    )


@router.get("/console/query/{slug}")
async def query_list(request: Request, context: Context, slug: str) -> Response:
    screen = query_screen(slug)
    session = signed_in(request, screen.path)
    if not isinstance(session, Session):
        return session
    return await query_page(request, context, screen, session, dict(request.query_params))


def refused_download(request: Request, session: Session, refused: ApiRefused, title: str) -> Response:
    """A download the API refused (no document yet 409, no notice 404, no font 503) as a page with its status."""
    message = (
        "未找到该记录（不存在或不属于本企业）。"
        if refused.status == 404 and not refused.error
        else refused.message
    )
    return render(request, "message.html", session, status=refused.status, title=title, message=message)


async def passed_on(
    request: Request,
    context: Context,
    session: Session,
    path: str,
    title: str,
    params: Mapping[str, Any] | None = None,
    service: str = "query",
) -> Response:
    """A file of a service's API passed on to the browser as it arrives, with its type and file name."""
    stack = AsyncExitStack()
    try:
        apis = await stack.enter_async_context(context.apis(request.app))
        answer = await apis.open("GET", service, path, session.token, params=params)
    except SessionExpired:
        await stack.aclose()
        return to_login(request, expired=True)
    except ApiRefused as refused:
        await stack.aclose()
        return refused_download(request, session, refused, title)
    except BaseException:
        await stack.aclose()
        raise
    stack.push_async_callback(answer.aclose)
    headers = {"Cache-Control": "no-store"}
    if "content-disposition" in answer.headers:
        headers["Content-Disposition"] = answer.headers["content-disposition"]
    return StreamingResponse(
        answer.aiter_bytes(),
        media_type=answer.headers.get("content-type"),
        headers=headers,
        background=BackgroundTask(stack.aclose),
    )


async def declaration_file(request: Request, context: Context, declaration_id: str, name: str) -> Response:
    """打印报关单 (`print.pdf`) and 打印通知书 (`notices.pdf`) of one declaration; 概要申报 rows print the same."""
    session = signed_in(request, DECLARATIONS.path)
    if not isinstance(session, Session):
        return session
    path = f"{ROWS}/{quote(declaration_id, safe='')}/{name}"
    return await passed_on(request, context, session, path, DOWNLOADS[name])


@router.get("/console/query/declarations/{declaration_id}/print.pdf")
async def print_declaration(request: Request, context: Context, declaration_id: str) -> Response:
    return await declaration_file(request, context, declaration_id, "print.pdf")


@router.get("/console/query/declarations/{declaration_id}/notices.pdf")
async def print_notices(request: Request, context: Context, declaration_id: str) -> Response:
    return await declaration_file(request, context, declaration_id, "notices.pdf")


@router.get("/console/query/{slug}/export.xlsx")
async def export(request: Request, context: Context, slug: str) -> Response:
    """列表导出: the ticked rows (`ids`), or every row matching the form's criteria."""
    screen = query_screen(slug)
    if "export" not in screen.actions:
        raise HTTPException(404)
    session = signed_in(request, screen.path)
    if not isinstance(session, Session):
        return session
    asked = dict(request.query_params)
    values = form_values(screen, asked, datetime.now(CHINA_TIME).date())
    params: dict[str, Any] = api_params(screen, values)
    ids = selected_ids(request.query_params.getlist("ids"))
    if ids:
        params["ids"] = ids
    return await passed_on(request, context, session, f"{screen.api}/export.xlsx", "列表导出", params)


@router.get("/console/query/declarations/{declaration_id}/history")
async def history(request: Request, context: Context, declaration_id: str) -> Response:
    """跟踪报关单动态: the row and its timeline (every state change and receipt in notice order)."""
    session = signed_in(request, DECLARATIONS.path)
    if not isinstance(session, Session):
        return session
    path = f"{ROWS}/{quote(declaration_id, safe='')}"
    try:
        async with context.apis(request.app) as apis:
            row = await apis.get("query", path, session.token)
            entries = await apis.get("query", f"{path}/history", session.token)
    except SessionExpired:
        return to_login(request, expired=True)
    except ApiRefused as refused:
        return refused_page(request, session, refused, "跟踪报关单动态")
    return render(
        request,
        "query_history.html",
        session,
        title="跟踪报关单动态",
        row=row,
        lines=[history_line(entry) for entry in entries],
    )


def back_query(form: Mapping[str, Any]) -> dict[str, str]:
    """The list's query string the page was showing (sent back with a command), as a mapping."""
    return dict(parse_qsl(str(form.get("back") or ""), keep_blank_values=True))


def after_post(response: Response, screen: QueryScreen, asked: Mapping[str, str]) -> Response:
    """A page answered to a POST is shown at the list's address, so a reload reads the list again."""
    response.headers["HX-Push-Url"] = f"{screen.path}?{urlencode(asked)}" if asked else screen.path
    return response


async def run_command(apis: ServiceApis, token: str, command: str, declaration_id: str) -> Outcome:
    """申报 / 提交审核 of one declaration at the version the declaration service holds now (the list may lag
    it by a moment); whether the declaration's state allows the command is the service's to say."""
    path = f"{DECLARATION_API}/{quote(declaration_id, safe='')}"
    try:
        declaration = await apis.get("declaration", path, token)
        changed = await apis.change(
            "POST", "declaration", f"{path}/{command}", token, None, declaration["version"]
        )
    except ApiRefused as refused:
        return Outcome(declaration_id, False, refused.message)
    return Outcome(declaration_id, True, f"{COMMANDS[command]}成功，当前状态：{changed.get('status', '')}")


@router.post("/console/query/{slug}/commands", dependencies=[Depends(require_csrf)])
async def command(request: Request, context: Context, slug: str) -> Response:
    """申报 / 提交审核 of the ticked rows, one by one; the list is shown again with what happened to each."""
    screen = query_screen(slug)
    session = signed_in(request, screen.path)
    if not isinstance(session, Session):
        return session
    form = await request.form()
    name = str(form.get("command") or "")
    if name not in COMMANDS or name not in screen.actions:
        raise HTTPException(404)
    asked = back_query(form)
    ids = selected_ids([str(v) for v in form.getlist("ids")])
    error = None
    if not ids:
        error = f"请先勾选要{COMMANDS[name]}的报关单。"
    elif not MAKERS & session.principal.roles:
        error = f"您的角色无权{COMMANDS[name]}。"
    elif len(ids) > MAX_SELECTED:
        error = f"一次最多{COMMANDS[name]} {MAX_SELECTED} 票，请减少勾选。"
    if error:
        page = await query_page(request, context, screen, session, asked, error=error, status=422)
        return after_post(page, screen, asked)
    try:
        async with context.apis(request.app) as apis:
            outcomes = [await run_command(apis, session.token, name, i) for i in ids]
    except SessionExpired:
        return to_login(request, expired=True)
    done = sum(o.ok for o in outcomes)
    notice = (
        f"{COMMANDS[name]}：成功 {done} 票，未成功 {len(outcomes) - done} 票。列表中的状态可能在数秒后更新。"
    )
    page = await query_page(request, context, screen, session, asked, notice=notice, outcomes=outcomes)
    return after_post(page, screen, asked)


@router.post("/console/query/declarations/from-bonded-list", dependencies=[Depends(require_csrf)])
async def from_bonded_list(request: Request, context: Context) -> Response:
    """生成报关单: a draft from a synced, pre-approved 核注清单 by its number; the new draft's detail is shown."""
    session = signed_in(request, DECLARATIONS.path)
    if not isinstance(session, Session):
        return session
    form = await request.form()
    asked = back_query(form)
    number = str(form.get("number") or "").strip()
    try:
        declaration_id = await draft_from_bonded_list(request, context, session, number)
    except SessionExpired:
        return to_login(request, expired=True)
    except ApiRefused as refused:
        error = f"生成报关单失败：{refused.message}"
        page = await query_page(
            request, context, DECLARATIONS, session, asked, error=error, status=refused.status
        )
        return after_post(page, DECLARATIONS, asked)
    return RedirectResponse(f"/console/declarations/{quote(declaration_id, safe='')}", 303)


async def draft_from_bonded_list(request: Request, context: Context, session: Session, number: str) -> str:
    """生成报关单 (here and on the 制单 lists): the new draft's id. ApiRefused with the reason in Chinese (no
    number, or the declaration service's), SessionExpired."""
    if not number:
        raise ApiRefused(422, "请填写核注清单编号（QD 开头的清单编号或 18 位统一编号）。")
    async with context.apis(request.app) as apis:
        path = f"{DECLARATION_API}/from-bonded-list"
        created = await apis.post("declaration", path, session.token, bonded_list_number(number))
    return str(created["declaration_id"])


# ── 导入 ───────────────────────────────────────────────────────────────────────────────────────────────


@router.get("/console/query/declarations/import/template.xlsx")
async def import_template(request: Request, context: Context) -> Response:
    session = signed_in(request, DECLARATIONS.path)
    if not isinstance(session, Session):
        return session
    path = f"{IMPORTS}/template.xlsx"
    return await passed_on(request, context, session, path, "模板下载", service="declaration")


@router.get("/console/query/declarations/import")
async def import_page(request: Request) -> Response:
    session = signed_in(request, DECLARATIONS.path)
    if not isinstance(session, Session):
        return session
    return render(
        request,
        "query_import.html",
        session,
        title="报关单导入",
        may_act=bool(MAKERS & session.principal.roles),
    )


@router.post("/console/query/declarations/import", dependencies=[Depends(require_csrf)])
async def import_upload(request: Request, context: Context) -> Response:
    """The filled template to the declaration service's import: all or nothing; its findings in a table."""
    session = signed_in(request, DECLARATIONS.path)
    if not isinstance(session, Session):
        return session
    form = await request.form()
    upload, ie_flag = form.get("file"), str(form.get("ie_flag") or "")
    page: dict[str, Any] = {"title": "报关单导入", "may_act": bool(MAKERS & session.principal.roles)}
    if not isinstance(upload, UploadFile) or not upload.filename:
        return render(request, "query_import.html", session, status=422, error="请选择要导入的文件。", **page)
    kind = upload.content_type or "application/octet-stream"
    try:
        async with context.apis(request.app) as apis:
            answer = await apis.open(
                "POST",
                "declaration",
                IMPORTS,
                session.token,
                params={"ie_flag": ie_flag} if ie_flag in ("I", "E") else None,
                files={"file": (upload.filename, upload.file, kind)},
                timeout=context.import_timeout_seconds,
            )
            try:
                record = await answer.aread()
            finally:
                await answer.aclose()
    except SessionExpired:
        return to_login(request, expired=True)
    except ApiRefused as refused:
        findings = import_findings(refused.error)
        return render(
            request,
            "query_import.html",
            session,
            status=refused.status,
            error=findings_message(findings) if findings else refused.message,
            findings=findings,
            **page,
        )
    result = json.loads(record)
    return render(
        request,
        "query_import.html",
        session,
        result=result,
        again=answer.status_code == 200,
        file_name=upload.filename,
        **page,
    )


# ── 生成接单 ─────────────────────────────────────────────────────────────────────────────────────────────


async def selected_rows(apis: ServiceApis, token: str, ids: list[str]) -> list[dict[str, Any]]:
    """The ticked rows as the list knows them (an unknown one by its id alone: the API names it on submit)."""
    rows = []
    for declaration_id in ids:
        try:
            rows.append(await apis.get("query", f"{ROWS}/{quote(declaration_id, safe='')}", token))
        except ApiRefused:
            rows.append({"declaration_id": declaration_id})
    return rows


async def job_order_form(
    request: Request,
    context: Context,
    session: Session,
    ids: list[str],
    *,
    values: Mapping[str, str] | None = None,
    error: str | None = None,
    status: int = 200,
) -> Response:
    try:
        async with context.apis(request.app) as apis:
            rows = await selected_rows(apis, session.token, ids)
    except SessionExpired:
        return to_login(request, expired=True)
    bills = {row.get("bill_no") for row in rows if row.get("bill_no")}
    given = {"bill_no": next(iter(bills)) if len(bills) == 1 else "", **(values or {})}
    return render(
        request,
        "query_job_order.html",
        session,
        status=status,
        title="生成接单",
        rows=rows,
        values=given,
        job_order_id=given.get("job_order_id") or uuid4().hex,
        error=error or (None if ids else "请先在报关数据查询列表中勾选报关单，再点击【生成接单】。"),
    )


@router.get("/console/query/declarations/job-order")
async def job_order_page(request: Request, context: Context) -> Response:
    session = signed_in(request, DECLARATIONS.path)
    if not isinstance(session, Session):
        return session
    ids = selected_ids(request.query_params.getlist("ids"))[:500]
    return await job_order_form(request, context, session, ids)


@router.post("/console/query/declarations/job-order", dependencies=[Depends(require_csrf)])
async def make_job_order(request: Request, context: Context) -> Response:
    """生成接单: POST /api/declaration/job-orders with the page's own id for the order, so a second click (or a
    reload of the answer) makes no second order."""
    session = signed_in(request, DECLARATIONS.path)
    if not isinstance(session, Session):
        return session
    form = await request.form()
    ids = selected_ids([str(v) for v in form.getlist("ids")])
    values = {
        k: str(form.get(k) or "").strip()
        for k in ("client_name", "bill_no", "tracking_no", "note", "job_order_id")
    }
    body = {"declaration_ids": ids, **{k: v or None for k, v in values.items()}}
    try:
        if not values["client_name"]:
            raise ApiRefused(422, "请填写委托客户。")
        async with context.apis(request.app) as apis:
            order = await apis.post("declaration", JOB_ORDERS, session.token, body)
    except SessionExpired:
        return to_login(request, expired=True)
    except ApiRefused as refused:
        response = await job_order_form(
            request, context, session, ids, values=values, error=refused.message, status=refused.status
        )
        response.headers["HX-Push-Url"] = f"{request.url.path}?{urlencode({'ids': ids}, doseq=True)}"
        return response
    return render(request, "query_job_order.html", session, title="生成接单", order=order)
