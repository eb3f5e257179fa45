"""数据同步 screens: 报关数据同步 and 核注清单数据同步, each a 按票同步 / 按天同步 form over `POST /api/sync/jobs`
and the tenant's recent jobs of its kind, refreshed by htmx polling while one is queued or running."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from urllib.parse import quote, urlencode

from fastapi import APIRouter, Depends, HTTPException, Request, Response
from fastapi.responses import RedirectResponse

from guanwu.console.adapters import ApiRefused, ServiceApis, SessionExpired
from guanwu.console.domain.menu import CHINA_TIME, Paging, chinese_datetime
from guanwu.console.domain.sync import (
    ACTIVE_STATES,
    MODES,
    STATES,
    SYNC_SCREENS,
    SYNC_STARTERS,
    SyncScreen,
    criteria,
    criteria_summary,
    default_values,
    field_errors,
    progress_percent,
)
from guanwu.console.entrypoints.pages import Context, refused_page, render, signed_in, templates, to_login
from guanwu.console.entrypoints.session import Session, require_csrf

JOBS = "/api/sync/jobs"
RECENT_JOBS = 10
templates.env.globals.update(
    chinese_datetime=chinese_datetime,
    sync_criteria=criteria_summary,
    sync_progress=progress_percent,
    SYNC_STATES=STATES,
    SYNC_ACTIVE=ACTIVE_STATES,
)
router = APIRouter(include_in_schema=False)


def sync_screen(slug: str) -> SyncScreen:
    screen = SYNC_SCREENS.get(slug)
    if screen is None:
        raise HTTPException(404)
    return screen


async def recent_jobs(apis: ServiceApis, token: str, screen: SyncScreen) -> dict[str, Any]:
    """The tenant's latest jobs of the screen's kind, and whether the list should keep refreshing."""
    answer = await apis.get("sync", JOBS, token, {"kind": screen.kind, "limit": RECENT_JOBS})
    jobs = list(answer["items"])
    return {
        "jobs": jobs,
        "total": int(answer["total"]),
        "polling": any(j["state"] in ACTIVE_STATES for j in jobs),
    }


async def sync_page(
    request: Request,
    context: Context,
    screen: SyncScreen,
    session: Session,
    *,
    mode: str = "by_ticket",
    values: dict[str, str] | None = None,
    error: str | None = None,
    errors: dict[str, str] | None = None,
    done: str | None = None,
    status: int = 200,
) -> Response:
    try:
        async with context.apis(request.app) as apis:
            listed = await recent_jobs(apis, session.token, screen)
    except SessionExpired:
        return to_login(request, expired=True)
    except ApiRefused as refused:
        listed, error = {"jobs": [], "total": 0, "polling": False}, error or refused.message
    today = datetime.now(CHINA_TIME).date()
    return render(
        request,
        "sync.html",
        session,
        status=status,
        title=screen.title,
        screen=screen,
        modes=MODES,
        mode=mode if mode in MODES else "by_ticket",
        values={**default_values(today), **(values or {})},
        may_start=bool(SYNC_STARTERS & session.principal.roles),
        error=error,
        errors=errors or {},
        done=done,
        **listed,
    )


@router.get("/console/sync/{slug}")
async def sync_screen_page(
    request: Request, context: Context, slug: str, mode: str = "by_ticket", done: str | None = None
) -> Response:
    screen = sync_screen(slug)
    session = signed_in(request, screen.path)
    if not isinstance(session, Session):
        return session
    notice = {"started": "同步任务已创建，进度见下方列表。", "cancel": "已申请取消同步任务。"}.get(done or "")
    return await sync_page(request, context, screen, session, mode=mode, done=notice)


@router.get("/console/sync/{slug}/jobs")
async def sync_jobs(request: Request, context: Context, slug: str) -> Response:
    """The jobs list alone: what the screen's htmx polling swaps in."""
    screen = sync_screen(slug)
    session = signed_in(request, screen.path)
    if not isinstance(session, Session):
        return session
    try:
        async with context.apis(request.app) as apis:
            listed = await recent_jobs(apis, session.token, screen)
    except SessionExpired:
        return to_login(request, expired=True)
    except ApiRefused as refused:
        listed = {"jobs": [], "total": 0, "polling": False, "jobs_error": refused.message}
    page = {
        "screen": screen,
        "csrf": session.csrf,
        "may_start": bool(SYNC_STARTERS & session.principal.roles),
        **listed,
    }
    return templates.TemplateResponse(request, "sync_jobs.html", page)


