"""Command and event handlers of the review service.

A command (what a reviewer does over HTTP) loads the task at the version the reviewer saw, applies one domain
step and commits it with its events: one FieldMarked per field whose mark changed, the decision when the step
decided the task. The event handlers open a task for each submitted declaration version (ReviewStarted, the
previous task's marks carried), follow the declaration's later events (系统状态; a pending task is withdrawn,
ReviewWithdrawn, when the declaration is deleted or changes version outside review) and its receipts (申报状态).
Every event id derives from the task, so a redelivered input or a republished event changes nothing twice.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from functools import partial

from guanwu.contracts.envelope import Envelope
from guanwu.contracts.events import (
    DeclarationSubmittedForReview,
    DeclarationSummary,
    FieldMarked,
    ReceiptReceived,
    ReviewStarted,
    ReviewWithdrawn,
)
from guanwu.contracts.events.base import Event
from guanwu.platform.clock import Clock
from guanwu.platform.events import caused_by, envelope_for
from guanwu.platform.refusal import VersionConflict
from guanwu.platform.unit_of_work import Events
from guanwu.review import domain
from guanwu.review.domain import (
    ApproveReview,
    MarkChange,
    MarkField,
    RejectReview,
    ReviewCommand,
    ReviewStatus,
    ReviewTask,
    SaveMarks,
    WithdrawReason,
)
from guanwu.review.service_layer.unit_of_work import ReviewUnitOfWork

SOURCE = "/guanwu/review"
RETRIES = 5
"""How often an event handler reloads a task a reviewer changed between its read and its write."""

Step = Callable[[ReviewTask], tuple[ReviewTask, list[MarkChange]]]


# ------------------------------------------------------------------------------------------------- events


async def open_review_task(envelope: Envelope, event: Event, *, uow: ReviewUnitOfWork) -> bool:
    """One task per submitted declaration version: its id derives from tenant, declaration and version,
    so a redelivered submission finds the task already there and changes nothing (returns False). The new
    task carries the marks of the declaration's previous task; an older task still pending is withdrawn."""
    assert isinstance(event, DeclarationSubmittedForReview)
    tenant = envelope.tenant
    review_id = domain.review_id_for(tenant, event.declaration_id, event.version)
    if await uow.tasks.find_one({"_id": review_id, "tenant": tenant}) is not None:
        # A redelivery; the older tasks are followed again in case a crash came between the two steps.
        await follow_declaration_event(envelope, event, uow=uow, skip=review_id)
        return False
    async with uow:
        earlier = [
            t
            for t in await uow.tasks.of_declaration(tenant, event.declaration_id)
            if t.review_id != review_id
        ]
        previous = next((t for t in earlier if t.declaration_version < event.version), None)
        if previous is not None:
            [previous] = await uow.tasks.with_documents([previous])
        task = domain.open_task(
            event,
            review_id=review_id,
            tenant=tenant,
            submitted_at=envelope.time,
            correlation_id=envelope.correlationid,
            previous=previous,
        )
        started = uow.tasks.add(task, [_started(envelope, task)], once=True)
        await uow.commit()
    await follow_declaration_event(envelope, event, uow=uow, skip=review_id)
    return started.stored


def _started(envelope: Envelope, task: ReviewTask) -> tuple[str, Envelope]:
    event = ReviewStarted(
        review_id=task.review_id,
        declaration_id=task.declaration_id,
        declaration_version=task.declaration_version,
        previous_review_id=task.previous_review_id,
        carried_marks=len(task.marks),
        stale_marks=sum(1 for m in task.marks if m.stale),
    )
    return caused_by(envelope, event, source=SOURCE, event_id=domain.started_event_id(task))


async def follow_declaration_event(
    envelope: Envelope, event: Event, *, uow: ReviewUnitOfWork, skip: str | None = None
) -> int:
    """Every task of the declaration takes the newer declaration state; a pending one is withdrawn when the
    declaration was deleted or changed version outside review. Returns how many tasks changed."""
    assert isinstance(event, DeclarationSummary)
    changed = 0
    for task_id in [
        t.review_id for t in await uow.tasks.of_declaration(envelope.tenant, event.declaration_id)
    ]:
        if task_id != skip:
            changed += await _retried(partial(_follow_one, envelope, event, task_id, uow))
    return changed


async def _follow_one(
    envelope: Envelope, event: DeclarationSummary, task_id: str, uow: ReviewUnitOfWork
) -> bool:
    async with uow:
        task = await uow.tasks.load(envelope.tenant, task_id)
        followed, reason = domain.follow_declaration(task, event, at=envelope.time)
        if followed is None:
            return False
        uow.tasks.save(followed, [] if reason is None else [_withdrawn(envelope, followed, reason)])
        await uow.commit()
    return True


def _withdrawn(envelope: Envelope, task: ReviewTask, reason: WithdrawReason) -> tuple[str, Envelope]:
    event = ReviewWithdrawn(
        review_id=task.review_id,
        declaration_id=task.declaration_id,
        declaration_version=task.declaration_version,
        reason=reason,
    )
    return caused_by(envelope, event, source=SOURCE, event_id=domain.withdrawn_event_id(task))


