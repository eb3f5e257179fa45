"""HTTP API of the declaration service (报关单制单)."""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, HTTPException, Response
from pydantic import BaseModel

from guanwu.contracts.declaration import DeclarationDocument
from guanwu.customs.rules import Level, Severity
from guanwu.declaration.domain import Declaration, FindingView
from guanwu.declaration.handlers import draft_declaration, validate
from guanwu.declaration.repository import DeclarationRepository
from guanwu.platform.auth import CurrentPrincipal, require_roles
from guanwu.platform.outbox import OutboxNotifier

NOT_FOUND = {
    "code": "declaration.not_found",
    "message_zh": "报关单不存在",
    "message_en": "Declaration not found",
}
LEVELS = {"stage": Level.STAGE, "declare": Level.DECLARE}


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
        response.headers["ETag"] = f'"{declaration.version}"'
        response.headers["Location"] = f"/api/declaration/declarations/{declaration.declaration_id}"
        return declaration

    @router.get(
        "/declarations/{declaration_id}", response_model=Declaration, summary="报关单详情 / one declaration"
    )
    async def get_one(declaration_id: str, principal: CurrentPrincipal, response: Response) -> Declaration:
        declaration = await repository.get(principal.tenant, declaration_id)
        if declaration is None:
            raise HTTPException(404, detail=NOT_FOUND)
        response.headers["ETag"] = f'"{declaration.version}"'
        return declaration

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
