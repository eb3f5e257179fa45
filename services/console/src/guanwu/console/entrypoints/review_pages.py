"""审单: the 报关单审核 list and the review screen (可视化审核)."""

from __future__ import annotations

import json
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Depends, Form, HTTPException, Request, Response
from fastapi.responses import RedirectResponse

from guanwu.console.adapters import ApiRefused, SessionExpired
from guanwu.console.domain.detail import declaration_view
from guanwu.console.domain.screens import REVIEW_TASKS
from guanwu.console.entrypoints.pages import Context, list_page, refused_page, render, signed_in, to_login
from guanwu.console.entrypoints.session import Session, require_csrf

router = APIRouter(include_in_schema=False)


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
