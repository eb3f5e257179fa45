"""异常状态登记 (seed section 七): 报关单异常 and 核注清单异常 — the list with the seed's query fields, 新增 and 编辑
in the 异常登记 form, 变更状态, 删除 of one or many ticked rows, 列表导出, attachments (upload, list, download,
delete) — and 统计分析 with server-rendered SVG bar charts. Every screen calls the anomaly service's API with the
session's token; the console keeps nothing."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from urllib.parse import quote, urlencode

from fastapi import APIRouter, Depends, HTTPException, Request, Response
from fastapi.responses import RedirectResponse
from starlette.datastructures import UploadFile

from guanwu.console.adapters import ApiRefused, ServiceApis, SessionExpired
from guanwu.console.domain.anomaly import (
    ATTACHMENT_ACCEPT,
    ATTACHMENT_NOTE,
    CATEGORY_NAMES,
    DONE,
    EDITORS,
    MAX_SELECTED,
    SCREENS,
    STATISTICS_PATH,
    AnomalyScreen,
    anomaly_body,
    anomaly_cell,
    field_errors,
    file_size,
    form_fields,
    form_values,
    goes_back,
    history_action,
    history_changes,
    list_columns,
    list_params,
    missing_fields,
    months_between,
    next_statuses,
    parse_day,
    query_fields,
    query_values,
    record_values,
    selected_ids,
    statistics_charts,
    statistics_range,
    status_body,
)
from guanwu.console.domain.menu import CHINA_TIME, Paging, chinese_datetime
from guanwu.console.entrypoints.pages import Context, refused_page, render, signed_in, templates, to_login
from guanwu.console.entrypoints.query_pages import passed_on
from guanwu.console.entrypoints.session import Session, require_csrf

templates.env.globals.update(
    anomaly_cell=anomaly_cell,
    file_size=file_size,
    history_action=history_action,
    history_changes=history_changes,
)
router = APIRouter(include_in_schema=False)

API = "/api/anomaly/anomalies"
DONE_MESSAGES = {
    "created": "异常登记已保存。",
    "saved": "修改已保存。",
    "status": "处理状态已变更。",
    "unchanged": "内容未改变，无需保存。",
}


def anomaly_screen(slug: str) -> AnomalyScreen:
    screen = SCREENS.get(slug)
    if screen is None:
        raise HTTPException(404)
    return screen


def record_path(anomaly_id: str) -> str:
    return f"{API}/{quote(anomaly_id, safe='')}"


def may_edit(session: Session) -> bool:
    return bool(EDITORS & session.principal.roles)


# ── 统计分析 (declared before the screens' `{slug}` routes) ───────────────────────────────────────────────


@router.get(STATISTICS_PATH)
async def statistics(request: Request, context: Context) -> Response:
    """异常统计分析: the anomaly API's counts over 发生日期's months, as bar charts drawn on the server."""
    session = signed_in(request, STATISTICS_PATH)
    if not isinstance(session, Session):
        return session
    asked = dict(request.query_params)
    first, last = statistics_range(asked, datetime.now(CHINA_TIME).date())
    category = asked.get("category", "") if asked.get("category") in CATEGORY_NAMES else ""
    params = {"occurred_from": first, "occurred_to": last, "category": category}
    stats: dict[str, Any] | None = None
    error, status = None, 200
    try:
        async with context.apis(request.app) as apis:
            stats = await apis.get("anomaly", "/api/anomaly/statistics", session.token, params)
    except SessionExpired:
        return to_login(request, expired=True)
    except ApiRefused as refused:
        error, status = refused.message, refused.status
    start, end = parse_day(first), parse_day(last)
    months = months_between(start, end) if start and end and start <= end else []
    return render(
        request,
        "anomaly_statistics.html",
        session,
        status=status,
        title="统计分析",
        values={"occurred_from": first, "occurred_to": last, "category": category},
        categories=CATEGORY_NAMES,
        stats=stats,
        charts=statistics_charts(stats, months[-36:]) if stats else [],
        error=error,
    )


# ── the list ─────────────────────────────────────────────────────────────────────────────────────────────


async def list_page(
    request: Request,
    context: Context,
    screen: AnomalyScreen,
    session: Session,
    asked: dict[str, str],
    *,
    notice: str | None = None,
    error: str | None = None,
    outcomes: list[dict[str, Any]] | None = None,
    status: int = 200,
) -> Response:
    values = query_values(screen, asked)
    page = int(asked["page"]) if str(asked.get("page", "")).isdigit() and int(asked["page"]) > 0 else 1
    paging = Paging(page, context.page_size, 0)
    rows: list[dict[str, Any]] = []
    params: dict[str, str | int] = {**list_params(screen, values), "skip": paging.skip, "limit": paging.size}
    try:
        async with context.apis(request.app) as apis:
            answer = await apis.get("anomaly", API, session.token, params)
        rows, paging = list(answer["items"]), Paging(page, context.page_size, int(answer["total"]))
    except SessionExpired:
        return to_login(request, expired=True)
    except ApiRefused as refused:
        error, status = error or refused.message, refused.status if status == 200 else status
    form_query = urlencode({k: v for k, v in values.items() if v})
    return render(
        request,
        "anomaly_list.html",
        session,
        status=status,
        title=screen.title,
        screen=screen,
        fields=query_fields(screen),
        columns=list_columns(screen),
        values=values,
        rows=rows,
        paging=paging,
        form_query=form_query,
        may_edit=may_edit(session),
        notice=notice or DONE_MESSAGES.get(asked.get("done", "")),
        error=error,
        outcomes=outcomes or [],
        max_selected=MAX_SELECTED,
    )


@router.get("/console/anomalies/{slug}")
async def anomalies(request: Request, context: Context, slug: str) -> Response:
    screen = anomaly_screen(slug)
    session = signed_in(request, screen.path)
    if not isinstance(session, Session):
        return session
    return await list_page(request, context, screen, session, dict(request.query_params))


@router.get("/console/anomalies/{slug}/export.xlsx")
async def export(request: Request, context: Context, slug: str) -> Response:
    """列表导出: the ticked rows (`ids`), or every record matching the form's criteria."""
    screen = anomaly_screen(slug)
    session = signed_in(request, screen.path)
    if not isinstance(session, Session):
        return session
    params: dict[str, Any] = list_params(screen, query_values(screen, dict(request.query_params)))
    ids = selected_ids(request.query_params.getlist("ids"))[:MAX_SELECTED]
    if ids:
        params["ids"] = ids
    return await passed_on(request, context, session, f"{API}/export.xlsx", "列表导出", params, "anomaly")


