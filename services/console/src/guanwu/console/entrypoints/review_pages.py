"""审单: the 报关单审核 list (with the seed's toolbar and 状态筛选), the review screen (可视化审核, 普通审核 /
高级审核, per-field comments, stale marks, the red-mark override, 打印, 发送) and 审核留痕 with its xlsx export."""

from __future__ import annotations

import json
from typing import Annotated, Any
from urllib.parse import quote, urlencode

from fastapi import APIRouter, Depends, Form, HTTPException, Request, Response
from fastapi.responses import RedirectResponse

from guanwu.console.adapters import ApiRefused, ServiceApis, SessionExpired
from guanwu.console.domain.detail import declaration_view, field_label
from guanwu.console.domain.menu import Paging
from guanwu.console.domain.review import (
    AUDIT_RECORD_ACTIONS,
    FIELD_FILTERS,
    AdvancedNotes,
    advanced_notes,
    audit_change,
    audit_comment,
    audit_criteria,
    china_today,
    marks_for_page,
    send_view,
)
from guanwu.console.domain.screens import REVIEW_STATUSES, REVIEW_TASKS
from guanwu.console.entrypoints.pages import Context, refused_page, render, signed_in, templates, to_login
from guanwu.console.entrypoints.query_pages import passed_on
from guanwu.console.entrypoints.session import Session, require_csrf
from guanwu.console.service_layer import load_list

templates.env.globals.update(field_label=field_label, audit_change=audit_change, audit_comment=audit_comment)
router = APIRouter(include_in_schema=False)

LIST_PATH = "/console/review/tasks"
AUDIT_PATH = "/console/review/audit"
TASKS_API = "/api/review/tasks"


def task_api(review_id: str, tail: str = "") -> str:
    return f"{TASKS_API}/{quote(review_id, safe='')}{tail}"


def screen_url(review_id: str, **query: str) -> str:
    shown = {k: v for k, v in query.items() if v and (k != "mode" or v == "advanced")}
    return f"/console/review/{quote(review_id, safe='')}" + (f"?{urlencode(shown)}" if shown else "")


# ── 报关单审核 list ───────────────────────────────────────────────────────────────────────────────────────


@router.get(LIST_PATH)
async def review_tasks(request: Request, context: Context, page: int = 1) -> Response:
    """The list with the seed's toolbar (可视化审核 普通审核 高级审核 状态筛选 打印 发送) over the ticked row."""
    session = signed_in(request, LIST_PATH)
    if not isinstance(session, Session):
        return session
    form = dict(request.query_params)
    try:
        async with context.apis(request.app) as apis:
            result = await load_list(apis, session.token, REVIEW_TASKS, form, page, context.page_size)
    except SessionExpired:
        return to_login(request, expired=True)
    except ApiRefused as refused:
        values = {f.name: form.get(f.name, "") for f in REVIEW_TASKS.filters}
        return render(
            request, "review_list.html", session, status=refused.status, title=REVIEW_TASKS.title,
            screen=REVIEW_TASKS, result=None, values=values, error=refused.message, statuses=REVIEW_STATUSES,
        )  # fmt: skip

    def page_url(number: int) -> str:
        return f"{LIST_PATH}?{urlencode({**result.values, 'page': number})}"

    def status_url(status: str) -> str:
        return f"{LIST_PATH}?{urlencode({**result.values, 'status': status})}"

    return render(
        request, "review_list.html", session, title=REVIEW_TASKS.title, screen=REVIEW_TASKS, result=result,
        values=result.values, error=None, page_url=page_url, status_url=status_url, statuses=REVIEW_STATUSES,
    )  # fmt: skip


# ── 审核留痕 ──────────────────────────────────────────────────────────────────────────────────────────────


@router.get(AUDIT_PATH)
async def review_audit(request: Request, context: Context, page: int = 1) -> Response:
    """审核留痕: who did what to which field when, per declaration or per reviewer over a period of days."""
    session = signed_in(request, AUDIT_PATH)
    if not isinstance(session, Session):
        return session
    criteria = audit_criteria(dict(request.query_params), china_today())
    paging = Paging(page=max(page, 1), size=context.page_size, total=0)
    params: dict[str, str | int] = {**criteria, "newest_first": "true", "skip": paging.skip}
    error, items = None, []
    try:
        async with context.apis(request.app) as apis:
            answer = await apis.get(
                "review", "/api/review/audit", session.token, {**params, "limit": paging.size}
            )
        items, paging = answer["items"], Paging(paging.page, paging.size, int(answer["total"]))
    except SessionExpired:
        return to_login(request, expired=True)
    except ApiRefused as refused:
        error = refused.message
    asked = {k: v for k, v in criteria.items() if v}
    return render(
        request, "review_audit.html", session, title="审核留痕", values=criteria, items=items, paging=paging,
        error=error, actions=AUDIT_RECORD_ACTIONS,
        page_url=lambda number: f"{AUDIT_PATH}?{urlencode({**asked, 'q': '1', 'page': number})}",
        export_url=f"{AUDIT_PATH}/export.xlsx?{urlencode(asked)}",
    )  # fmt: skip


