"""Command handlers of 单证模版 (F-04): create, change, delete, and a new draft from a template."""

from __future__ import annotations

from guanwu.declaration.domain.commands import Caller
from guanwu.declaration.domain.model import Declaration
from guanwu.declaration.domain.templates import (
    Template,
    TemplateInput,
    new_template,
    revise_template,
    template_fields,
)
from guanwu.declaration.service_layer.handlers.declarations import draft_declaration
from guanwu.declaration.service_layer.unit_of_work import DeclarationUnitOfWork
from guanwu.platform.clock import Clock


async def create_template(
    content: TemplateInput, *, caller: Caller, uow: DeclarationUnitOfWork, clock: Clock
) -> Template:
    template = new_template(content, tenant=caller.tenant, user_id=caller.user_id, now=clock())
    uow.templates.add(template)
    await uow.commit()
    return template


async def update_template(
    template_id: str,
    content: TemplateInput,
    *,
    caller: Caller,
    expected_version: int,
    uow: DeclarationUnitOfWork,
    clock: Clock,
) -> Template:
    """A new name and document, based on the version the caller read (412 when another change came first)."""
    current = await uow.templates.load(caller.tenant, template_id, expected_version=expected_version)
    changed = revise_template(current, content, now=clock())
    uow.templates.save(changed)
    await uow.commit()
    return changed


async def delete_template(template_id: str, *, caller: Caller, uow: DeclarationUnitOfWork) -> None:
    template = await uow.templates.load(caller.tenant, template_id)
    uow.templates.remove(template.template_id)
    await uow.commit()


async def draft_from_template(
    template_id: str, *, caller: Caller, uow: DeclarationUnitOfWork, clock: Clock
) -> Declaration:
    """A new draft prefilled from the template; the draft names the fields the template filled in."""
    template = await uow.templates.load(caller.tenant, template_id)
    filled = (template.template_id, template_fields(template.document))
    return await draft_declaration(template.document, caller=caller, uow=uow, clock=clock, template=filled)
