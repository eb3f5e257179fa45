"""What sync jobs (数据同步, F-44) report as they go (metrics listen here; `guanwu.sync.metrics` implements it)."""

from __future__ import annotations

from typing import Literal, Protocol

from guanwu.contracts.sync import SyncKind
from guanwu.sync.domain.synced import Outcome

JobOutcome = Literal["completed", "failed", "cancelled"]


class JobObserver(Protocol):
    def records_read(self, kind: SyncKind, outcome: Outcome, count: int) -> None:
        """A page's records were stored: how many were written (new or changed: announced), unchanged (kept
        at that version already) or quarantined. A page read again after a restart counts again."""

    def job_ended(self, kind: SyncKind, outcome: JobOutcome) -> None:
        """A job ended (its final write stored)."""

    def jobs_running(self, change: int) -> None:
        """This process took up (+1) or let go of (-1) a job."""


class Unobserved:
    def records_read(self, kind: SyncKind, outcome: Outcome, count: int) -> None:
        return None

    def job_ended(self, kind: SyncKind, outcome: JobOutcome) -> None:
        return None

    def jobs_running(self, change: int) -> None:
        return None


UNOBSERVED_JOBS: JobObserver = Unobserved()
