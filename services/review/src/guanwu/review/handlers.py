"""Command and event handlers of the review service."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, datetime

from guanwu.contracts.envelope import Envelope
from guanwu.contracts.events import DeclarationSubmittedForReview, FieldMark
from guanwu.contracts.events.base import Event
from guanwu.platform.events import envelope_for
from guanwu.platform.idempotency import deterministic_id
from guanwu.platform.outbox import OutboxNotifier
from guanwu.platform.store.port import ConcurrencyConflict
from guanwu.review import domain
from guanwu.review.domain import Reviewer, ReviewStatus, ReviewTask
from guanwu.review.repository import ReviewRepository

SOURCE = "/guanwu/review"
Clock = Callable[[], datetime]
Step = Callable[[ReviewTask], ReviewTask]


def utc_clock() -> datetime:
    return datetime.now(UTC)


class NotFound(Exception):
    pass


async def open_review_task(envelope: Envelope, event: Event, *, repository: ReviewRepository) -> bool:
    """One task per submitted declaration version: its id derives from tenant, declaration and version,
    so a redelivered submission finds the task already there and changes nothing."""
    assert isinstance(event, DeclarationSubmittedForReview)
    review_id = deterministic_id("review", envelope.tenant, event.declaration_id, str(event.version))
    task = domain.open_task(
        event,
        review_id=review_id,
        tenant=envelope.tenant,
        submitted_at=envelope.time,
        correlation_id=envelope.correlationid,
    )
    return await repository.add(task)


class ReviewCommands:
    """What reviewers do to a task over HTTP: load, check the version, apply one domain step, store."""

    def __init__(
        self, repository: ReviewRepository, outbox_written: OutboxNotifier, clock: Clock = utc_clock
    ) -> None:
        self.repository, self.outbox_written, self.clock = repository, outbox_written, clock

    async def save_marks(
        self, tenant: str, review_id: str, marks: Sequence[FieldMark], *, reviewer: Reviewer, version: int
    ) -> ReviewTask:
        def step(task: ReviewTask) -> ReviewTask:
            return domain.replace_marks(task, marks, reviewer=reviewer, now=self.clock())

        return await self._change(tenant, review_id, step, version)

    async def approve(
        self, tenant: str, review_id: str, comment: str | None, *, reviewer: Reviewer, version: int
    ) -> ReviewTask:
        def step(task: ReviewTask) -> ReviewTask:
            return domain.approve(task, reviewer=reviewer, comment=comment, now=self.clock())

        return await self._change(tenant, review_id, step, version)

    async def reject(
        self,
        tenant: str,
        review_id: str,
        comment: str,
        marks: Sequence[FieldMark] | None,
        *,
        reviewer: Reviewer,
        version: int,
    ) -> ReviewTask:
        def step(task: ReviewTask) -> ReviewTask:
            return domain.reject(task, reviewer=reviewer, comment=comment, marks=marks, now=self.clock())

        return await self._change(tenant, review_id, step, version)

    async def _change(self, tenant: str, review_id: str, step: Step, expected_version: int) -> ReviewTask:
        """The version is checked here for a clear 412 and again by the store's conditional replace, which
        is what leaves exactly one winner when two reviewers decide the same version at once."""
        current = await self.repository.get(tenant, review_id)
        if current is None:
            raise NotFound(review_id)
        if current.version != expected_version:
            raise ConcurrencyConflict(self.repository.collection.name, review_id, expected_version)
        changed = step(current)
        decided = current.status is ReviewStatus.PENDING and changed.status is not ReviewStatus.PENDING
        events = [self._outcome_envelope(changed)] if decided else []
        await self.repository.save(changed, events)
        if events:
            self.outbox_written(self.repository.collection.name, review_id)
        return changed

    @staticmethod
    def _outcome_envelope(task: ReviewTask) -> tuple[str, Envelope]:
        # A task is decided once, so an id derived from it lets consumers drop a republished decision.
        return envelope_for(
            domain.outcome(task),
            source=SOURCE,
            tenant=task.tenant,
            correlation_id=task.correlation_id,
            event_id=deterministic_id("decided", task.review_id),
        )
