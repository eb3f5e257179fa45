"""发送 (F-12) as a command through events: the request (HTTP) and the settling of its answer (events).

The request writes the task's send and ReviewSendRequested in one write (the outbox), and calls nothing: the
declaration service follows review's events, declares the approved version as the reviewer and answers with
DeclarationDeclareRequested carrying the send's id, or with DeclarationSendRefused. Those answers settle the
task's send here; a redelivered answer finds it settled and changes nothing.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime
from functools import partial

from pydantic import BaseModel, Field

from guanwu.contracts.envelope import Envelope
from guanwu.contracts.events import DeclarationDeclareRequested, DeclarationSendRefused
from guanwu.contracts.events.base import Event
from guanwu.platform.events import envelope_for
from guanwu.platform.refusal import VersionConflict
from guanwu.review.domain.send_state import SendState, SendStateName
from guanwu.review.domain.sending import SendAnswered, request_send, send_event_id, settle_send
from guanwu.review.service_layer.advanced import AdvancedContext
from guanwu.review.service_layer.handlers import RETRIES, SOURCE
from guanwu.review.service_layer.unit_of_work import ReviewUnitOfWork


class SendAnswer(BaseModel):
    """A task's 发送 as the API answers it."""

    review_id: str
    declaration_id: str
    send_id: str
    declaration_version: int = Field(description="The declaration version review approved (what is declared)")
    state: SendStateName
    requested_by: str
    requested_at: datetime
    settled_at: datetime | None = None
    declared_version: int | None = None
    code: str | None = None
    message_zh: str | None = None
    message_en: str | None = None

    @classmethod
    def of(cls, review_id: str, declaration_id: str, send: SendState) -> SendAnswer:
        return cls(review_id=review_id, declaration_id=declaration_id, **send.model_dump())


async def send_to_declare(
    tenant: str, review_id: str, *, user_id: str, is_admin: bool, context: AdvancedContext
) -> tuple[SendAnswer, bool]:
    """发送: the send asked for and whether it is new (False: a standing send answers the request). Two
    requests racing on one task version derive the same send; the loser reads the winner's and answers it."""
    settings = await context.settings.load(tenant)
    for remaining in range(RETRIES, 0, -1):
        uow = context.new_uow()
        async with uow:
            task = await uow.tasks.load(tenant, review_id)
            changed, event = request_send(
                task, settings, user_id=user_id, is_admin=is_admin, now=context.clock()
            )
            assert changed.send is not None or event is None
            if event is None:
                assert task.send is not None
                return SendAnswer.of(review_id, task.declaration_id, task.send), False
            requested = envelope_for(
                event,
                source=SOURCE,
                tenant=tenant,
                correlation_id=task.correlation_id,
                event_id=send_event_id(event.send_id),
            )
            uow.tasks.save(changed, [requested])
            try:
                await uow.commit()
            except VersionConflict:
                if remaining == 1:
                    raise
                continue
            assert changed.send is not None
            return SendAnswer.of(review_id, task.declaration_id, changed.send), True
    raise AssertionError("unreachable")


# ── the declaration service's answers ───────────────────────────────────────────────────────────────────


def _answer_of(event: DeclarationDeclareRequested | DeclarationSendRefused) -> SendAnswered | None:
    if isinstance(event, DeclarationDeclareRequested):
        if event.send_id is None:  # the preparer's own 申报
            return None
        return SendAnswered(send_id=event.send_id, declared_version=event.version)
    return SendAnswered(
        send_id=event.send_id, code=event.code, message_zh=event.message_zh, message_en=event.message_en
    )


async def settle_send_answer(envelope: Envelope, event: Event, *, uow: ReviewUnitOfWork) -> int:
    """DeclarationDeclareRequested with a send id, or DeclarationSendRefused: the task whose send it answers
    is settled (declared / refused). Returns how many tasks changed (0 for a redelivery)."""
    assert isinstance(event, DeclarationDeclareRequested | DeclarationSendRefused)
    answer = _answer_of(event)
    if answer is None:
        return 0
    tasks = await uow.tasks.of_declaration(envelope.tenant, event.declaration_id)
    changed = 0
    for task in tasks:
        if task.send is not None and task.send.send_id == answer.send_id:
            changed += await _retried(partial(_settle_one, envelope, answer, task.review_id, uow))
    return changed


async def _retried(attempt: Callable[[], Awaitable[bool]]) -> int:
    """A reviewer's command may change the task between the read and the write: read it again."""
    for remaining in range(RETRIES, 0, -1):
        try:
            return int(await attempt())
        except VersionConflict:
            if remaining == 1:
                raise
    return 0


async def _settle_one(envelope: Envelope, answer: SendAnswered, task_id: str, uow: ReviewUnitOfWork) -> bool:
    async with uow:
        task = await uow.tasks.load(envelope.tenant, task_id)
        settled = settle_send(task, answer, now=envelope.time)
        if settled is None:
            return False
        uow.tasks.save(settled)
        await uow.commit()
    return True