@router.post("/console/sync/{slug}", dependencies=[Depends(require_csrf)])
async def start_sync(request: Request, context: Context, slug: str) -> Response:
    """确定: the form's mode and fields as criteria to `POST /api/sync/jobs`; a refusal (422) is shown at its
    fields with the API's message, the form keeping what was typed."""
    screen = sync_screen(slug)
    session = signed_in(request, screen.path)
    if not isinstance(session, Session):
        return session
    form = {k: v for k, v in (await request.form()).items() if isinstance(v, str) and k != "csrf_token"}
    mode = form.get("mode", "")
    if mode not in MODES:
        raise HTTPException(422)
    try:
        async with context.apis(request.app) as apis:
            await apis.post("sync", JOBS, session.token, criteria(screen, mode, form))
    except SessionExpired:
        return to_login(request, expired=True)
    except ApiRefused as refused:
        response = await sync_page(
            request,
            context,
            screen,
            session,
            mode=mode,
            values=form,
            error=refused.message,
            errors=field_errors(refused.error, screen, mode),
            status=refused.status,
        )
        response.headers["HX-Push-Url"] = f"{screen.path}?{urlencode({'mode': mode})}"
        return response
    return RedirectResponse(f"{screen.path}?{urlencode({'mode': mode, 'done': 'started'})}", status_code=303)


@router.post("/console/sync/{slug}/jobs/{job_id}/cancel", dependencies=[Depends(require_csrf)])
async def cancel_sync(request: Request, context: Context, slug: str, job_id: str) -> Response:
    screen = sync_screen(slug)
    session = signed_in(request, screen.path)
    if not isinstance(session, Session):
        return session
    try:
        async with context.apis(request.app) as apis:
            await apis.post("sync", f"{JOBS}/{quote(job_id, safe='')}/cancel", session.token, None)
    except SessionExpired:
        return to_login(request, expired=True)
    except ApiRefused as refused:
        response = await sync_page(
            request, context, screen, session, error=refused.message, status=refused.status
        )
        response.headers["HX-Push-Url"] = screen.path
        return response
    return RedirectResponse(f"{screen.path}?done=cancel", status_code=303)


@router.get("/console/sync/{slug}/jobs/{job_id}/quarantine")
async def sync_quarantine(
    request: Request, context: Context, slug: str, job_id: str, page: int = 1
) -> Response:
    """The records a job could not read: 统一编号, version, reason, when."""
    screen = sync_screen(slug)
    session = signed_in(request, screen.path)
    if not isinstance(session, Session):
        return session
    paging = Paging(max(page, 1), context.page_size, 0)
    job_path = f"{JOBS}/{quote(job_id, safe='')}"
    try:
        async with context.apis(request.app) as apis:
            job = await apis.get("sync", job_path, session.token)
            params = {"skip": paging.skip, "limit": paging.size}
            answer = await apis.get("sync", f"{job_path}/quarantine", session.token, params)
    except SessionExpired:
        return to_login(request, expired=True)
    except ApiRefused as refused:
        return refused_page(request, session, refused, "隔离记录")
    paging = Paging(paging.page, paging.size, int(answer["total"]))
    return render(
        request,
        "sync_quarantine.html",
        session,
        title=f"{screen.title} · 隔离记录",
        screen=screen,
        job=job,
        items=answer["items"],
        paging=paging,
        page_url=lambda number: f"{request.url.path}?page={number}",
    )
