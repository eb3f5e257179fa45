"""发送 (F-12): the reaction to review's ReviewSendRequested — the same 申报 as the API's, as the reviewer.

Read on the `declaration.review` group, after the ReviewApproved of the same declaration (both keyed by it).
The declaration must be 审核通过 by the asking task; then `declare_declaration` runs as the reviewer with the
signing request's id derived from the send, and DeclarationDeclareRequested carries the send's id. Anything
that stops it (the declaration missing, not 审核通过, approved by another task, the 申报-level checks, bytes that
cannot be signed) is answered with DeclarationSendRefused (the refusal's code and messages) in the outbox of
the send's record. A redelivered request finds the record, or the declaration declared by this send (a crash
between the 申报 and its record), and changes nothing more.
"""

from __future__ import annotations

from guanwu.contracts.envelope import Envelope
from guanwu.contracts.events import ReviewSendRequested
from guanwu.declaration.domain.commands import Edit
from guanwu.declaration.domain.sending import (
    SendCaller,
    SendOrder,
    declared_by,
    declared_record,
    refusal_of,
    refused_event_id,
    signing_request_id,
    why_not_send,
)
from guanwu.declaration.service_layer.handlers import SOURCE
from guanwu.declaration.service_layer.handlers.declarations import declare_declaration
from guanwu.declaration.service_layer.handlers.reactions import Outcome
from guanwu.declaration.service_layer.unit_of_work import DeclarationUnitOfWork
from guanwu.platform.clock import Clock
from guanwu.platform.events import caused_by
from guanwu.platform.refusal import Refusal
from guanwu.platform.store.port import ConcurrencyConflict


async def carry_out_send(
    envelope: Envelope,
    event: ReviewSendRequested,
    *,
    uow: DeclarationUnitOfWork,
    clock: Clock,
    attempts: int,
) -> Outcome:
    """申报 for a reviewer's 发送, or its refusal; UNCHANGED for a send answered before (a redelivery)."""
    tenant = envelope.tenant
    if await uow.sends.of_send(tenant, event.send_id) is not None:
        return Outcome.UNCHANGED
    request_id = signing_request_id(tenant, event.send_id)
    order = SendOrder(send_id=event.send_id, request_id=request_id, cause=envelope)
    caller = SendCaller(tenant=tenant, user_id=event.requested_by)
    for _ in range(attempts):
        current = await uow.declarations.get(tenant, event.declaration_id)
        if current is not None and declared_by(current, request_id):
            uow.sends.add(declared_record(event, tenant, current.version, clock()), once=True)
            await uow.commit()
            return Outcome.UNCHANGED
        refusal = why_not_send(current, event)
        if refusal is None:
            assert current is not None
            try:
                edit = Edit(caller, event.declaration_id, current.version)
                declared = await declare_declaration(edit, uow=uow, clock=clock, send=order)
            except ConcurrencyConflict:  # changed meanwhile (VersionConflict): look at the newer version
                continue
            except Refusal as refused:  # the 申报-level checks, bytes that cannot be signed or sent
                refusal = refused
            else:
                uow.sends.add(declared_record(event, tenant, declared.version, clock()), once=True)
                await uow.commit()
                return Outcome.CHANGED
        _refuse(envelope, event, refusal, uow=uow, clock=clock)
        await uow.commit()
        return Outcome.CHANGED
    raise ConcurrencyConflict(uow.declarations.collection.name, envelope.subject, -1)


def _refuse(
    envelope: Envelope,
    event: ReviewSendRequested,
    refusal: Refusal,
    *,
    uow: DeclarationUnitOfWork,
    clock: Clock,
) -> None:
    tenant = envelope.tenant
    record, answer = refusal_of(event, tenant, refusal, clock())
    refused = caused_by(envelope, answer, source=SOURCE, event_id=refused_event_id(tenant, event.send_id))
    uow.sends.add(record, [refused], once=True)