@router.get(f"{AUDIT_PATH}/export.xlsx")
async def review_audit_export(request: Request, context: Context) -> Response:
    """The audit the form names, as the review API's xlsx (passed on as it arrives)."""
    session = signed_in(request, AUDIT_PATH)
    if not isinstance(session, Session):
        return session
    criteria = audit_criteria(dict(request.query_params), china_today())
    params = {**criteria, "newest_first": "true"}
    return await passed_on(
        request, context, session, "/api/review/audit/export.xlsx", "审核留痕", params, service="review"
    )


# ── The review screen ─────────────────────────────────────────────────────────────────────────────────────

REVIEW_DONE = {
    "marks": "标记已保存。",
    "approve": "已审核通过。",
    "reject": "已退回制单人。",
    "send": "已提交发送请求。",
}


async def may_send(apis: ServiceApis, session: Session, task: dict[str, Any]) -> bool:
    """发送 shows on an approved task still 审核通过 for an admin, or a reviewer when the tenant allows it."""
    if task["status"] != "审核通过" or task.get("declaration_status") not in (None, "审核通过"):
        return False
    if not send_view(task).may_send_again:
        return False
    if "admin" in session.principal.roles:
        return True
    if not session.principal.roles & {"reviewer", "manager"}:
        return False
    settings = await apis.get("review", "/api/review/settings", session.token)
    return bool(settings.get("reviewers_may_send"))


async def load_screen(
    apis: ServiceApis, session: Session, review_id: str, advanced: bool
) -> tuple[dict[str, Any], dict[str, Any], AdvancedNotes | None, bool]:
    """The task, the document it reviews, 高级审核's notes (when asked) and whether 发送 shows."""
    task = await apis.get("review", task_api(review_id), session.token)
    document = task.get("document")
    if not document:  # a task from before review kept its document
        path = f"/api/declaration/declarations/{quote(task['declaration_id'], safe='')}"
        document = (await apis.get("declaration", path, session.token)).get("document") or {}
    notes = None
    if advanced:
        try:
            notes = advanced_notes(await apis.get("review", task_api(review_id, "/advanced"), session.token))
        except ApiRefused as refused:  # the marks can still be made: say what is missing
            notes = AdvancedNotes(unavailable=f"高级审核暂不可用：{refused.message}")
    return task, document, notes, await may_send(apis, session, task)


async def review_page(
    request: Request,
    context: Context,
    review_id: str,
    *,
    mode: str = "",
    error: str | None = None,
    status: int = 200,
    done: str | None = None,
    override: str = "",
) -> Response:
    """The review screen; with `error`, answered with the refusal's `status` (the page says what failed)."""
    session = signed_in(request, LIST_PATH)
    if not isinstance(session, Session):
        return session
    advanced = mode == "advanced"
    try:
        async with context.apis(request.app) as apis:
            task, document, notes, sendable = await load_screen(apis, session, review_id, advanced)
    except SessionExpired:
        return to_login(request, expired=True)
    except ApiRefused as refused:
        return refused_page(request, session, refused, "报关单审核")
    return render(
        request, "review.html", session, status=status, title="报关单审核", task=task,
        view=declaration_view(document), marks=marks_for_page(task["marks"]), notes=notes,
        mode="advanced" if advanced else "normal", error=error, done=REVIEW_DONE.get(done or ""),
        send=send_view(task), may_send=sendable, field_filters=FIELD_FILTERS, override=override,
        screen_url=lambda **query: screen_url(review_id, **query),
    )  # fmt: skip


async def refused_action(
    request: Request,
    context: Context,
    review_id: str,
    message: str,
    status: int,
    mode: str = "",
    override: str = "",
) -> Response:
    """The review screen saying why an action was refused, at the screen's own address (not the action's, which
    a reload would post to), so the reviewer can reload and try again."""
    response = await review_page(
        request, context, review_id, mode=mode, error=message, status=status, override=override
    )
    response.headers["HX-Push-Url"] = screen_url(review_id, mode=mode if mode == "advanced" else "")
    return response


@router.get("/console/review/{review_id}")
async def review(
    request: Request, context: Context, review_id: str, done: str | None = None, mode: str = ""
) -> Response:
    return await review_page(request, context, review_id, done=done, mode=mode)