OUTCOMES = {
    "deleted": "已删除",
    "not_found": "未找到（不存在、不属于本企业或已删除）",
    "conflict": "记录刚被修改，未删除",
}


@router.post("/console/anomalies/{slug}/delete", dependencies=[Depends(require_csrf)])
async def delete(request: Request, context: Context, slug: str) -> Response:
    """删除 of the ticked rows (one or many) with the reason the confirmation asked for; each answered."""
    screen = anomaly_screen(slug)
    session = signed_in(request, screen.path)
    if not isinstance(session, Session):
        return session
    form = await request.form()
    asked = {k: str(v) for k, v in form.items() if k not in ("ids", "reason", "csrf_token")}
    ids = selected_ids([str(v) for v in form.getlist("ids")])
    reason = str(form.get("reason") or "").strip()
    error = None
    if not ids:
        error = "请先勾选要删除的记录。"
    elif len(ids) > MAX_SELECTED:
        error = f"一次最多删除 {MAX_SELECTED} 条，请减少勾选。"
    elif not reason:
        error = "请填写删除原因。"
    if error:
        return pushed(
            await list_page(request, context, screen, session, asked, error=error, status=422), screen
        )
    try:
        async with context.apis(request.app) as apis:
            body = {"ids": ids, "reason": reason[:500]}
            answer = await apis.post("anomaly", f"{API}/deletions", session.token, body)
    except SessionExpired:
        return to_login(request, expired=True)
    except ApiRefused as refused:
        page = await list_page(
            request, context, screen, session, asked, error=refused.message, status=refused.status
        )
        return pushed(page, screen)
    results = list(answer["results"])
    failed = [
        {**r, "message": OUTCOMES.get(r["outcome"], r["outcome"])}
        for r in results
        if r["outcome"] != "deleted"
    ]
    notice = f"删除：成功 {answer['deleted']} 条，未成功 {len(failed)} 条。"
    page = await list_page(request, context, screen, session, asked, notice=notice, outcomes=failed)
    return pushed(page, screen)


