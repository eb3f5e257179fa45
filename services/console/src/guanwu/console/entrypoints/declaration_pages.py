"""报关单制单: the eight 制单 lists and one declaration's screen."""

from __future__ import annotations

from urllib.parse import quote

from fastapi import APIRouter, Request, Response

from guanwu.console.adapters import ApiRefused, SessionExpired
from guanwu.console.domain.detail import declaration_view
from guanwu.console.domain.menu import DECLARATION_SCREENS
from guanwu.console.domain.screens import declaration_screen
from guanwu.console.entrypoints.pages import Context, list_page, refused_page, render, to_login
from guanwu.console.entrypoints.session import read_session

router = APIRouter(include_in_schema=False)


@router.get("/console/declarations/{slug}")
async def declarations(request: Request, context: Context, slug: str, page: int = 1) -> Response:
    """A 制单 list (`export-declaration` …), or else one declaration (its id)."""
    if slug in DECLARATION_SCREENS:
        return await list_page(request, context, declaration_screen(slug), page)
    return await declaration_detail(request, context, slug)


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
