"""HTTP API of the declaration service (报关单制单)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated, Literal

from fastapi import APIRouter, HTTPException, Query, Response
from pydantic import BaseModel

from guanwu.contracts.declaration import BondedList, DeclarationDocument, DocumentKind
from guanwu.customs.codes import load_default_tables
from guanwu.customs.rules import Level, Severity
from guanwu.declaration.domain import AuditEntry, Declaration, FindingView, LifecycleError
from guanwu.declaration.form import FormMetadata, UnknownDistrict, form_metadata
from guanwu.declaration.from_bonded_list import NotApproved, Unmappable, declaration_from_bonded_list
from guanwu.declaration.handlers import (
    NotFound,
    copy_declaration,
    declare_declaration,
    delete_declaration,
    draft_declaration,
    submit_declaration_for_review,
    update_declaration,
    validate,
)
from guanwu.declaration.repository import DeclarationRepository
from guanwu.platform.auth import CurrentPrincipal, Principal, require_roles
from guanwu.platform.http.versioning import IfMatch, etag, expected_version, version_conflict
from guanwu.platform.outbox import OutboxNotifier
from guanwu.platform.store.port import ConcurrencyConflict

NOT_FOUND = {
    "code": "declaration.not_found",
    "message_zh": "报关单不存在",
    "message_en": "Declaration not found",
}
LEVELS = {"stage": Level.STAGE, "declare": Level.DECLARE}
READERS = ("preparer", "reviewer", "manager", "integration")
"""Who may read a tenant's declarations; only preparers change them (admin may do both)."""


class DeclarationPage(BaseModel):
    total: int
    items: list[Declaration]


async def guarded(
    change: Awaitable[Declaration], repository: DeclarationRepository, tenant: str, declaration_id: str
) -> Declaration:
    """Run a change and translate its refusals into HTTP answers that say why."""
    try:
        return await change
    except NotFound:
        raise HTTPException(404, detail=NOT_FOUND) from None
    except LifecycleError as exc:
        detail: dict[str, object] = {
            "code": exc.code,
            "message_zh": exc.message_zh,
            "message_en": exc.message_en,
        }
        if exc.findings:  # which fields block it, so the console can take the preparer there
            detail["findings"] = [FindingView.of(f).model_dump() for f in exc.findings]
        raise HTTPException(409, detail=detail) from None
    except ConcurrencyConflict:
        current = await repository.get(tenant, declaration_id)
        version = current.version if current else None
        raise version_conflict("declaration.version_conflict", "报关单", "declaration", version) from None


class ValidationReport(BaseModel):
    level: Literal["stage", "declare"]
    errors: int
    warnings: int
    findings: list[FindingView]


