"""Command and event handlers of the review service.

A command (what a reviewer does over HTTP) loads the task at the version the reviewer saw, applies one domain
step and commits it, with the decision event when the step decided the task. The event handler opens a task
for each submitted declaration version.
"""

from __future__ import annotations

from collections.abc import Callable

from guanwu.contracts.envelope import Envelope
from guanwu.contracts.events import DeclarationSubmittedForReview
from guanwu.contracts.events.base import Event
from guanwu.platform.clock import Clock
from guanwu.platform.events import envelope_for
from guanwu.review import domain
from guanwu.review.domain import (
    ApproveReview,
    RejectReview,
    ReviewCommand,
    ReviewStatus,
    ReviewTask,
    SaveMarks,
)
from guanwu.review.service_layer.unit_of_work import ReviewUnitOfWork

SOURCE = "/guanwu/review"


async def open_review_task(envelope: Envelope, event: Event, *, uow: ReviewUnitOfWork) -> bool:
    """One task per submitted declaration version: its id derives from tenant, declaration and version,
    so a redelivered submission finds the task already there and changes nothing (returns False)."""
    assert isinstance(event, DeclarationSubmittedForReview)
    task = domain.open_task(
        event,
        review_id=domain.review_id_for(envelope.tenant, event.declaration_id, event.version),
        tenant=envelope.tenant,
        submitted_at=envelope.time,
        correlation_id=envelope.correlationid,
    )
    async with uow:
        opened = uow.tasks.add(task, once=True)
        await uow.commit()
    return opened.stored


async def save_marks(command: SaveMarks, *, uow: ReviewUnitOfWork, clock: Clock) -> ReviewTask:
    def step(task: ReviewTask) -> ReviewTask:
        return domain.replace_marks(task, command.marks, reviewer=command.reviewer, now=clock())

    return await _change(command, step, uow)


async def approve_review(command: ApproveReview, *, uow: ReviewUnitOfWork, clock: Clock) -> ReviewTask:
    def step(task: ReviewTask) -> ReviewTask:
        return domain.approve(task, reviewer=command.reviewer, comment=command.comment, now=clock())

    return await _change(command, step, uow)


async def reject_review(command: RejectReview, *, uow: ReviewUnitOfWork, clock: Clock) -> ReviewTask:
    def step(task: ReviewTask) -> ReviewTask:
        return domain.reject(
            task, reviewer=command.reviewer, comment=command.comment, marks=command.marks, now=clock()
        )

    return await _change(command, step, uow)


async def _change(
    command: ReviewCommand, step: Callable[[ReviewTask], ReviewTask], uow: ReviewUnitOfWork
) -> ReviewTask:
    """The version is checked at load for a clear 412 and again by the store's conditional replace at commit,
    which is what leaves exactly one winner when two reviewers decide the same version at once."""
    async with uow:
        current = await uow.tasks.load(command.tenant, command.review_id, expected_version=command.version)
        changed = step(current)
        decided = current.status is ReviewStatus.PENDING and changed.status is not ReviewStatus.PENDING
        uow.tasks.save(changed, [_outcome_envelope(changed)] if decided else [])
        await uow.commit()
    return changed


def _outcome_envelope(task: ReviewTask) -> tuple[str, Envelope]:
    return envelope_for(
        domain.outcome(task),
        source=SOURCE,
        tenant=task.tenant,
        correlation_id=task.correlation_id,
        event_id=domain.decision_event_id(task),
    )
