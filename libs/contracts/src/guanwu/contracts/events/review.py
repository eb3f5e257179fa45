"""Events published by the review service (审单) on `review.events.v1`.

The declaration service follows ReviewApproved and ReviewRejected to move a declaration out of 待审核, and
ReviewSendRequested to 申报 an approved declaration on a reviewer's 发送.
"""

from __future__ import annotations

from datetime import datetime
from typing import ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field

from guanwu.contracts import topics
from guanwu.contracts.events.base import REGISTRY, Event, event_type_name


class FieldMark(BaseModel):
    """A reviewer's mark on one field of the declaration (可视化审核: green = checked, red = wrong)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    field_path: str = Field(
        min_length=1,
        max_length=200,
        description="The field as the declaration API names it, e.g. goods[2].g_qty",
    )
    verdict: str = Field(pattern=r"^(ok|wrong)$", description="ok (绿色, 已核对) or wrong (红色, 有误)")
    comment: str | None = Field(default=None, max_length=500, description="审核意见 for this field")


class ReviewOutcome(Event):
    """What every review decision carries: which declaration, which version was reviewed, by whom, when."""

    review_id: str = Field(min_length=1, max_length=64, description="The review task's id")
    declaration_id: str = Field(min_length=1, max_length=64, description="guanwu's declaration id")
    declaration_version: int = Field(ge=1, description="The declaration version the reviewer looked at")
    reviewer: str = Field(min_length=1, max_length=64, description="审单员 (user id)")
    decided_at: datetime
    comment: str | None = Field(default=None, max_length=1000, description="审核意见")
    marks: list[FieldMark] = Field(default_factory=list, max_length=2000, description="Field marks")

    topic: ClassVar[str] = topics.REVIEW_EVENTS
    owner: ClassVar[str] = "review"

    def aggregate_id(self) -> str:
        # Keyed by the declaration, so its review decisions stay in order with each other.
        return self.declaration_id


@REGISTRY.register
class ReviewApproved(ReviewOutcome):
    """审核通过: the declaration may be declared (申报)."""

    override_reason: str | None = Field(
        default=None,
        max_length=1000,
        description="Why the reviewer approved although fields were still marked red (audited); none otherwise",
    )

    event_type: ClassVar[str] = event_type_name("review", "ReviewApproved")


@REGISTRY.register
class ReviewRejected(ReviewOutcome):
    """审核退回: back to the preparer with the reason and the fields marked wrong."""

    comment: str = Field(min_length=1, max_length=1000, description="退回原因 (required)")

    event_type: ClassVar[str] = event_type_name("review", "ReviewRejected")


MarkState = Literal["unmarked", "ok", "wrong"]
"""A field's mark: unmarked, ok (绿色, 已核对) or wrong (红色, 有误). The seed's click cycle goes
unmarked → ok → wrong → unmarked."""


class ReviewTaskEvent(Event):
    """What every event about one review task carries; keyed by the declaration, like the decisions."""

    review_id: str = Field(min_length=1, max_length=64, description="The review task's id")
    declaration_id: str = Field(min_length=1, max_length=64, description="guanwu's declaration id")
    declaration_version: int = Field(ge=1, description="The declaration version the task reviews")

    topic: ClassVar[str] = topics.REVIEW_EVENTS
    owner: ClassVar[str] = "review"

    def aggregate_id(self) -> str:
        return self.declaration_id


@REGISTRY.register
class ReviewStarted(ReviewTaskEvent):
    """A review task exists for a declaration version submitted for review (待审核)."""

    previous_review_id: str | None = Field(
        default=None, max_length=64, description="The task of the previous submission, whose marks it carries"
    )
    carried_marks: int = Field(default=0, ge=0, description="Marks carried over from the previous task")
    stale_marks: int = Field(
        default=0, ge=0, description="Carried marks on fields whose value changed since (shown as stale)"
    )

    event_type: ClassVar[str] = event_type_name("review", "ReviewStarted")


@REGISTRY.register
class FieldMarked(ReviewTaskEvent):
    """A reviewer changed one field's mark (可视化审核): published once per change, through the outbox."""

    task_version: int = Field(ge=1, description="The task's version after this change (its ETag)")
    field_path: str = Field(min_length=1, max_length=200, description="e.g. head.trade_mode, goods[2].g_qty")
    state_before: MarkState
    state_after: MarkState
    comment: str | None = Field(default=None, max_length=500, description="审核意见 for this field")
    reviewer: str = Field(min_length=1, max_length=64, description="审单员 (user id)")
    marked_at: datetime

    event_type: ClassVar[str] = event_type_name("review", "FieldMarked")


@REGISTRY.register
class ReviewWithdrawn(ReviewTaskEvent):
    """A pending task was withdrawn: its declaration was deleted (删单) or changed version outside review."""

    reason: Literal["declaration_deleted", "declaration_changed"] = Field(description="Why it was withdrawn")

    event_type: ClassVar[str] = event_type_name("review", "ReviewWithdrawn")


@REGISTRY.register
class ReviewSendRequested(ReviewTaskEvent):
    """发送: a reviewer or manager (the tenant's settings allowing it) or an admin handed the approved declaration
    on to 申报.

    The declaration service declares `declaration_version` (the version review approved) as `requested_by`, as it
    does for the preparer's 申报, and answers with DeclarationDeclareRequested carrying this `send_id`, or with
    DeclarationSendRefused when the declaration is no longer there to declare (another version, not approved).
    """

    send_id: str = Field(min_length=1, max_length=64, description="This request's id (idempotency key)")
    requested_by: str = Field(min_length=1, max_length=64, description="Who pressed 发送 (user id)")
    requested_at: datetime

    event_type: ClassVar[str] = event_type_name("review", "ReviewSendRequested")
