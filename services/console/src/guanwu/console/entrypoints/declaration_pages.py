"""报关单制单: the eight 制单 lists, one declaration's screen and the declaration editor (新增 / 编辑)."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Depends, Form, HTTPException, Request, Response
from fastapi.responses import JSONResponse, RedirectResponse

from guanwu.console.adapters import ApiRefused, ServiceApis, SessionExpired
from guanwu.console.domain import editor
from guanwu.console.domain.detail import declaration_view
from guanwu.console.domain.menu import DECLARATION_SCREENS
from guanwu.console.domain.screens import declaration_screen
from guanwu.console.entrypoints.pages import (
    Context,
    list_page,
    refused_page,
    render,
    signed_in,
    to_login,
)
from guanwu.console.entrypoints.query_pages import draft_from_bonded_list
from guanwu.console.entrypoints.session import Session, read_session, require_csrf
from guanwu.customs.codes import CodeTables, load_default_tables

router = APIRouter(include_in_schema=False)
API = "/api/declaration/declarations"
FIRST_LIST = "/console/declarations/export-declaration"
"""The menu entry whose roles may draft (every 制单 list has the same: preparer)."""
DONE = {
    "delete": "已删除。",
    "save": "已暂存。",
    "submit": "已提交审核。",
    "declare": "已申报，正在签名发送。",
}


@cache
def code_tables() -> CodeTables:
    """The kernel's bundled code tables (those the declaration service checks with by default)."""
    return load_default_tables()


def slug_of(ie_flag: str, kind: str) -> str:
    for slug, (_, flag, list_kind) in DECLARATION_SCREENS.items():
        if flag == ie_flag and list_kind == kind:
            return slug
    return "export-declaration"


@router.get("/console/declarations/{slug}")
async def declarations(
    request: Request, context: Context, slug: str, page: int = 1, done: str | None = None
) -> Response:
    """A 制单 list (`export-declaration` …), or else one declaration (its id)."""
    if slug in DECLARATION_SCREENS:
        return await list_page(request, context, declaration_screen(slug), page)
    return await declaration_detail(request, context, slug, done)


async def declaration_detail(
    request: Request, context: Context, declaration_id: str, done: str | None = None
) -> Response:
    session = read_session(request)
    if session is None:
        return to_login(request, expired=bool(request.cookies.get("guanwu_session")))
    try:
        async with context.apis(request.app) as apis:
            declaration = await apis.get("declaration", declaration_path(declaration_id), session.token)
    except SessionExpired:
        return to_login(request, expired=True)
    except ApiRefused as refused:
        return refused_page(request, session, refused, "报关单详情")
    roles = set(session.principal.roles)
    return render(
        request,
        "declaration.html",
        session,
        title="报关单详情",
        declaration=declaration,
        view=declaration_view(declaration.get("document") or {}),
        may_edit=bool(roles & {"preparer", "admin"}) and declaration["status"] in editor.EDITABLE_STATUSES,
        done=DONE.get(done or ""),
    )


@router.post("/console/declarations/{slug}/from-bonded-list", dependencies=[Depends(require_csrf)])
async def from_bonded_list(
    request: Request, context: Context, slug: str, number: Annotated[str, Form(max_length=18)] = ""
) -> Response:
    """生成报关单 on a 制单 list (its own small form): 报关数据查询's call; the new draft's detail, or the list
    again with the reason and the number as typed."""
    if slug not in DECLARATION_SCREENS:
        raise HTTPException(404)
    session = drafting(request)
    if not isinstance(session, Session):
        return session
    path = f"/console/declarations/{slug}"
    try:
        declaration_id = await draft_from_bonded_list(request, context, session, number.strip())
    except SessionExpired:
        return to_login(request, expired=True, next=path)
    except ApiRefused as refused:
        page = await list_page(
            request,
            context,
            declaration_screen(slug),
            1,
            path=path,
            error=f"生成报关单失败：{refused.message}",
            status=refused.status,
            bonded_number=number,
        )
        page.headers["HX-Push-Url"] = path  # a reload shows the list, never re-posts
        return page
    return RedirectResponse(f"/console/declarations/{quote(declaration_id, safe='')}", 303)


def declaration_path(declaration_id: str, action: str = "") -> str:
    return f"{API}/{quote(declaration_id, safe='')}" + (f"/{action}" if action else "")


