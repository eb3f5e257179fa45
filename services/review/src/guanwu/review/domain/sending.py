"""发送 (F-12): a reviewer hands an approved declaration on to 申报 when the tenant's review settings allow
reviewers to. Pure: no I/O.

发送 is a command through events, not a call: the task keeps the send (`SendState`, requested) and publishes
ReviewSendRequested in the same write; the declaration service declares the approved version as the reviewer
and answers with DeclarationDeclareRequested carrying the send's id (declared) or DeclarationSendRefused
(refused, with its reason), which settle the task's send. Asking again while a send is requested or declared
answers that send; after a refusal, or once the declaration came back to 审核通过 after the send's 申报 (its
signing failed or timed out), a new one may be asked.

The settings are the tenant's (one document per tenant, kept by the review service, changed by a manager):
`reviewers_may_send`, off by default, so 申报 stays the preparer's until an enterprise decides otherwise.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from guanwu.contracts.events import ReviewSendRequested
from guanwu.platform.ids import deterministic_id
from guanwu.platform.refusal import Refusal
from guanwu.review.domain.send_state import SendState
from guanwu.review.domain.tasks import AuditEntry, ReviewStatus, ReviewTask

APPROVED_THERE = "审核通过"
"""The declaration's own state (系统状态) in which it may be declared."""


class ReviewSettingsInput(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reviewers_may_send: bool = Field(
        False, description="发送: reviewers may hand approved declarations on to 申报 (the declare command)"
    )


class TenantReviewSettings(ReviewSettingsInput):
    model_config = ConfigDict(extra="ignore")

    tenant: str
    updated_by: str | None = None
    updated_at: datetime | None = None


class SendRefused(Refusal):
    """发送 not allowed (HTTP 403 when the tenant's settings forbid it, 409 for the task's state)."""


def ensure_may_send(task: ReviewTask, settings: TenantReviewSettings, *, is_admin: bool) -> None:
    if not (settings.reviewers_may_send or is_admin):
        refusal = SendRefused(
            "review.send_not_allowed",
            "本企业的审单设置不允许审单员发送申报（reviewers_may_send）",
            "This enterprise's review settings do not let reviewers send declarations to 申报 "
            "(reviewers_may_send)",
        )
        refusal.status = 403
        raise refusal
    if task.status is not ReviewStatus.APPROVED:
        raise SendRefused(
            "review.not_approved",
            f"审核任务为「{task.status.value}」，只有审核通过的报关单可以发送申报",
            f"The review task is {task.status.name.lower()}: only an approved declaration can be sent",
        )


def send_id_for(task: ReviewTask) -> str:
    """One send per task version: two 发送 racing on the same version derive the same id (one write wins)."""
    return deterministic_id("review-send", task.review_id, str(task.version))


def send_event_id(send_id: str) -> str:
    """ReviewSendRequested's id: a republished request carries the same one."""
    return deterministic_id("send-requested", send_id)


def standing_send(task: ReviewTask) -> SendState | None:
    """The send a new 发送 answers instead of asking again: one still requested, or one declared unless the
    declaration came back to 审核通过 after it (its signing failed or timed out)."""
    send = task.send
    if send is None or send.state == "refused":
        return None
    if send.state == "declared" and _approved_again(task, send):
        return None
    return send


def _approved_again(task: ReviewTask, send: SendState) -> bool:
    return (
        task.declaration_status == APPROVED_THERE
        and send.declared_version is not None
        and task.declaration_seen_version > send.declared_version
    )


def request_send(
    task: ReviewTask, settings: TenantReviewSettings, *, user_id: str, is_admin: bool, now: datetime
) -> tuple[ReviewTask, ReviewSendRequested | None]:
    """发送: the task with a new requested send and the event asking for it; the task as it is and no event
    when a standing send answers the request (asked again)."""
    ensure_may_send(task, settings, is_admin=is_admin)
    if standing_send(task) is not None:
        return task, None
    send = SendState(
        send_id=send_id_for(task),
        state="requested",
        declaration_version=task.declaration_version,
        requested_by=user_id,
        requested_at=now,
    )
    version = task.version + 1
    entry = AuditEntry(at=now, by=user_id, action="send", version=version)
    changed = task.model_copy(
        update={"send": send, "version": version, "updated_at": now, "audit": [*task.audit, entry]}
    )
    event = ReviewSendRequested(
        review_id=task.review_id,
        declaration_id=task.declaration_id,
        declaration_version=task.declaration_version,
        send_id=send.send_id,
        requested_by=user_id,
        requested_at=now,
    )
    return changed, event


@dataclass(frozen=True)
class SendAnswered:
    """The declaration service's answer to a send: declared at `declared_version`, or refused with a reason."""

    send_id: str
    declared_version: int | None = None
    code: str | None = None
    message_zh: str | None = None
    message_en: str | None = None

    @property
    def refused(self) -> bool:
        return self.declared_version is None


def settle_send(task: ReviewTask, answer: SendAnswered, *, now: datetime) -> ReviewTask | None:
    """The task's requested send settled by the answer; None when the answer is not for the task's send still
    waiting (a redelivered answer, or one for an earlier send)."""
    send = task.send
    if send is None or send.send_id != answer.send_id or send.state != "requested":
        return None
    settled = send.model_copy(
        update={
            "state": "refused" if answer.refused else "declared",
            "settled_at": now,
            "declared_version": answer.declared_version,
            "code": answer.code,
            "message_zh": answer.message_zh,
            "message_en": answer.message_en,
        }
    )
    version = task.version + 1
    action = "send_refused" if answer.refused else "send_declared"
    entry = AuditEntry(at=now, by="system", action=action, version=version, comment=answer.message_zh)
    return task.model_copy(
        update={"send": settled, "version": version, "updated_at": now, "audit": [*task.audit, entry]}
    )
