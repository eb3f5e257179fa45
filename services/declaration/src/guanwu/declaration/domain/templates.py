"""单证模版 (F-04): named, reusable declaration fragments of a tenant, and new drafts made from them.

Templates are the service's own data: no other service needs to follow them, so they publish no events.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field

from guanwu.contracts.declaration import DeclarationDocument
from guanwu.platform import ids

new_template_id = ids.new_id


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


def new_template(content: TemplateInput, *, tenant: str, user_id: str, now: datetime) -> Template:
    return Template(
        **content.model_dump(),
        template_id=new_template_id(),
        tenant=tenant,
        version=1,
        created_by=user_id,
        updated_at=now,
    )


def revise_template(template: Template, content: TemplateInput, *, now: datetime) -> Template:
    """The next version with a new name and document."""
    update = {"name": content.name, "document": content.document, "updated_at": now}
    return template.model_copy(update={**update, "version": template.version + 1})


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
