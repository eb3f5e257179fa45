"""What a review task remembers of its 发送 (F-12): the latest send a reviewer asked for and how the declaration
service answered it. Pure data, kept on the task (`ReviewTask.send`) and shown by the task's API."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

SendStateName = Literal["requested", "declared", "refused"]
"""requested: ReviewSendRequested is on its way; declared: the declaration service declared it
(DeclarationDeclareRequested with this send_id); refused: it answered DeclarationSendRefused."""


class SendState(BaseModel):
    """The task's latest 发送."""

    model_config = ConfigDict(frozen=True)

    send_id: str = Field(description="ReviewSendRequested.send_id (the idempotency key of this send)")
    state: SendStateName
    declaration_version: int = Field(description="The declaration version review approved (what is sent)")
    requested_by: str = Field(description="The reviewer who pressed 发送")
    requested_at: datetime
    settled_at: datetime | None = Field(None, description="When the declaration service's answer arrived")
    declared_version: int | None = Field(
        None, description="declared: the declaration's version after 申报 (its ETag there)"
    )
    code: str | None = Field(None, description="refused: the declaration service's refusal code")
    message_zh: str | None = Field(None, description="refused: why, in Chinese")
    message_en: str | None = Field(None, description="refused: why, in English")

    @field_validator("requested_at", "settled_at")
    @classmethod
    def _in_utc(cls, moment: datetime | None) -> datetime | None:
        if moment is None:
            return None
        return moment.astimezone(UTC) if moment.tzinfo else moment.replace(tzinfo=UTC)
