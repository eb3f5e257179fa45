"""发送 (F-12): a reviewer hands an approved declaration on to 申报 — the declaration service's own declare
command — when the tenant's review settings allow reviewers to. Pure: no I/O.

The settings are the tenant's (one document per tenant, kept by the review service, changed by a manager):
`reviewers_may_send`, off by default, so 申报 stays the preparer's until an enterprise decides otherwise.
"""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from guanwu.platform.refusal import Refusal
from guanwu.review.domain.tasks import ReviewStatus, ReviewTask


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
