"""The port to the Single Window's query screens (报关数据同步 F-40, 核注清单数据同步 F-41) and what it answers.

A page's items are kept as the Single Window sent them (JSON objects), not read into models here: an item that
cannot be read is quarantined with its raw payload by the job, and must not fail the whole page.
"""

from __future__ import annotations

from typing import Any, Protocol

from pydantic import BaseModel, Field

from guanwu.contracts.sync import SyncCriteria


class QueryPage(BaseModel):
    """One page of records matching a job's criteria, in the Single Window's order (最近操作时间, 统一编号)."""

    items: list[dict[str, Any]]
    next_cursor: str | None = Field(default=None, description="Where the next page starts; None: last page")
    total: int | None = Field(default=None, ge=0, description="How many match in all pages, if it said")


class SingleWindowQuery(Protocol):
    async def query(
        self, enterprise: str, criteria: SyncCriteria, cursor: str | None, limit: int
    ) -> QueryPage:
        """One page after `cursor` (None: the first). Raises QueryRefused when the Single Window refused the
        question (a 4xx), QueryUnavailable when it gave no usable answer after the tries, SingleWindowAbsent
        when none is configured."""


class QueryRefused(Exception):
    """The Single Window refused the question (HTTP 4xx other than an expired session): asking again would
    get the same answer, so the job fails at once with its message."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(f"单一窗口拒绝查询 the Single Window refused the query (HTTP {status}): {message}")
        self.status, self.message = status, message


class QueryUnavailable(Exception):
    """No usable answer after every try (connection errors, timeouts, 5xx, 429, unreadable answers)."""

    def __init__(self, attempts: int, last_error: str) -> None:
        super().__init__(
            f"单一窗口无应答 the Single Window gave no usable answer in {attempts} tries; last: {last_error}"
        )
        self.attempts, self.last_error = attempts, last_error
