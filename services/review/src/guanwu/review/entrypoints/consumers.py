"""What the review service consumes: the one table of its subscriptions.

Declaration events are read by one group, in the declaration's partition order: a submission opens a task,
the later events of its declaration give the tasks their 系统状态 and withdraw a pending one when the
declaration was deleted or changed version outside review. Receipts (sync) give the tasks their 申报状态.
The declaration service's answers to 发送 (DeclarationDeclareRequested with a send id, DeclarationSendRefused)
settle the task's send in a group of their own.
"""

from __future__ import annotations

from guanwu.contracts import topics
from guanwu.contracts.events import (
    REGISTRY,
    DeclarationDeclareRequested,
    DeclarationDrafted,
    DeclarationSendRefused,
    DeclarationSubmittedForReview,
    DeclarationSummary,
    ReceiptReceived,
)
from guanwu.platform.bus.port import Subscription
from guanwu.platform.unit_of_work import with_new_unit_of_work
from guanwu.review.service_layer.context import ReviewContext
from guanwu.review.service_layer.handlers import follow_declaration_event, follow_receipt, open_review_task
from guanwu.review.service_layer.sending import settle_send_answer

GROUP = "review.tasks"
RECEIPTS_GROUP = "review.receipts"
SENDS_GROUP = "review.sends"

# A draft has no task yet; every later declaration event may concern one.
_NOT_FOLLOWED = {DeclarationDrafted, DeclarationSubmittedForReview}


def subscriptions(context: ReviewContext) -> list[Subscription]:
    open_task = with_new_unit_of_work(open_review_task, context.new_uow)
    follow = with_new_unit_of_work(follow_declaration_event, context.new_uow)
    settle = with_new_unit_of_work(settle_send_answer, context.new_uow)
    followed = [
        cls for cls in REGISTRY.all() if issubclass(cls, DeclarationSummary) and cls not in _NOT_FOLLOWED
    ]
    return [
        Subscription(
            GROUP,
            topics.DECLARATION_EVENTS,
            {
                DeclarationSubmittedForReview.event_type: open_task,
                **{cls.event_type: follow for cls in followed},
            },
        ),
        Subscription(
            RECEIPTS_GROUP,
            topics.SYNC_EVENTS,
            {ReceiptReceived.event_type: with_new_unit_of_work(follow_receipt, context.new_uow)},
        ),
        Subscription(
            SENDS_GROUP,
            topics.DECLARATION_EVENTS,
            {cls.event_type: settle for cls in (DeclarationDeclareRequested, DeclarationSendRefused)},
        ),
    ]