def edit_url(declaration_id: str, done: str = "") -> str:
    return f"/console/declarations/{quote(declaration_id, safe='')}/edit" + (f"?done={done}" if done else "")


# ── the editor's page ──────────────────────────────────────────────────────────────────────────────────


COPIED = "已复制为新报关单（不含统一编号、海关编号），请修改后暂存。"


@dataclass
class EditorState:
    """One rendering of the editor: the document as the user has it now (maybe unsaved), and what to say."""

    document: dict[str, Any]
    slug: str
    declaration: dict[str, Any] | None = None
    version: int = 0
    dirty: bool = False
    notes: dict[str, list[dict[str, str]]] = field(default_factory=dict)
    notice: str | None = None
    error: str | None = None
    conflict: dict[str, Any] | None = None
    template_fields: list[str] = field(default_factory=list)
    status: int = 200
    restore: bool = False
    """Back from a login a save's expired session asked for: offer the form the browser kept."""

    @property
    def editable(self) -> bool:
        return self.declaration is None or self.declaration["status"] in editor.EDITABLE_STATUSES

    @property
    def action(self) -> str:
        if self.declaration is None:
            return f"/console/declarations/{self.slug}/new"
        return edit_url(self.declaration["declaration_id"])


async def render_editor(
    request: Request, apis: ServiceApis, session: Session, state: EditorState
) -> Response:
    templates = await apis.get("declaration", "/api/declaration/templates", session.token)
    metadata = await form_metadata(apis, session.token, state.document)
    title = DECLARATION_SCREENS[state.slug][0]
    page = {
        "doc": editor.keyed(state.document),
        "notes": state.notes,
        "names": editor.code_names(code_tables(), state.document),
        "meta": metadata,
        "dirty": state.dirty,
        "template_fields": state.template_fields,
        "max_lines": editor.MAX_LINES,
        "kept_key": f"guanwu-editor:{state.action}",
        "restore": state.restore,
    }
    response = render(
        request,
        "editor.html",
        session,
        status=state.status,
        title=("编辑" if state.declaration else "新增") + title,
        list_title=title,
        state=state,
        page=page,
        templates=templates,
        head_groups=editor.head_groups(),
        goods_groups=editor.goods_groups(),
        goods_columns=editor.goods_columns(),
        row_blocks=editor.row_blocks(),
        transit_groups=editor.transit_groups(),
        notes_total=sum(len(v) for v in state.notes.values()),
    )
    response.headers["HX-Push-Url"] = state.action  # a reload shows the form, never re-posts it
    return response


async def form_metadata(apis: ServiceApis, token: str, document: dict[str, Any]) -> dict[str, Any] | None:
    """The declaration service's F-03 rules for the document's 申报地海关 and kind (南方/北方模式), or None."""
    custom_master = str((document.get("head") or {}).get("custom_master") or "")
    if len(custom_master) != 4:
        return None
    params = {"custom_master": custom_master, "kind": str(document.get("kind") or "declaration")}
    try:
        answer: dict[str, Any] = await apis.get(
            "declaration", "/api/declaration/form-metadata", token, params
        )
    except ApiRefused:
        return None  # an unknown district: the logic checks say so beside the field
    return answer


def drafting(request: Request) -> Session | Response:
    return signed_in(request, FIRST_LIST)


RESTORE = "restore"
"""The editor's query flag after a login that a save's expired session asked for: the browser kept the form
as it was posted (sessionStorage, `static/editor.js`), and the page offers it back (恢复未保存的修改)."""


def to_login_keeping_edit(request: Request, *, expired: bool) -> Response:
    """A save whose session has expired: the login page, coming back to the editor with `?restore=1`."""
    return to_login(request, expired=expired, next=f"{request.url.path}?{RESTORE}=1")


def drafting_a_post(request: Request) -> Session | Response:
    if read_session(request) is None:
        return to_login_keeping_edit(request, expired=bool(request.cookies.get("guanwu_session")))
    return drafting(request)


@router.get("/console/declarations/{slug}/new")
async def new_declaration(request: Request, context: Context, slug: str, restore: bool = False) -> Response:
    """新增 from a 制单 list: an empty document of the list's 进出口标志 and kind."""
    if slug not in DECLARATION_SCREENS:
        raise HTTPException(404)
    session = drafting(request)
    if not isinstance(session, Session):
        return session
    _, ie_flag, kind = DECLARATION_SCREENS[slug]
    state = EditorState(editor.new_document(ie_flag, kind), slug, restore=restore)
    try:
        async with context.apis(request.app) as apis:
            return await render_editor(request, apis, session, state)
    except SessionExpired:
        return to_login(request, expired=True)


