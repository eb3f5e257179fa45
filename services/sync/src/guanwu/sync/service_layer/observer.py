"""What sync's handlers report as they go (metrics listen here; `guanwu.sync.metrics` implements it)."""

from __future__ import annotations

from typing import Literal, Protocol

DeclareOutcome = Literal["submitted", "refused", "deferred"]
Job = Literal["receipt_poll", "resend"]


class SyncObserver(Protocol):
    def receipt_stored(self, channel: str) -> None:
        """A receipt read from the Single Window was stored (once: a receipt read again is not)."""

    def bonded_list_receipt_stored(self, message_type: str) -> None:
        """A 核注清单 receipt (INV201, INV202) read from the Single Window was stored (once)."""

    def receipt_quarantined(self, message_type: str) -> None:
        """A receipt of the feed could not be read and was quarantined (once: a re-read is not counted)."""

    def declaration_sent(self, outcome: DeclareOutcome) -> None:
        """A 申报 record's send ended: submitted (the Single Window took it), refused (it refused it, or no
        sendable message could be made) or deferred (no answer: kept and sent again later)."""

    def job_ran(self, job: Job, ok: bool) -> None:
        """One run of a background job (one tenant's receipt poll, one resend sweep)."""


class Unobserved:
    def receipt_stored(self, channel: str) -> None:
        return None

    def bonded_list_receipt_stored(self, message_type: str) -> None:
        return None

    def receipt_quarantined(self, message_type: str) -> None:
        return None

    def declaration_sent(self, outcome: DeclareOutcome) -> None:
        return None

    def job_ran(self, job: Job, ok: bool) -> None:
        return None


UNOBSERVED: SyncObserver = Unobserved()
