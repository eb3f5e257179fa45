"""HTTP API of the declaration service (报关单制单)."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException, Response

from guanwu.declaration.domain import Declaration, DraftDeclaration
from guanwu.declaration.handlers import draft_declaration
from guanwu.declaration.repository import DeclarationRepository
from guanwu.platform.auth import CurrentPrincipal, require_roles
from guanwu.platform.outbox import OutboxNotifier

NOT_FOUND = {
    "code": "declaration.not_found",
    "message_zh": "报关单不存在",
    "message_en": "Declaration not found",
}


def build_router(repository: DeclarationRepository, outbox_written: OutboxNotifier) -> APIRouter:
    router = APIRouter(prefix="/api/declaration", tags=["declaration"])

    @router.post(
        "/declarations",
        response_model=Declaration,
        status_code=201,
        summary="新增报关单草稿 / create a draft declaration",
        dependencies=[require_roles("preparer")],
    )
    async def create(
        command: DraftDeclaration, principal: CurrentPrincipal, response: Response
    ) -> Declaration:
        declaration = await draft_declaration(
            command,
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

    return router