@router.get("/console/declarations/{declaration_id}/edit")
async def edit_declaration(
    request: Request, context: Context, declaration_id: str, done: str | None = None, restore: bool = False
) -> Response:
    session = drafting(request)
    if not isinstance(session, Session):
        return session
    try:
        async with context.apis(request.app) as apis:
            declaration = await apis.get("declaration", declaration_path(declaration_id), session.token)
            state = stored_state(declaration)
            state.notice = saved_notice(declaration) if done == "save" else COPIED if done == "copy" else None
            state.restore = restore
            return await render_editor(request, apis, session, state)
    except SessionExpired:
        return to_login(request, expired=True)
    except ApiRefused as refused:
        return refused_page(request, session, refused, "编辑报关单")


def stored_state(declaration: dict[str, Any]) -> EditorState:
    """The editor on the declaration as stored: its 暂存 findings and, when returned, the reviewer's red marks."""
    document = declaration["document"]
    review = declaration.get("review") or {}
    marks = review.get("marks") or [] if declaration["status"] == "审核退回" else []
    return EditorState(
        document,
        slug_of(document["head"]["ie_flag"], document.get("kind", "declaration")),
        declaration=declaration,
        version=int(declaration["version"]),
        notes=editor.notes(declaration.get("findings") or [], marks=marks),
        template_fields=list(declaration.get("template_fields") or []),
    )


def saved_notice(declaration: dict[str, Any]) -> str:
    findings = declaration.get("findings") or []
    errors = sum(1 for f in findings if f.get("severity") == "error")
    warnings = len(findings) - errors
    if not findings:
        return f"已暂存（版本 {declaration['version']}），逻辑校验未发现问题。"
    return f"已暂存（版本 {declaration['version']}）。逻辑校验：错误 {errors} 个，警告 {warnings} 个，见各字段旁的提示。"


# ── 暂存, 提交审核, 申报, 模版: one form, one route per document ─────────────────────────────────────────


@dataclass(frozen=True)
class Posted:
    action: str
    text: str
    version: int
    overwrite_version: int
    dirty: bool
    template_id: str
    template_name: str


async def posted(request: Request) -> Posted:
    form = await request.form()

    def value(name: str) -> str:
        got = form.get(name)
        return got.strip() if isinstance(got, str) else ""

    def number(name: str) -> int:
        return int(value(name)) if value(name).isdigit() else 0

    return Posted(
        action=value("action"),
        text=value("document") or "{}",
        version=number("version"),
        overwrite_version=number("overwrite_version"),
        dirty=value("dirty") == "true",
        template_id=value("template_id"),
        template_name=value("template_name"),
    )


@router.post("/console/declarations/{slug}/new", dependencies=[Depends(require_csrf)])
async def create_declaration(request: Request, context: Context, slug: str) -> Response:
    if slug not in DECLARATION_SCREENS:
        raise HTTPException(404)
    session = drafting_a_post(request)
    if not isinstance(session, Session):
        return session
    _, ie_flag, kind = DECLARATION_SCREENS[slug]
    form = await posted(request)
    try:
        document = editor.document_from_form(form.text, ie_flag=ie_flag, kind=kind)
    except editor.FormError as broken:
        raise HTTPException(400, str(broken)) from broken
    state = EditorState(document, slug, dirty=True)
    try:
        async with context.apis(request.app) as apis:
            return await carry_out(request, apis, session, state, form)
    except SessionExpired:
        return to_login_keeping_edit(request, expired=True)


@router.post("/console/declarations/{declaration_id}/edit", dependencies=[Depends(require_csrf)])
async def change_declaration(request: Request, context: Context, declaration_id: str) -> Response:
    session = drafting_a_post(request)
    if not isinstance(session, Session):
        return session
    form = await posted(request)
    try:
        async with context.apis(request.app) as apis:
            declaration = await apis.get("declaration", declaration_path(declaration_id), session.token)
            head = declaration["document"]["head"]
            kind = declaration["document"].get("kind", "declaration")
            try:
                document = editor.document_from_form(form.text, ie_flag=head["ie_flag"], kind=kind)
            except editor.FormError as broken:
                raise HTTPException(400, str(broken)) from broken
            state = EditorState(
                document,
                slug_of(head["ie_flag"], kind),
                declaration=declaration,
                version=form.version,
                dirty=form.dirty,
                template_fields=list(declaration.get("template_fields") or []),
            )
            return await carry_out(request, apis, session, state, form)
    except SessionExpired:
        return to_login_keeping_edit(request, expired=True)
    except ApiRefused as refused:
        return refused_page(request, session, refused, "编辑报关单")


