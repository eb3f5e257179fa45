"""单证模版 (F-04): named, reusable declaration fragments of a tenant, and new drafts made from them.

Templates are the service's own data: no other service needs to follow them, so they publish no events.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Response
from pydantic import BaseModel, ConfigDict, Field

from guanwu.contracts.declaration import DeclarationDocument
from guanwu.contracts.envelope import new_event_id
from guanwu.declaration.domain import Declaration
from guanwu.declaration.handlers import draft_declaration
from guanwu.declaration.repository import DeclarationRepository
from guanwu.platform.auth import CurrentPrincipal, require_roles
from guanwu.platform.http.versioning import IfMatch, etag, expected_version, version_conflict
from guanwu.platform.outbox import OutboxNotifier
from guanwu.platform.store.port import VERSION_FIELD, Collection, ConcurrencyConflict, DocumentStore

COLLECTION = "declaration_templates"
NOT_FOUND = {"code": "template.not_found", "message_zh": "模版不存在", "message_en": "Template not found"}


class TemplateInput(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: Annotated[str, Field(min_length=1, max_length=100, description="模版名称")]
    document: DeclarationDocument = Field(description="The fields the template fills in")


class Template(TemplateInput):
    model_config = ConfigDict(extra="ignore")  # stored documents carry `_id`, `_version`

    template_id: str
    tenant: str
    version: int
    created_by: str
    updated_at: datetime


def template_fields(document: DeclarationDocument) -> list[str]:
    """Every field path the template fills (the console marks them on a draft made from it)."""
    return _leaf_paths(document.model_dump(mode="json", exclude_none=True, exclude_defaults=True))


def _leaf_paths(value: Any, path: str = "") -> list[str]:
    if isinstance(value, dict):
        return [
            p for key, child in value.items() for p in _leaf_paths(child, f"{path}.{key}" if path else key)
        ]
    if isinstance(value, list):
        return [p for i, child in enumerate(value) for p in _leaf_paths(child, f"{path}[{i}]")]
    return [path]


class TemplateRepository:
    def __init__(self, store: DocumentStore) -> None:
        self.collection: Collection = store.collection(COLLECTION)

    async def ensure_indexes(self) -> None:
        await self.collection.ensure_index([("tenant", 1), ("name", 1)])

    async def get(self, tenant: str, template_id: str) -> Template | None:
        doc = await self.collection.find_one({"_id": template_id, "tenant": tenant})
        return Template.model_validate({**doc, "version": doc[VERSION_FIELD]}) if doc else None

    async def list_for(self, tenant: str) -> list[Template]:
        docs = await self.collection.find({"tenant": tenant}, sort=[("name", 1)])
        return [Template.model_validate({**d, "version": d[VERSION_FIELD]}) for d in docs]

    async def add(self, template: Template) -> None:
        await self.collection.insert(
            {"_id": template.template_id, **template.model_dump(mode="json", exclude={"version"})}
        )

    async def replace(self, template: Template, expected_version: int) -> Template:
        doc = {"_id": template.template_id, **template.model_dump(mode="json", exclude={"version"})}
        stored = await self.collection.replace(doc, expected_version=expected_version)
        return template.model_copy(update={"version": stored[VERSION_FIELD]})


def build_router(
    templates: TemplateRepository, declarations: DeclarationRepository, outbox_written: OutboxNotifier
) -> APIRouter:
    router = APIRouter(prefix="/api/declaration/templates", tags=["declaration templates"])
    write = [require_roles("preparer", "manager")]

    async def existing(principal_tenant: str, template_id: str) -> Template:
        template = await templates.get(principal_tenant, template_id)
        if template is None:
            raise HTTPException(404, detail=NOT_FOUND)
        return template

    @router.post(
        "", response_model=Template, status_code=201, summary="新建模版 / create", dependencies=write
    )
    async def create(body: TemplateInput, principal: CurrentPrincipal) -> Template:
        template = Template(
            **body.model_dump(),
            template_id=new_event_id(),
            tenant=principal.tenant,
            version=1,
            created_by=principal.user_id,
            updated_at=datetime.now(UTC),
        )
        await templates.add(template)
        return template

    @router.get("", response_model=list[Template], summary="模版列表 / list")
    async def list_templates(principal: CurrentPrincipal) -> list[Template]:
        return await templates.list_for(principal.tenant)

    @router.put(
        "/{template_id}", response_model=Template, summary="修改模版 / update (If-Match)", dependencies=write
    )
    async def update(
        template_id: str,
        body: TemplateInput,
        principal: CurrentPrincipal,
        response: Response,
        if_match: IfMatch = None,
    ) -> Template:
        version = expected_version(if_match)
        current = await existing(principal.tenant, template_id)
        changed = current.model_copy(
            update={"name": body.name, "document": body.document, "updated_at": datetime.now(UTC)}
        )
        try:
            saved = await templates.replace(changed, version)
        except ConcurrencyConflict:
            raise version_conflict("template.version_conflict", "模版", "template", current.version) from None
        response.headers["ETag"] = etag(saved.version)
        return saved

    @router.delete("/{template_id}", status_code=204, summary="删除模版 / delete", dependencies=write)
    async def remove(template_id: str, principal: CurrentPrincipal) -> Response:
        await existing(principal.tenant, template_id)
        await templates.collection.delete(template_id)
        return Response(status_code=204)

    @router.post(
        "/{template_id}/declarations",
        response_model=Declaration,
        status_code=201,
        summary="由模版新建报关单 / new draft from a template (its fields are marked)",
        dependencies=[require_roles("preparer")],
    )
    async def new_declaration(template_id: str, principal: CurrentPrincipal) -> Declaration:
        template = await existing(principal.tenant, template_id)
        declaration = await draft_declaration(
            template.document,
            tenant=principal.tenant,
            user_id=principal.user_id,
            repository=declarations,
            outbox_written=outbox_written,
            template=(template.template_id, template_fields(template.document)),
        )
        return declaration

    return router