async def follow_receipt(envelope: Envelope, event: Event, *, uow: ReviewUnitOfWork) -> int:
    """申报状态 of the tasks a receipt is about: by declaration id, else 海关编号, else 统一编号."""
    assert isinstance(event, ReceiptReceived)
    tenant = envelope.tenant
    tasks: list[ReviewTask] = []
    if event.declaration_id:
        tasks = await uow.tasks.of_declaration(tenant, event.declaration_id)
    for field, number in (("entry_id", event.entry_id), ("seq_no", event.seq_no)):
        if not tasks and number:
            tasks = await uow.tasks.by_number(tenant, field, number)
    changed = 0
    for task_id in [t.review_id for t in tasks]:
        changed += await _retried(partial(_receipt_one, envelope, event, task_id, uow))
    return changed


async def _receipt_one(
    envelope: Envelope, event: ReceiptReceived, task_id: str, uow: ReviewUnitOfWork
) -> bool:
    async with uow:
        task = await uow.tasks.load(envelope.tenant, task_id)
        followed = domain.follow_receipt(task, event, at=envelope.time)
        if followed is None:
            return False
        uow.tasks.save(followed)
        await uow.commit()
    return True


async def _retried(attempt: Callable[[], Awaitable[bool]]) -> int:
    """A reviewer's command may change the task between the handler's read and its write: read again."""
    for remaining in range(RETRIES, 0, -1):
        try:
            return int(await attempt())
        except VersionConflict:
            if remaining == 1:
                raise
    return 0


# ----------------------------------------------------------------------------------------------- commands


async def save_marks(command: SaveMarks, *, uow: ReviewUnitOfWork, clock: Clock) -> ReviewTask:
    def step(task: ReviewTask) -> tuple[ReviewTask, list[MarkChange]]:
        return domain.replace_marks(task, command.marks, reviewer=command.reviewer, now=clock())

    return await _change(command, step, uow)


async def mark_field(command: MarkField, *, uow: ReviewUnitOfWork, clock: Clock) -> ReviewTask:
    def step(task: ReviewTask) -> tuple[ReviewTask, list[MarkChange]]:
        return domain.mark_field(
            task,
            command.field_path,
            command.action,
            comment=command.comment,
            reviewer=command.reviewer,
            now=clock(),
        )

    return await _change(command, step, uow)


async def approve_review(command: ApproveReview, *, uow: ReviewUnitOfWork, clock: Clock) -> ReviewTask:
    def step(task: ReviewTask) -> tuple[ReviewTask, list[MarkChange]]:
        approved = domain.approve(
            task,
            reviewer=command.reviewer,
            comment=command.comment,
            now=clock(),
            override_reason=command.override_reason,
        )
        return approved, []

    return await _change(command, step, uow)


async def reject_review(command: RejectReview, *, uow: ReviewUnitOfWork, clock: Clock) -> ReviewTask:
    def step(task: ReviewTask) -> tuple[ReviewTask, list[MarkChange]]:
        return domain.reject(
            task, reviewer=command.reviewer, comment=command.comment, marks=command.marks, now=clock()
        )

    return await _change(command, step, uow)


async def _change(command: ReviewCommand, step: Step, uow: ReviewUnitOfWork) -> ReviewTask:
    """The version is checked at load for a clear 412 and again by the store's conditional replace at commit,
    which is what leaves exactly one winner when two reviewers change the same version at once. A step that
    changes nothing (the same mark again) answers the task as it is and publishes nothing."""
    async with uow:
        current = await uow.tasks.load(command.tenant, command.review_id, expected_version=command.version)
        changed, changes = step(current)
        if changed is current:
            return current
        decided = current.status is ReviewStatus.PENDING and changed.status is not ReviewStatus.PENDING
        events = [*marked_envelopes(changed, changes, command.reviewer.user_id)]
        if decided:
            events.append(_outcome_envelope(changed))
        uow.tasks.save(changed, events)
        await uow.commit()
    return changed


def marked_envelopes(task: ReviewTask, changes: Sequence[MarkChange], reviewer: str) -> Events:
    """One FieldMarked per field whose mark changed, at the task's new version."""
    return [
        envelope_for(
            FieldMarked(
                review_id=task.review_id,
                declaration_id=task.declaration_id,
                declaration_version=task.declaration_version,
                task_version=task.version,
                field_path=change.field_path,
                state_before=change.state_before,
                state_after=change.state_after,
                comment=change.comment,
                reviewer=reviewer,
                marked_at=task.updated_at,
            ),
            source=SOURCE,
            tenant=task.tenant,
            correlation_id=task.correlation_id,
            event_id=domain.marked_event_id(task, change.field_path),
        )
        for change in changes
    ]


def _outcome_envelope(task: ReviewTask) -> tuple[str, Envelope]:
    return envelope_for(
        domain.outcome(task),
        source=SOURCE,
        tenant=task.tenant,
        correlation_id=task.correlation_id,
        event_id=domain.decision_event_id(task),
    )