def pushed(response: Response, screen: AnomalyScreen) -> Response:
    """A page answered to a POST shows the list's address, so a reload reads the list (and posts nothing)."""
    response.headers["HX-Push-Url"] = screen.path
    return response


# ── 新增 / 编辑 ──────────────────────────────────────────────────────────────────────────────────────────


async def load_record(
    apis: ServiceApis, token: str, screen: AnomalyScreen, anomaly_id: str
) -> dict[str, Any]:
    record: dict[str, Any] = await apis.get("anomaly", record_path(anomaly_id), token)
    if record.get("category", "declaration") != screen.category:
        raise ApiRefused(404, "未找到该记录")
    return record


def form_page(
    request: Request,
    session: Session,
    screen: AnomalyScreen,
    *,
    values: dict[str, str],
    record: dict[str, Any] | None = None,
    errors: dict[str, str] | None = None,
    error: str | None = None,
    notice: str | None = None,
    attachments: list[dict[str, Any]] | None = None,
    history: list[dict[str, Any]] | None = None,
    attachment_error: str | None = None,
    status: int = 200,
) -> Response:
    new = record is None
    return render(
        request,
        "anomaly_form.html",
        session,
        status=status,
        title=f"{screen.title} · {'新增' if new else '编辑'}",
        screen=screen,
        record=record,
        fields=form_fields(screen, new=new),
        values=values,
        errors=errors or {},
        error=error,
        notice=notice,
        attachments=attachments or [],
        history=history or [],
        attachment_error=attachment_error,
        attachment_accept=ATTACHMENT_ACCEPT,
        attachment_note=ATTACHMENT_NOTE,
        may_edit=may_edit(session),
        done=DONE,
        chinese_datetime=chinese_datetime,
    )


@router.get("/console/anomalies/{slug}/new")
async def new_form(request: Request, slug: str) -> Response:
    screen = anomaly_screen(slug)
    session = signed_in(request, screen.path)
    if not isinstance(session, Session):
        return session
    today = datetime.now(CHINA_TIME).date().isoformat()
    values = {"handling_status": "未处理", "occurred_on": today}
    return form_page(request, session, screen, values=values)


@router.post("/console/anomalies/{slug}/new", dependencies=[Depends(require_csrf)])
async def create(request: Request, context: Context, slug: str) -> Response:
    """新增: the form to `POST /api/anomaly/anomalies`; with a file chosen under 附件, that file is uploaded to
    the new record (a refused file leaves the record saved and says why on its 编辑 page)."""
    screen = anomaly_screen(slug)
    session = signed_in(request, screen.path)
    if not isinstance(session, Session):
        return session
    form = await request.form()
    values = form_values(screen, form, new=True)
    missing = missing_fields(screen, values, new=True)
    if missing:
        error = "请填写带 * 的必填项。"
        return form_page(request, session, screen, values=values, errors=missing, error=error, status=422)
    upload = form.get("file")
    try:
        async with context.apis(request.app) as apis:
            record = await apis.post("anomaly", API, session.token, anomaly_body(screen, values, new=True))
            if isinstance(upload, UploadFile) and upload.filename:
                return await attach_new(request, apis, session, screen, record["anomaly_id"], upload)
    except SessionExpired:
        return to_login(request, expired=True)
    except ApiRefused as refused:
        return refused_form(request, session, screen, values, refused, record=None)
    return RedirectResponse(f"{screen.path}?done=created", status_code=303)