async def carry_out(
    request: Request, apis: ServiceApis, session: Session, state: EditorState, form: Posted
) -> Response:
    """Do what the pressed button asks. Whatever is refused, the page comes back with the user's document as
    they typed it (never a lost edit) and the reason beside the fields or above the form."""
    try:
        if form.action == "apply_template":
            await use_template(apis, session.token, state, form.template_id)
        elif form.action == "save_template":
            await keep_as_template(apis, session.token, state, form.template_name)
        elif form.action == "check":
            await check(apis, session.token, state)
        elif form.action == "merge":
            await merge(apis, session.token, state, form)
        elif form.action in ("save", "overwrite", "submit", "declare"):
            return await write(apis, session.token, state, form)
        elif form.action in ("copy", "delete") and state.declaration is not None:
            return await copy_or_delete(apis, session.token, state, form.action)
        else:
            raise HTTPException(400, "未知的操作")
    except ApiRefused as refused:
        await explain(apis, session.token, state, refused)
    return await render_editor(request, apis, session, state)


async def write(apis: ServiceApis, token: str, state: EditorState, form: Posted) -> Response:
    """暂存 (覆盖: at the server's current version), then 提交审核 or 申报 when asked; the next page by redirect."""
    if form.action == "overwrite":
        state.version = form.overwrite_version
    if state.declaration is None:
        created = await apis.post("declaration", API, token, state.document)
        state.declaration, state.version, state.dirty = created, int(created["version"]), False
    elif form.action in ("save", "overwrite") or (state.dirty and form.action == "submit"):
        # 申报 declares the approved version as it stands: an approved declaration is not edited
        path = declaration_path(state.declaration["declaration_id"])
        saved = await apis.change("PUT", "declaration", path, token, state.document, state.version)
        state.declaration, state.version, state.dirty = saved, int(saved["version"]), False
    declaration_id = state.declaration["declaration_id"]
    if form.action in ("save", "overwrite"):
        return RedirectResponse(edit_url(declaration_id, "save"), status_code=303)
    path = declaration_path(declaration_id, "submit" if form.action == "submit" else "declare")
    await apis.change("POST", "declaration", path, token, None, state.version)
    target = f"/console/declarations/{quote(declaration_id, safe='')}?done={form.action}"
    return RedirectResponse(target, status_code=303)


async def copy_or_delete(apis: ServiceApis, token: str, state: EditorState, action: str) -> Response:
    """复制 makes a new draft of the stored declaration (without its customs numbers) and opens it; 删除 marks
    the version the user read 已删除 and shows its detail."""
    assert state.declaration is not None
    declaration_id = state.declaration["declaration_id"]
    if action == "copy":
        created = await apis.post("declaration", declaration_path(declaration_id, "copy"), token, None)
        return RedirectResponse(edit_url(created["declaration_id"], "copy"), status_code=303)
    await apis.change("DELETE", "declaration", declaration_path(declaration_id), token, None, state.version)
    return RedirectResponse(f"/console/declarations/{quote(declaration_id, safe='')}?done=delete", 303)


async def explain(apis: ServiceApis, token: str, state: EditorState, refused: ApiRefused) -> None:
    """The refusal on the page: a stale version (412) with what others changed since, blocking findings
    (提交审核) or refused values (422) beside their fields, anything else above the form."""
    state.status = refused.status
    state.error = refused.message
    error = refused.error
    if error.get("findings") or error.get("fields"):
        state.notes = editor.notes(error.get("findings") or [], invalid=error.get("fields") or [])
    if refused.status == 412 and state.declaration is not None:
        declaration_id = state.declaration["declaration_id"]
        current = await apis.get("declaration", declaration_path(declaration_id), token)
        audit = await apis.get("declaration", declaration_path(declaration_id, "audit"), token)
        state.declaration = {**state.declaration, "status": current["status"]}
        state.dirty = True
        state.error = None
        state.conflict = {
            "current_version": int(current["version"]),
            "status": current["status"],
            "changes": editor.changes_since(audit, state.version),
            "editable": current["status"] in editor.EDITABLE_STATUSES,
        }


