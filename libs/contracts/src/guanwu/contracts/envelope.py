"""The CloudEvents-1.0-shaped envelope every guanwu event travels in.

`subject` is the aggregate id and doubles as the Kafka key, so one aggregate's events stay in order.
`type` carries a version suffix (`guanwu.<owner>.<EventName>.v1`); a breaking payload change is a new type.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field


def new_event_id() -> str:
    return str(uuid.uuid4())


def utc_now() -> datetime:
    return datetime.now(UTC)


class Envelope(BaseModel):
    """One event on the wire. Consumers ignore fields they do not know (forward compatibility)."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    specversion: Literal["1.0"] = "1.0"
    id: str = Field(
        default_factory=new_event_id, min_length=1, max_length=64, description="Unique per source"
    )
    source: str = Field(
        min_length=1, max_length=200, description="Producing service, e.g. /guanwu/declaration"
    )
    type: str = Field(
        pattern=r"^guanwu\.[a-z_-]+\.[A-Za-z]+\.v[0-9]+$",
        description="guanwu.<owner>.<EventName>.v<major>",
    )
    subject: str = Field(min_length=1, max_length=128, description="Aggregate id; also the Kafka message key")
    time: datetime = Field(default_factory=utc_now)
    tenant: str = Field(min_length=1, max_length=64, description="The enterprise the event belongs to")
    correlationid: str = Field(min_length=1, max_length=64, description="Shared by every event of one flow")
    causationid: str | None = Field(
        default=None, max_length=64, description="Id of the event or request that caused this one"
    )
    datacontenttype: Literal["application/json"] = "application/json"
    data: dict[str, Any]

    def to_json_bytes(self) -> bytes:
        return self.model_dump_json().encode("utf-8")

    @classmethod
    def from_json_bytes(cls, raw: bytes) -> Envelope:
        return cls.model_validate_json(raw)