def refused_form(
    request: Request,
    session: Session,
    screen: AnomalyScreen,
    values: dict[str, str],
    refused: ApiRefused,
    *,
    record: dict[str, Any] | None,
    **more: Any,
) -> Response:
    """The form again with the user's input and the API's messages at their fields."""
    errors, message = field_errors(refused.error, [f.name for f in form_fields(screen, new=record is None)])
    error = message or ("请按提示修改后再保存。" if errors else refused.message)
    return form_page(
        request, session, screen, values=values, record=record, errors=errors, error=error,
        status=refused.status, **more,
    )  # fmt: skip


async def attach_new(
    request: Request,
    apis: ServiceApis,
    session: Session,
    screen: AnomalyScreen,
    anomaly_id: str,
    upload: UploadFile,
) -> Response:
    """The 新增 form's file to the record just saved; a refused file is shown on the record's 编辑 page."""
    try:
        await send_file(apis, session.token, anomaly_id, upload)
    except ApiRefused as refused:
        page = await edit_page(
            request, apis, session, screen, anomaly_id,
            notice="异常登记已保存，但附件未上传。", attachment_error=refused.message,
        )  # fmt: skip
        page.headers["HX-Push-Url"] = record_url(screen, anomaly_id)
        return page
    return RedirectResponse(f"{screen.path}?done=created", status_code=303)


def record_url(screen: AnomalyScreen, anomaly_id: str) -> str:
    return f"{screen.path}/{quote(anomaly_id, safe='')}"


async def send_file(apis: ServiceApis, token: str, anomaly_id: str, upload: UploadFile) -> None:
    """One file to the anomaly API as multipart (the API reads its type from its content and checks its size)."""
    kind = upload.content_type or "application/octet-stream"
    answer = await apis.open(
        "POST",
        "anomaly",
        f"{record_path(anomaly_id)}/attachments",
        token,
        files={"file": (upload.filename, upload.file, kind)},
    )
    await answer.aclose()


async def edit_page(
    request: Request,
    apis: ServiceApis,
    session: Session,
    screen: AnomalyScreen,
    anomaly_id: str,
    *,
    values: dict[str, str] | None = None,
    **more: Any,
) -> Response:
    """编辑: the record's form (or the user's input again), its attachments and its history."""
    record = await load_record(apis, session.token, screen, anomaly_id)
    path = record_path(anomaly_id)
    attachments = (await apis.get("anomaly", f"{path}/attachments", session.token))["items"]
    history = await apis.get("anomaly", f"{path}/history", session.token)
    shown = values if values is not None else record_values(record)
    return form_page(
        request, session, screen, values=shown, record=record, attachments=attachments,
        history=list(reversed(history)), **more,
    )  # fmt: skip


@router.get("/console/anomalies/{slug}/{anomaly_id}")
async def edit_form(request: Request, context: Context, slug: str, anomaly_id: str) -> Response:
    screen = anomaly_screen(slug)
    session = signed_in(request, screen.path)
    if not isinstance(session, Session):
        return session
    try:
        async with context.apis(request.app) as apis:
            done = DONE_MESSAGES.get(request.query_params.get("done", ""))
            return await edit_page(request, apis, session, screen, anomaly_id, notice=done)
    except SessionExpired:
        return to_login(request, expired=True)
    except ApiRefused as refused:
        return refused_page(request, session, refused, f"{screen.title} · 编辑")


@router.post("/console/anomalies/{slug}/{anomaly_id}", dependencies=[Depends(require_csrf)])
async def save(request: Request, context: Context, slug: str, anomaly_id: str) -> Response:
    """修改: the whole form with the version it was read at (`If-Match`). A stale version (someone changed the
    record meanwhile) keeps the user's input and offers to save it over the current version."""
    screen = anomaly_screen(slug)
    session = signed_in(request, screen.path)
    if not isinstance(session, Session):
        return session
    form = await request.form()
    values = form_values(screen, form, new=False)
    version = int(str(form.get("version") or "0")) if str(form.get("version") or "").isdigit() else 0
    try:
        async with context.apis(request.app) as apis:
            missing = missing_fields(screen, values, new=False)
            if missing:
                error = "请填写带 * 的必填项。"
                return await edit_failed(
                    request, apis, session, screen, anomaly_id, values, missing, error, 422
                )
            body = anomaly_body(screen, values, new=False)
            try:
                saved = await apis.change(
                    "PUT", "anomaly", record_path(anomaly_id), session.token, body, version
                )
            except ApiRefused as refused:
                if refused.status == 412:
                    error = "该记录已被他人修改。下方保留了您填写的内容；再次点击【确定】将以您的内容覆盖当前版本。"
                    return await edit_failed(
                        request, apis, session, screen, anomaly_id, values, {}, error, 409
                    )
                errors, message = field_errors(
                    refused.error, [f.name for f in form_fields(screen, new=False)]
                )
                error = message or ("请按提示修改后再保存。" if errors else refused.message)
                return await edit_failed(
                    request, apis, session, screen, anomaly_id, values, errors, error, refused.status
                )
    except SessionExpired:
        return to_login(request, expired=True)
    except ApiRefused as refused:
        return refused_page(request, session, refused, f"{screen.title} · 编辑")
    done = "saved" if saved.get("version", version) != version else "unchanged"
    return RedirectResponse(f"{screen.path}?done={done}", status_code=303)


