"""HTTP API of the declaration service (报关单制单): declarations, 单证模版, form metadata and checks.

Routes turn a request into a handler call and its answer; refusals are the domain's and the platform answers
them (404, 409, 412, 422), so no route catches anything.
"""

from __future__ import annotations

from functools import partial
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query, Response
from pydantic import BaseModel

from guanwu.contracts.declaration import DeclarationDocument, DocumentKind
from guanwu.customs.codes import load_default_tables
from guanwu.customs.rules import Level, Severity
from guanwu.declaration.domain.bonded_lists import BondedListNumber
from guanwu.declaration.domain.commands import Edit
from guanwu.declaration.domain.form import FormMetadata, form_metadata
from guanwu.declaration.domain.model import AuditEntry, Declaration, FindingView, validate
from guanwu.declaration.domain.templates import Template, TemplateInput
from guanwu.declaration.service_layer.context import DeclarationContext
from guanwu.declaration.service_layer.handlers import declarations, templates
from guanwu.platform.auth import CurrentPrincipal, require_roles
from guanwu.platform.http.context import service_context
from guanwu.platform.http.versioning import IfMatch, answer_change, expected_version, tagged

LEVELS = {"stage": Level.STAGE, "declare": Level.DECLARE}
READERS = ("preparer", "reviewer", "manager", "integration")
"""Who may read a tenant's declarations; only preparers change them (admin may do both)."""
WRITERS = [require_roles("preparer")]
TEMPLATE_WRITERS = [require_roles("preparer", "manager")]

Context = Annotated[DeclarationContext, Depends(service_context("declaration"))]

router = APIRouter(prefix="/api/declaration", tags=["declaration"])
templates_router = APIRouter(prefix="/api/declaration/templates", tags=["declaration templates"])


class DeclarationPage(BaseModel):
    total: int
    items: list[Declaration]


class ValidationReport(BaseModel):
    level: Literal["stage", "declare"]
    errors: int
    warnings: int
    findings: list[FindingView]


def edit_of(declaration_id: str, principal: CurrentPrincipal, if_match: IfMatch = None) -> Edit:
    """A change based on the version the caller read (If-Match; 428 without it)."""
    return Edit(principal, declaration_id, expected_version(if_match))


Edited = Annotated[Edit, Depends(edit_of)]
"""For changes without a body; `update` calls `edit_of` itself, so that a malformed document is still reported
(422) before a missing If-Match (428)."""


# ── declarations ───────────────────────────────────────────────────────────────────────────────────────


@router.post(
    "/declarations",
    response_model=Declaration,
    status_code=201,
    summary="新增报关单草稿（暂存）/ create a draft declaration",
    dependencies=WRITERS,
)
async def create(
    document: DeclarationDocument, principal: CurrentPrincipal, response: Response, context: Context
) -> Declaration:
    declaration = await declarations.draft_declaration(
        document, caller=principal, uow=context.new_uow(), clock=context.clock
    )
    tagged(declaration, response)
    response.headers["Location"] = f"/api/declaration/declarations/{declaration.declaration_id}"
    return declaration


@router.get(
    "/declarations/{declaration_id}",
    response_model=Declaration,
    summary="报关单详情 / one declaration",
    dependencies=[require_roles(*READERS)],
)
async def get_one(
    declaration_id: str, principal: CurrentPrincipal, response: Response, context: Context
) -> Declaration:
    declaration = await context.new_uow().declarations.load(principal.tenant, declaration_id)
    return tagged(declaration, response)


