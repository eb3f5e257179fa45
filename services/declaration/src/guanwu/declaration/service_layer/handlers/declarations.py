"""Command handlers of the declaration service: drafts, edits, 提交审核, deletion, copies and 申报.

Each loads through the unit of work, applies one pure domain step and commits the changed declaration with its
event in one write; refusals are the domain's (the platform answers them).
"""

from __future__ import annotations

import base64
from collections.abc import Callable

from guanwu.contracts.declaration import DeclarationDocument
from guanwu.contracts.envelope import Envelope
from guanwu.contracts.events import (
    DeclarationDeclareRequested,
    DeclarationDeleted,
    DeclarationSubmittedForReview,
    DeclarationSummary,
    DeclarationUpdated,
    SignRequested,
)
from guanwu.customs.codes import load_default_tables
from guanwu.customs.rules import Level
from guanwu.declaration.domain.bonded_lists import BondedListNumber
from guanwu.declaration.domain.commands import Caller, Edit
from guanwu.declaration.domain.errors import BondedListNotFound
from guanwu.declaration.domain.from_bonded_list import declaration_from_bonded_list
from guanwu.declaration.domain.lifecycle import ensure_approved, request_declare
from guanwu.declaration.domain.model import (
    Declaration,
    Status,
    copied_document,
    delete,
    draft,
    new_declaration_id,
    revise,
    submit_for_review,
    validate,
)
from guanwu.declaration.domain.sending import SendOrder
from guanwu.declaration.domain.signing import content_sm3, new_signing_request_id, signable_content
from guanwu.declaration.service_layer.handlers import SOURCE
from guanwu.declaration.service_layer.unit_of_work import DeclarationUnitOfWork
from guanwu.platform.clock import Clock
from guanwu.platform.events import caused_by, envelope_for


async def draft_declaration(
    document: DeclarationDocument,
    *,
    caller: Caller,
    uow: DeclarationUnitOfWork,
    clock: Clock,
    template: tuple[str, list[str]] | None = None,
) -> Declaration:
    """暂存 a new draft, announced as DeclarationDrafted; `template` names the 单证模版 and the fields it filled."""
    declaration = draft(
        document,
        validate(document, Level.STAGE),
        declaration_id=new_declaration_id(),
        tenant=caller.tenant,
        user_id=caller.user_id,
        now=clock(),
        template=template,
    )
    uow.declarations.add(
        declaration, [envelope_for(declaration.drafted_event(), source=SOURCE, tenant=caller.tenant)]
    )
    await uow.commit()
    return declaration


async def copy_declaration(
    declaration_id: str, *, caller: Caller, uow: DeclarationUnitOfWork, clock: Clock
) -> Declaration:
    """复制: a new draft with the same document, minus what customs assigned to the original."""
    source = await uow.declarations.load(caller.tenant, declaration_id)
    return await draft_declaration(copied_document(source), caller=caller, uow=uow, clock=clock)


async def draft_from_bonded_list(
    number: BondedListNumber, *, caller: Caller, uow: DeclarationUnitOfWork, clock: Clock
) -> Declaration:
    """F-07: a draft from a synced, pre-approved 核注清单 named by its number (refused when no list of that
    number was synced, when it is not 审核通过, or when it cannot be mapped)."""
    synced = await uow.bonded_lists.by_number(
        caller.tenant, bond_invt_no=number.bond_invt_no, seq_no=number.seq_no
    )
    if synced is None:
        raise BondedListNotFound(number.number)
    document = declaration_from_bonded_list(synced.approved(), load_default_tables())
    return await draft_declaration(document, caller=caller, uow=uow, clock=clock)


async def _edited(edit: Edit, uow: DeclarationUnitOfWork) -> Declaration:
    """The declaration as the caller read it: NotFound, or VersionConflict naming the current version.

    The version is checked here for a clear 412 and again by the store's conditional write at commit, which is
    what makes two concurrent editors of the same version end with exactly one winner."""
    return await uow.declarations.load(
        edit.caller.tenant, edit.declaration_id, expected_version=edit.expected_version
    )