async def edit_failed(
    request: Request,
    apis: ServiceApis,
    session: Session,
    screen: AnomalyScreen,
    anomaly_id: str,
    values: dict[str, str],
    errors: dict[str, str],
    error: str,
    status: int,
) -> Response:
    """The 编辑 page again with the user's input (at the record's current version) and what went wrong."""
    page = await edit_page(
        request, apis, session, screen, anomaly_id, values=values, errors=errors, error=error, status=status
    )
    page.headers["HX-Push-Url"] = record_url(screen, anomaly_id)
    return page


# ── 变更状态 ─────────────────────────────────────────────────────────────────────────────────────────────


def status_page(
    request: Request,
    session: Session,
    screen: AnomalyScreen,
    record: dict[str, Any],
    *,
    values: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    error: str | None = None,
    status: int = 200,
) -> Response:
    current = str(record.get("handling_status") or "未处理")
    choices = next_statuses(current)
    today = datetime.now(CHINA_TIME).date().isoformat()
    shown = {"to_status": choices[0], "completed_on": today, "reason": "", **(values or {})}
    return render(
        request,
        "anomaly_status.html",
        session,
        status=status,
        title=f"{screen.title} · 变更状态",
        screen=screen,
        record=record,
        choices=[(s, goes_back(current, s)) for s in choices],
        values=shown,
        errors=errors or {},
        error=error,
        done=DONE,
        may_edit=may_edit(session),
    )


@router.get("/console/anomalies/{slug}/{anomaly_id}/status")
async def status_form(request: Request, context: Context, slug: str, anomaly_id: str) -> Response:
    screen = anomaly_screen(slug)
    session = signed_in(request, screen.path)
    if not isinstance(session, Session):
        return session
    try:
        async with context.apis(request.app) as apis:
            record = await load_record(apis, session.token, screen, anomaly_id)
    except SessionExpired:
        return to_login(request, expired=True)
    except ApiRefused as refused:
        return refused_page(request, session, refused, f"{screen.title} · 变更状态")
    return status_page(request, session, screen, record)


@router.post("/console/anomalies/{slug}/{anomaly_id}/status", dependencies=[Depends(require_csrf)])
async def change_status(request: Request, context: Context, slug: str, anomaly_id: str) -> Response:
    """变更状态 at the version the page showed; going back wants a reason, 已处理 a 完成日期."""
    screen = anomaly_screen(slug)
    session = signed_in(request, screen.path)
    if not isinstance(session, Session):
        return session
    form = await request.form()
    values = {k: str(form.get(k) or "").strip() for k in ("to_status", "completed_on", "reason")}
    version = int(str(form.get("version"))) if str(form.get("version") or "").isdigit() else 0
    try:
        async with context.apis(request.app) as apis:
            record = await load_record(apis, session.token, screen, anomaly_id)
            errors = status_missing(record, values)
            if errors:
                return status_page(request, session, screen, record, values=values, errors=errors, status=422)
            path = f"{record_path(anomaly_id)}/status"
            try:
                await apis.change("POST", "anomaly", path, session.token, status_body(values), version)
            except ApiRefused as refused:
                errors, message = field_errors(refused.error, list(values))
                if refused.status == 412:
                    message = "该记录已被他人修改，已显示其当前状态，请确认后重新提交。"
                return status_page(
                    request, session, screen, record, values=values, errors=errors,
                    error=message or refused.message, status=refused.status,
                )  # fmt: skip
    except SessionExpired:
        return to_login(request, expired=True)
    except ApiRefused as refused:
        return refused_page(request, session, refused, f"{screen.title} · 变更状态")
    return RedirectResponse(f"{screen.path}?done=status", status_code=303)