@router.get("/console/review/{review_id}/print.pdf")
async def print_sheet(request: Request, context: Context, review_id: str) -> Response:
    """打印: the review sheet (the declaration with the marks in colour, then the comments), passed on."""
    session = signed_in(request, LIST_PATH)
    if not isinstance(session, Session):
        return session
    return await passed_on(
        request, context, session, task_api(review_id, "/print.pdf"), "打印审核单", None, "review"
    )


@router.get("/console/review/{review_id}/send-state")
async def send_state(request: Request, context: Context, review_id: str) -> Response:
    """The 发送 state alone, which the page polls every second while it is requested."""
    session = signed_in(request, LIST_PATH)
    if not isinstance(session, Session):
        return session
    try:
        async with context.apis(request.app) as apis:
            task = await apis.get("review", task_api(review_id), session.token)
    except SessionExpired:
        return to_login(request, expired=True)
    except ApiRefused as refused:
        return refused_page(request, session, refused, "报关单审核")
    return render(request, "review_send.html", session, task=task, send=send_view(task), title="发送")


@router.post("/console/review/{review_id}/send", dependencies=[Depends(require_csrf)])
async def send(
    request: Request, context: Context, review_id: str, mode: Annotated[str, Form()] = ""
) -> Response:
    """发送: asks review to hand the approved declaration on to 申报 (202: requested, settled later by the
    declaration service; the screen polls the task's `send`)."""
    session = signed_in(request, LIST_PATH)
    if not isinstance(session, Session):
        return session
    try:
        async with context.apis(request.app) as apis:
            await apis.post("review", task_api(review_id, "/send"), session.token, None)
    except SessionExpired:
        return to_login(request, expired=True)
    except ApiRefused as refused:
        return await refused_action(request, context, review_id, refused.message, refused.status, mode)
    return RedirectResponse(screen_url(review_id, done="send", mode=mode), status_code=303)


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
            "comment": str(m.get("comment") or "").strip()[:500] or None,
        }
        for m in given
        if isinstance(m, dict) and "field_path" in m and "verdict" in m
    ]


def action_body(action: str, marks: str, comment: str, override_reason: str) -> tuple[str, dict[str, Any]]:
    if action == "marks":
        return "PUT", {"marks": parse_marks(marks)}
    if action == "reject":
        return "POST", {"comment": comment.strip(), "marks": parse_marks(marks)}
    return "POST", {"comment": comment.strip() or None, "override_reason": override_reason.strip() or None}


def red_marks_message(refused: ApiRefused) -> str | None:
    """The approve API's 409 `review.red_marks` in the screen's words: the red fields by their Chinese names."""
    if refused.error.get("code") != "review.red_marks":
        return None
    fields = [field_label(str(p)) for p in refused.error.get("fields") or []]
    named = f"：{'、'.join(fields)}" if fields else ""
    return f"仍有 {len(fields) or ''} 个字段标记为红色（有误）{named}。如确需通过，请填写“覆盖理由”后再点“通过”（理由记入审核留痕）。"


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
    override_reason: Annotated[str, Form(max_length=1000)] = "",
    mode: Annotated[str, Form(max_length=10)] = "",
) -> Response:
    """保存标记 / 通过 / 退回: forwarded to the review API with the task's version as If-Match. 通过 with marks
    changed since the page was read saves them first (the approve API takes no marks), then approves the
    version that save answered, so no click of the reviewer is lost; with red marks it carries the reviewer's
    覆盖理由 (the API refuses it without one, 409 `review.red_marks`)."""
    if action not in ("marks", "approve", "reject"):
        raise HTTPException(404)
    session = signed_in(request, LIST_PATH)
    if not isinstance(session, Session):
        return session
    if action == "reject" and not comment.strip():
        return await refused_action(request, context, review_id, "退回时请填写退回原因。", 422, mode)
    method, body = action_body(action, marks, comment, override_reason)
    try:
        async with context.apis(request.app) as apis:
            if action == "approve" and marks_changed == "true":
                saved = await apis.change(
                    "PUT", "review", task_api(review_id, "/marks"), session.token,
                    {"marks": parse_marks(marks)}, version,
                )  # fmt: skip
                version = int(saved["version"])
            await apis.change(
                method, "review", task_api(review_id, f"/{action}"), session.token, body, version
            )
    except SessionExpired:
        return to_login(request, expired=True)
    except ApiRefused as refused:
        message = red_marks_message(refused) or refused.message
        return await refused_action(
            request, context, review_id, message, refused.status, mode, override_reason
        )
    return RedirectResponse(screen_url(review_id, done=action, mode=mode), status_code=303)