async def _change(
    edit: Edit,
    step: Callable[[Declaration], Declaration],
    event_class: type[DeclarationSummary],
    uow: DeclarationUnitOfWork,
) -> Declaration:
    """Apply one domain step to the version the caller edited; store it with its event."""
    changed = step(await _edited(edit, uow))
    event = envelope_for(changed.summary(event_class), source=SOURCE, tenant=edit.caller.tenant)
    uow.declarations.save(changed, [event])
    await uow.commit()
    return changed


async def update_declaration(
    edit: Edit, document: DeclarationDocument, *, uow: DeclarationUnitOfWork, clock: Clock
) -> Declaration:
    """暂存 again. The caller states the version it edited; another editor's change in between wins (412)."""
    findings = validate(document, Level.STAGE)
    user_id = edit.caller.user_id
    return await _change(
        edit,
        lambda current: revise(current, document, findings, user_id=user_id, now=clock()),
        DeclarationUpdated,
        uow,
    )


async def submit_declaration_for_review(
    edit: Edit, *, uow: DeclarationUnitOfWork, clock: Clock
) -> Declaration:
    """提交审核: refused while the 申报-level checks find errors."""

    def step(current: Declaration) -> Declaration:
        findings = validate(current.document, Level.DECLARE)
        return submit_for_review(current, findings, user_id=edit.caller.user_id, now=clock())

    return await _change(edit, step, DeclarationSubmittedForReview, uow)


async def delete_declaration(edit: Edit, *, uow: DeclarationUnitOfWork, clock: Clock) -> Declaration:
    """Only before 申报; the record stays, marked 已删除."""
    user_id = edit.caller.user_id
    return await _change(
        edit, lambda current: delete(current, user_id=user_id, now=clock()), DeclarationDeleted, uow
    )


async def declare_declaration(
    edit: Edit, *, uow: DeclarationUnitOfWork, clock: Clock, send: SendOrder | None = None
) -> Declaration:
    """申报: 申报中, and in the same write the announcement and the signing request for the card signer.
    With `send`, the 申报 carries out a reviewer's 发送 (handlers/sending.py)."""
    current = await _edited(edit, uow)
    ensure_approved(current)  # before building the bytes: a draft's refusal should say why, not fail on them
    content = signable_content(current)
    changed = request_declare(
        current,
        validate(current.document, Level.DECLARE),
        request_id=new_signing_request_id() if send is None else send.request_id,
        content_sm3=content_sm3(content),
        user_id=edit.caller.user_id,
        now=clock(),
    )
    uow.declarations.save(changed, _declare_events(changed, content, edit.caller, send))
    await uow.commit()
    return changed


def _declare_events(
    declaration: Declaration, content: bytes, caller: Caller, send: SendOrder | None = None
) -> list[tuple[str, Envelope]]:
    """DeclarationDeclareRequested for whoever follows declarations, and SignRequested for the card signer,
    in one flow (the request carries the announcement's correlation id; a send's, the send's flow)."""
    signing = declaration.signing
    assert signing is not None  # request_declare has just set it
    content_b64 = base64.b64encode(content).decode()
    announcement = declaration.summary(
        DeclarationDeclareRequested,
        request_id=signing.request_id,
        content_sm3=signing.content_sm3,
        requested_by=caller.user_id,
        message_b64=content_b64,
        send_id=None if send is None else send.send_id,
    )
    if send is None:
        announced = envelope_for(announcement, source=SOURCE, tenant=caller.tenant)
    else:
        announced = caused_by(send.cause, announcement, source=SOURCE)
    sign = SignRequested(
        request_id=signing.request_id,
        declaration_id=declaration.declaration_id,
        content_b64=content_b64,
        requested_by=caller.user_id,
    )
    correlation_id = announced[1].correlationid
    return [announced, envelope_for(sign, source=SOURCE, tenant=caller.tenant, correlation_id=correlation_id)]


async def count_declarations_by_status(*, uow: DeclarationUnitOfWork) -> dict[Status, int]:
    """How many declarations each status has, over all tenants (operators' metrics, never an API answer)."""
    return await uow.declarations.count_by_status()