def status_missing(record: dict[str, Any], values: dict[str, str]) -> dict[str, str]:
    current = str(record.get("handling_status") or "未处理")
    errors = {}
    if values["to_status"] not in next_statuses(current):
        errors["to_status"] = "请选择新的处理状态"
    elif values["to_status"] == DONE and not values["completed_on"]:
        errors["completed_on"] = "处理状态为已处理时，请填写完成日期"
    elif goes_back(current, values["to_status"]) and not values["reason"]:
        errors["reason"] = "退回到之前的处理状态时，请填写原因"
    return errors


# ── 附件 ─────────────────────────────────────────────────────────────────────────────────────────────────


@router.post("/console/anomalies/{slug}/{anomaly_id}/attachments", dependencies=[Depends(require_csrf)])
async def upload(request: Request, context: Context, slug: str, anomaly_id: str) -> Response:
    screen = anomaly_screen(slug)
    session = signed_in(request, screen.path)
    if not isinstance(session, Session):
        return session
    form = await request.form()
    upload_file = form.get("file")
    try:
        async with context.apis(request.app) as apis:
            if not isinstance(upload_file, UploadFile) or not upload_file.filename:
                page = await edit_page(
                    request,
                    apis,
                    session,
                    screen,
                    anomaly_id,
                    attachment_error="请选择要上传的文件。",
                    status=422,
                )
            else:
                try:
                    await send_file(apis, session.token, anomaly_id, upload_file)
                except ApiRefused as refused:
                    if refused.status == 404:
                        raise
                    page = await edit_page(
                        request, apis, session, screen, anomaly_id,
                        attachment_error=refused.message, status=refused.status,
                    )  # fmt: skip
                else:
                    return RedirectResponse(f"{record_url(screen, anomaly_id)}#attachments", status_code=303)
    except SessionExpired:
        return to_login(request, expired=True)
    except ApiRefused as refused:
        return refused_page(request, session, refused, f"{screen.title} · 附件")
    page.headers["HX-Push-Url"] = record_url(screen, anomaly_id)
    return page


@router.get("/console/anomalies/{slug}/{anomaly_id}/attachments/{attachment_id}")
async def download(
    request: Request, context: Context, slug: str, anomaly_id: str, attachment_id: str
) -> Response:
    """下载: the file passed on from the anomaly API as it arrives, with its type and name."""
    screen = anomaly_screen(slug)
    session = signed_in(request, screen.path)
    if not isinstance(session, Session):
        return session
    path = f"{record_path(anomaly_id)}/attachments/{quote(attachment_id, safe='')}"
    return await passed_on(request, context, session, path, "下载附件", service="anomaly")


@router.post(
    "/console/anomalies/{slug}/{anomaly_id}/attachments/{attachment_id}/delete",
    dependencies=[Depends(require_csrf)],
)
async def delete_attachment(
    request: Request, context: Context, slug: str, anomaly_id: str, attachment_id: str
) -> Response:
    screen = anomaly_screen(slug)
    session = signed_in(request, screen.path)
    if not isinstance(session, Session):
        return session
    path = f"{record_path(anomaly_id)}/attachments/{quote(attachment_id, safe='')}"
    try:
        async with context.apis(request.app) as apis:
            answer = await apis.open("DELETE", "anomaly", path, session.token)
            await answer.aclose()
    except SessionExpired:
        return to_login(request, expired=True)
    except ApiRefused as refused:
        return refused_page(request, session, refused, f"{screen.title} · 附件")
    return RedirectResponse(f"{record_url(screen, anomaly_id)}#attachments", status_code=303)
