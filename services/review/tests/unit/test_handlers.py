"""The handlers driven directly: a unit of work over the memory store, a fixed clock, a recording relay."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from review_harness import PREPARER, submission

from guanwu.contracts.envelope import Envelope
from guanwu.contracts.events import ReviewApproved, ReviewStarted
from guanwu.platform.events import envelope_for
from guanwu.platform.refusal import VersionConflict
from guanwu.platform.store.memory import MemoryDocumentStore
from guanwu.platform.store.port import OUTBOX_FIELD
from guanwu.review.domain import ApproveReview, Reviewer, review_id_for
from guanwu.review.service_layer.handlers import approve_review, open_review_task
from guanwu.review.service_layer.unit_of_work import ReviewUnitOfWork

NOW = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)


class Relay:
    """Records what the unit of work tells the outbox relay."""

    def __init__(self) -> None:
        self.told: list[tuple[str | None, str | None]] = []

    def __call__(self, collection: str | None = None, doc_id: str | None = None, written: Any = None) -> None:
        self.told.append((collection, doc_id))


@pytest.fixture
def relay() -> Relay:
    return Relay()


@pytest.fixture
def new_uow(relay: Relay) -> Any:
    store = MemoryDocumentStore()
    return lambda: ReviewUnitOfWork(store, relay)


def submitted() -> Envelope:
    return envelope_for(submission("d1", version=2), source="/guanwu/declaration", tenant="acme")[1]


async def test_a_submission_opens_one_task_and_a_redelivery_none(new_uow: Any, relay: Relay) -> None:
    envelope = submitted()
    assert await open_review_task(envelope, submission("d1", version=2), uow=new_uow()) is True
    assert await open_review_task(envelope, submission("d1", version=2), uow=new_uow()) is False
    task = await new_uow().tasks.load("acme", review_id_for("acme", "d1", 2))
    assert (task.version, task.prepared_by, task.submitted_at) == (1, PREPARER, envelope.time)
    review_id = review_id_for("acme", "d1", 2)
    assert relay.told == [("review_tasks", review_id)]  # once: ReviewStarted; the redelivery tells nothing
    stored = await new_uow().tasks.collection.get(review_id)
    assert stored is not None
    assert [e["envelope"]["type"] for e in stored[OUTBOX_FIELD]] == [ReviewStarted.event_type]


async def test_approval_is_stored_with_its_event_at_the_clocks_time_and_the_relay_is_told(
    new_uow: Any, relay: Relay
) -> None:
    await open_review_task(submitted(), submission("d1", version=2), uow=new_uow())
    review_id = review_id_for("acme", "d1", 2)
    command = ApproveReview("acme", review_id, Reviewer("r1"), 1, comment="ok")
    approved = await approve_review(command, uow=new_uow(), clock=lambda: NOW)
    assert (approved.version, approved.decided_at, approved.audit[-1].at) == (2, NOW, NOW)
    stored = await new_uow().tasks.collection.get(review_id)
    assert stored is not None
    assert [e["envelope"]["type"] for e in stored[OUTBOX_FIELD]] == [
        ReviewStarted.event_type,  # nothing relayed it in this test
        ReviewApproved.event_type,
    ]
    assert relay.told == [("review_tasks", review_id)] * 2


async def test_a_stale_version_is_refused_with_the_current_one(new_uow: Any, relay: Relay) -> None:
    await open_review_task(submitted(), submission("d1", version=2), uow=new_uow())
    command = ApproveReview("acme", review_id_for("acme", "d1", 2), Reviewer("r1"), 5, comment=None)
    told = list(relay.told)
    with pytest.raises(VersionConflict) as refused:
        await approve_review(command, uow=new_uow(), clock=lambda: NOW)
    assert (refused.value.code, refused.value.current_version) == ("review.version_conflict", 1)
    assert relay.told == told
