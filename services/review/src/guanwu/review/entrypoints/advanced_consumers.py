"""What 高级审核 and 审核留痕 consume: every declaration event into review's declaration history (group
`review.history`), and review's own events into the audit (group `review.audit`)."""

from __future__ import annotations

from functools import partial

from guanwu.contracts import topics
from guanwu.contracts.events import (
    REGISTRY,
    DeclarationSummary,
    FieldMarked,
    ReviewApproved,
    ReviewRejected,
    ReviewSendRequested,
    ReviewStarted,
    ReviewWithdrawn,
)
from guanwu.platform.bus.port import Subscription
from guanwu.review.service_layer.advanced import AdvancedContext, learn_declarations, record_audit

HISTORY_GROUP = "review.history"
AUDIT_GROUP = "review.audit"
AUDITED = (FieldMarked, ReviewApproved, ReviewRejected, ReviewSendRequested, ReviewStarted, ReviewWithdrawn)


def subscriptions(context: AdvancedContext) -> list[Subscription]:
    on_declarations = partial(learn_declarations, history=context.history)
    on_review_events = partial(record_audit, audit=context.audit)
    declarations = [cls for cls in REGISTRY.all() if issubclass(cls, DeclarationSummary)]
    return [
        Subscription(
            HISTORY_GROUP,
            topics.DECLARATION_EVENTS,
            batch_handlers={cls.event_type: on_declarations for cls in declarations},
        ),
        Subscription(
            AUDIT_GROUP,
            topics.REVIEW_EVENTS,
            batch_handlers={cls.event_type: on_review_events for cls in AUDITED},
        ),
    ]
