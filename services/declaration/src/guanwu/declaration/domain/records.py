"""What the declaration remembers of the steps after 提交审核: the review decision, signing, customs receipts.

Pure data; the console shows these next to the document (审核意见, 签名, 回执).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, PlainSerializer

from guanwu.contracts.events import FieldMark


def stamp(moment: datetime) -> str:
    """A fixed-width UTC text, so that stored times compare and sort as strings (the sweeps filter on them)."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


Stamp = Annotated[datetime, PlainSerializer(stamp, return_type=str, when_used="json")]
"""A time stored as a `stamp`."""


class ReviewNote(BaseModel):
    """The latest review decision: 审核通过 or 审核退回 with the reviewer's comment and field marks."""

    model_config = ConfigDict(frozen=True)

    review_id: str
    outcome: str = Field(description="approved (审核通过) or rejected (审核退回)")
    reviewer: str
    decided_at: datetime
    comment: str | None = None
    marks: list[FieldMark] = Field(default_factory=list)


class Signature(BaseModel):
    """The card's answer to a signing request (DeclarationSigned)."""

    model_config = ConfigDict(frozen=True)

    signature_b64: str
    signature_algorithm: str
    certificate_serial: str
    signer_subject: str
    device: str
    signed_at: datetime


class SignFailure(BaseModel):
    model_config = ConfigDict(frozen=True)

    reason: str
    detail: str = ""
    retries_left: int | None = None
    failed_at: datetime


class SigningState(BaseModel):
    """One 申报 attempt: what was sent to the card, and what came back."""

    model_config = ConfigDict(frozen=True)

    request_id: str
    requested_by: str
    requested_at: datetime
    content_sm3: str = Field(description="SM3 of the canonical bytes sent to be signed (docs/signing.md)")
    signature: Signature | None = None
    failure: SignFailure | None = None


class ReceiptRecord(BaseModel):
    """One customs receipt (回执) as the declaration's history keeps it."""

    model_config = ConfigDict(frozen=True)

    receipt_id: str
    channel: str = Field(description="CHANNEL 回执代码")
    label: str = Field(description="Meaning of the code, e.g. 海关已放行")
    notice_date: datetime
    note: str | None = None


class SubmissionFailure(BaseModel):
    """The Single Window's refusal of a signed declaration (DeclarationSubmitFailed)."""

    model_config = ConfigDict(frozen=True)

    request_id: str
    code: str
    message: str
    failed_at: datetime


class SyncMark(BaseModel):
    """The Single Window's copy of the declaration as 数据同步 last applied it (DeclarationSynced): a synced
    record at this `sw_version` or an older one changes nothing."""

    model_config = ConfigDict(frozen=True)

    sw_version: int = Field(description="The Single Window's version of the record last applied")
    sw_updated_at: datetime = Field(description="最近操作时间 at the Single Window")
    channel: str | None = Field(
        None, description="CHANNEL of its latest receipt there; none: 暂存, undeclared"
    )
    job_id: str | None = Field(None, description="The sync job that brought it")
    synced_at: datetime