def build_router(repository: DeclarationRepository, outbox_written: OutboxNotifier) -> APIRouter:
    router = APIRouter(prefix="/api/declaration", tags=["declaration"])

    @router.post(
        "/declarations",
        response_model=Declaration,
        status_code=201,
        summary="新增报关单草稿（暂存）/ create a draft declaration",
        dependencies=[require_roles("preparer")],
    )
    async def create(
        document: DeclarationDocument, principal: CurrentPrincipal, response: Response
    ) -> Declaration:
        declaration = await draft_declaration(
            document,
            tenant=principal.tenant,
            user_id=principal.user_id,
            repository=repository,
            outbox_written=outbox_written,
        )
        response.headers["ETag"] = etag(declaration.version)
        response.headers["Location"] = f"/api/declaration/declarations/{declaration.declaration_id}"
        return declaration

    @router.get(
        "/declarations/{declaration_id}",
        response_model=Declaration,
        summary="报关单详情 / one declaration",
        dependencies=[require_roles(*READERS)],
    )
    async def get_one(declaration_id: str, principal: CurrentPrincipal, response: Response) -> Declaration:
        declaration = await repository.get(principal.tenant, declaration_id)
        if declaration is None:
            raise HTTPException(404, detail=NOT_FOUND)
        response.headers["ETag"] = etag(declaration.version)
        return declaration

    @router.get(
        "/declarations",
        response_model=DeclarationPage,
        summary="我的草稿 / list declarations (mine=false: the whole tenant's)",
        dependencies=[require_roles(*READERS)],
    )
    async def list_declarations(
        principal: CurrentPrincipal,
        mine: bool = True,
        skip: Annotated[int, Query(ge=0)] = 0,
        limit: Annotated[int, Query(ge=1, le=200)] = 50,
    ) -> DeclarationPage:
        created_by = principal.user_id if mine else None
        total, items = await repository.list_for(
            principal.tenant, created_by=created_by, skip=skip, limit=limit
        )
        return DeclarationPage(total=total, items=items)

    async def versioned(
        command: Callable[..., Awaitable[Declaration]],
        declaration_id: str,
        principal: Principal,
        if_match: str | None,
        response: Response,
        *args: object,
    ) -> Declaration:
        """A change based on the version the caller read (If-Match); answers with the new version's ETag."""
        change = command(
            declaration_id,
            *args,
            expected_version=expected_version(if_match),
            tenant=principal.tenant,
            user_id=principal.user_id,
            repository=repository,
            outbox_written=outbox_written,
        )
        declaration = await guarded(change, repository, principal.tenant, declaration_id)
        response.headers["ETag"] = etag(declaration.version)
        return declaration

    @router.put(
        "/declarations/{declaration_id}",
        response_model=Declaration,
        summary="修改并暂存 / update a draft (If-Match required)",
        dependencies=[require_roles("preparer")],
    )
    async def update(
        declaration_id: str,
        document: DeclarationDocument,
        principal: CurrentPrincipal,
        response: Response,
        if_match: IfMatch = None,
    ) -> Declaration:
        return await versioned(update_declaration, declaration_id, principal, if_match, response, document)

    @router.delete(
        "/declarations/{declaration_id}",
        response_model=Declaration,
        summary="删除（申报前）/ delete before 申报 (If-Match required)",
        dependencies=[require_roles("preparer")],
    )
    async def remove(
        declaration_id: str, principal: CurrentPrincipal, response: Response, if_match: IfMatch = None
    ) -> Declaration:
        return await versioned(delete_declaration, declaration_id, principal, if_match, response)

    @router.post(
        "/declarations/{declaration_id}/submit",
        response_model=Declaration,
        summary="提交审核 / submit for review (no error-level findings; If-Match required)",
        dependencies=[require_roles("preparer")],
    )
    async def submit(
        declaration_id: str, principal: CurrentPrincipal, response: Response, if_match: IfMatch = None
    ) -> Declaration:
        return await versioned(submit_declaration_for_review, declaration_id, principal, if_match, response)

    @router.post(
        "/declarations/{declaration_id}/declare",
        response_model=Declaration,
        summary="申报 / declare an approved declaration: sign with the IC card, then send (If-Match required)",
        dependencies=[require_roles("preparer")],
    )
    async def declare(
        declaration_id: str, principal: CurrentPrincipal, response: Response, if_match: IfMatch = None
    ) -> Declaration:
        return await versioned(declare_declaration, declaration_id, principal, if_match, response)

    @router.post(
        "/declarations/{declaration_id}/copy",
        response_model=Declaration,
        status_code=201,
        summary="复制 / copy into a new draft",
        dependencies=[require_roles("preparer")],
    )
    async def copy(declaration_id: str, principal: CurrentPrincipal) -> Declaration:
        change = copy_declaration(
            declaration_id,
            tenant=principal.tenant,
            user_id=principal.user_id,
            repository=repository,
            outbox_written=outbox_written,
        )
        return await guarded(change, repository, principal.tenant, declaration_id)

    @router.get(
        "/declarations/{declaration_id}/audit",
        response_model=list[AuditEntry],
        summary="修改记录 / audit trail: who, when, fields before and after",
        dependencies=[require_roles(*READERS)],
    )
    async def audit(declaration_id: str, principal: CurrentPrincipal) -> list[AuditEntry]:
        declaration = await repository.get(principal.tenant, declaration_id)
        if declaration is None:
            raise HTTPException(404, detail=NOT_FOUND)
        return declaration.audit

    @router.post(
        "/declarations/from-bonded-list",
        response_model=Declaration,
        status_code=201,
        summary="由预审批通过的核注清单生成报关单 / draft from a pre-approved 核注清单 (F-07)",
        dependencies=[require_roles("preparer")],
    )
    async def from_bonded_list(bonded: BondedList, principal: CurrentPrincipal) -> Declaration:
        try:
            document = declaration_from_bonded_list(bonded, load_default_tables())
        except NotApproved as exc:
            raise HTTPException(
                409,
                detail={
                    "code": "declaration.bonded_list_not_approved",
                    "message_zh": f"核注清单状态为 {exc}，只有审核通过（预审批通过）的清单才能生成报关单",
                    "message_en": f"Only an approved 核注清单 can produce a declaration (list status {exc})",
                    "field": "head.list_stat",
                },
            ) from None
        except Unmappable as exc:
            raise HTTPException(
                422,
                detail={
                    "code": "declaration.bonded_list_unmappable",
                    "message_zh": "核注清单数据不足或不符合报关单要求，不能生成报关单（见 fields，字段为报关单字段）",
                    "message_en": f"The 核注清单 cannot become a declaration: {exc}",
                    "fields": exc.fields,
                },
            ) from None
        return await draft_declaration(
            document,
            tenant=principal.tenant,
            user_id=principal.user_id,
            repository=repository,
            outbox_written=outbox_written,
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
        try:
            return form_metadata(custom_master, kind, load_default_tables())
        except UnknownDistrict:
            raise HTTPException(
                422,
                detail={
                    "code": "declaration.unknown_district",
                    "message_zh": f"申报地海关 {custom_master} 不在关区代码表中",
                    "message_en": f"Customs district {custom_master} is not in the district code table",
                    "field": "custom_master",
                },
            ) from None

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

    return router