async def check(apis: ServiceApis, token: str, state: EditorState) -> None:
    """逻辑校验: the 申报-level checks of the form as it is now, nothing saved (the checks 提交审核 will run)."""
    report = await apis.post("declaration", "/api/declaration/validate?level=declare", token, state.document)
    state.notes = editor.notes(report["findings"])
    if report["findings"]:
        state.notice = f"逻辑校验（按申报要求）：错误 {report['errors']} 个，警告 {report['warnings']} 个，见各字段旁的提示。"
    else:
        state.notice = "逻辑校验（按申报要求）未发现问题。"
    if state.dirty:
        state.notice += "修改尚未暂存。"


async def merge(apis: ServiceApis, token: str, state: EditorState, form: Posted) -> None:
    """合并他人修改: after a 412, the user's document with the fields others changed that the user did not,
    at the server's current version, for the user to look over and 暂存."""
    if state.declaration is None or not form.overwrite_version:
        raise ApiRefused(422, "没有可合并的修改。")
    audit_path = declaration_path(state.declaration["declaration_id"], "audit")
    audit = await apis.get("declaration", audit_path, token)
    state.document, taken, kept = editor.merge_changes(state.document, audit, form.version)
    state.version, state.dirty = form.overwrite_version, True
    state.notice = f"已合并他人修改的 {len(taken)} 项（{'、'.join(taken) or '无'}）"
    if kept:
        state.notice += f"；{len(kept)} 项双方都改过，保留了您的值（{'、'.join(kept)}）"
    state.notice += "。请核对后暂存。"


async def use_template(apis: ServiceApis, token: str, state: EditorState, template_id: str) -> None:
    templates = await apis.get("declaration", "/api/declaration/templates", token)
    chosen = next((t for t in templates if t["template_id"] == template_id), None)
    if chosen is None:
        raise ApiRefused(422, "请先选择要应用的单证模版。")
    state.document, filled = editor.apply_template(state.document, chosen["document"])
    state.template_fields, state.dirty = filled, True
    state.notice = f"已应用单证模版「{chosen['name']}」（{len(filled)} 项），请核对后暂存。"


async def keep_as_template(apis: ServiceApis, token: str, state: EditorState, name: str) -> None:
    """保存为模版: a template of that name is replaced (at its version), else a new one is made."""
    if not name:
        raise ApiRefused(422, "请填写模版名称。")
    body = {"name": name, "document": editor.template_document(state.document)}
    templates = await apis.get("declaration", "/api/declaration/templates", token)
    same = next((t for t in templates if t["name"] == name), None)
    if same is None:
        await apis.post("declaration", "/api/declaration/templates", token, body)
    else:
        path = f"/api/declaration/templates/{quote(same['template_id'], safe='')}"
        await apis.change("PUT", "declaration", path, token, body, int(same["version"]))
    state.notice = (
        f"已保存为单证模版「{name}」。报关单本身尚未暂存。"
        if state.dirty
        else f"已保存为单证模版「{name}」。"
    )


# ── what the editor's components ask while the user types ─────────────────────────────────────────────


@router.get("/console/editor/codes/{table}")
async def codes(request: Request, table: str, q: str = "") -> Response:
    """A code table searched on the server (code, then names): the searchable selects' options."""
    if read_session(request) is None:
        return JSONResponse({"items": []}, status_code=401)
    if table not in editor.SEARCHABLE:
        raise HTTPException(404)
    return JSONResponse({"items": editor.search_codes(code_tables(), table, q[:50])})


@router.get("/console/editor/form-metadata")
async def metadata(request: Request, context: Context, custom_master: str = "", kind: str = "") -> Response:
    """The declaration service's F-03 rules for a 申报地海关 (南方/北方模式), asked when the user changes it."""
    session = read_session(request)
    if session is None:
        return JSONResponse({}, status_code=401)
    try:
        async with context.apis(request.app) as apis:
            answer = await form_metadata(
                apis, session.token, {"head": {"custom_master": custom_master}, "kind": kind}
            )
    except SessionExpired:
        return JSONResponse({}, status_code=401)
    return JSONResponse(answer or {})