@router.get(
    "/declarations",
    response_model=DeclarationPage,
    summary="我的草稿 / list declarations (mine=false: the whole tenant's)",
    dependencies=[require_roles(*READERS)],
)
async def list_declarations(
    principal: CurrentPrincipal,
    context: Context,
    mine: bool = True,
    skip: Annotated[int, Query(ge=0)] = 0,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> DeclarationPage:
    created_by = principal.user_id if mine else None
    total, items = await context.new_uow().declarations.list_for(
        principal.tenant, created_by=created_by, skip=skip, limit=limit
    )
    return DeclarationPage(total=total, items=items)


@router.put(
    "/declarations/{declaration_id}",
    response_model=Declaration,
    summary="修改并暂存 / update a draft (If-Match required)",
    dependencies=WRITERS,
)
async def update(
    declaration_id: str,
    document: DeclarationDocument,
    principal: CurrentPrincipal,
    response: Response,
    context: Context,
    if_match: IfMatch = None,
) -> Declaration:
    edit = edit_of(declaration_id, principal, if_match)
    return await answer_change(
        partial(declarations.update_declaration, document=document), edit, context, response
    )


@router.delete(
    "/declarations/{declaration_id}",
    response_model=Declaration,
    summary="删除（申报前）/ delete before 申报 (If-Match required)",
    dependencies=WRITERS,
)
async def remove(edit: Edited, response: Response, context: Context) -> Declaration:
    return await answer_change(declarations.delete_declaration, edit, context, response)


@router.post(
    "/declarations/{declaration_id}/submit",
    response_model=Declaration,
    summary="提交审核 / submit for review (no error-level findings; If-Match required)",
    dependencies=WRITERS,
)
async def submit(edit: Edited, response: Response, context: Context) -> Declaration:
    return await answer_change(declarations.submit_declaration_for_review, edit, context, response)


@router.post(
    "/declarations/{declaration_id}/declare",
    response_model=Declaration,
    summary="申报 / declare an approved declaration: sign with the IC card, then send (If-Match required)",
    dependencies=WRITERS,
)
async def declare(edit: Edited, response: Response, context: Context) -> Declaration:
    return await answer_change(declarations.declare_declaration, edit, context, response)


@router.post(
    "/declarations/{declaration_id}/copy",
    response_model=Declaration,
    status_code=201,
    summary="复制 / copy into a new draft",
    dependencies=WRITERS,
)
async def copy(declaration_id: str, principal: CurrentPrincipal, context: Context) -> Declaration:
    return await declarations.copy_declaration(
        declaration_id, caller=principal, uow=context.new_uow(), clock=context.clock
    )


@router.get(
    "/declarations/{declaration_id}/audit",
    response_model=list[AuditEntry],
    summary="修改记录 / audit trail: who, when, fields before and after",
    dependencies=[require_roles(*READERS)],
)
async def audit(declaration_id: str, principal: CurrentPrincipal, context: Context) -> list[AuditEntry]:
    declaration = await context.new_uow().declarations.load(principal.tenant, declaration_id)
    return declaration.audit


@router.post(
    "/declarations/from-bonded-list",
    response_model=Declaration,
    status_code=201,
    summary="由预审批通过的核注清单生成报关单 / draft from a synced, pre-approved 核注清单 by its number (F-07)",
    dependencies=WRITERS,
)
async def from_bonded_list(
    number: BondedListNumber, principal: CurrentPrincipal, context: Context
) -> Declaration:
    return await declarations.draft_from_bonded_list(
        number, caller=principal, uow=context.new_uow(), clock=context.clock
    )


@router.get(
    "/form-metadata",
    response_model=FormMetadata,
    summary="表单字段显示规则 / which blocks and fields apply for a 申报地海关 and kind (F-03)",
)
async def metadata(
    principal: CurrentPrincipal,
    custom_master: Annotated[str, Query(pattern=r"^\d{4}$", description="CustomMaster 申报地海关")],
    kind: DocumentKind = DocumentKind.DECLARATION,
) -> FormMetadata:
    return form_metadata(custom_master, kind, load_default_tables())


@router.post(
    "/validate",
    response_model=ValidationReport,
    summary="逻辑校验 / check a document at 暂存 (stage) or 申报 (declare) level",
)
async def check_document(
    document: DeclarationDocument,
    principal: CurrentPrincipal,
    level: Literal["stage", "declare"] = "declare",
) -> ValidationReport:
    findings = validate(document, LEVELS[level])
    errors = sum(1 for f in findings if f.severity is Severity.ERROR)
    return ValidationReport(
        level=level,
        errors=errors,
        warnings=len(findings) - errors,
        findings=[FindingView.of(f) for f in findings],
    )


# ── 单证模版 ────────────────────────────────────────────────────────────────────────────────────────────
# The Python names differ from the declaration routes'; `name=` keeps the operation ids they always had.


@templates_router.post(
    "",
    name="create",
    response_model=Template,
    status_code=201,
    summary="新建模版 / create",
    dependencies=TEMPLATE_WRITERS,
)
async def create_template(body: TemplateInput, principal: CurrentPrincipal, context: Context) -> Template:
    return await templates.create_template(body, caller=principal, uow=context.new_uow(), clock=context.clock)


@templates_router.get("", response_model=list[Template], summary="模版列表 / list")
async def list_templates(principal: CurrentPrincipal, context: Context) -> list[Template]:
    return await context.new_uow().templates.list_for(principal.tenant)


@templates_router.put(
    "/{template_id}",
    name="update",
    response_model=Template,
    summary="修改模版 / update (If-Match)",
    dependencies=TEMPLATE_WRITERS,
)
async def update_template(
    template_id: str,
    body: TemplateInput,
    principal: CurrentPrincipal,
    response: Response,
    context: Context,
    if_match: IfMatch = None,
) -> Template:
    saved = await templates.update_template(
        template_id,
        body,
        caller=principal,
        expected_version=expected_version(if_match),
        uow=context.new_uow(),
        clock=context.clock,
    )
    return tagged(saved, response)


@templates_router.delete(
    "/{template_id}",
    name="remove",
    status_code=204,
    summary="删除模版 / delete",
    dependencies=TEMPLATE_WRITERS,
)
async def remove_template(template_id: str, principal: CurrentPrincipal, context: Context) -> Response:
    await templates.delete_template(template_id, caller=principal, uow=context.new_uow())
    return Response(status_code=204)


@templates_router.post(
    "/{template_id}/declarations",
    response_model=Declaration,
    status_code=201,
    summary="由模版新建报关单 / new draft from a template (its fields are marked)",
    dependencies=WRITERS,
)
async def new_declaration(template_id: str, principal: CurrentPrincipal, context: Context) -> Declaration:
    return await templates.draft_from_template(
        template_id, caller=principal, uow=context.new_uow(), clock=context.clock
    )
