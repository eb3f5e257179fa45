"""The declaration service's background sweeps: signing requests nobody answered, parked receipts nobody claimed.

Each runs in every replica (`ServiceParts.background`); they cannot do a thing twice: a timed-out declaration
is a versioned write (the loser of a race finds it changed and leaves it), an expired receipt is a deletion that
reports whether it removed anything.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Protocol

import structlog

from guanwu.contracts.envelope import Envelope
from guanwu.declaration.domain.lifecycle import time_out_signing
from guanwu.declaration.domain.model import Declaration, Status
from guanwu.declaration.service_layer.handlers import SOURCE
from guanwu.declaration.service_layer.unit_of_work import DeclarationUnitOfWork
from guanwu.platform.clock import Clock
from guanwu.platform.events import envelope_for
from guanwu.platform.store.port import ConcurrencyConflict

log = structlog.get_logger(__name__)

EXPIRY_PAGE = 500
"""How many expired receipts one read of the expiry sweep takes (it reads until none is left)."""


class SweepObserver(Protocol):
    """Hears what the sweeps did (metrics listen here)."""

    def signing_timed_out(self) -> None: ...

    def parked_receipt_expired(self) -> None: ...


async def time_out_unanswered_signing(
    *, uow: DeclarationUnitOfWork, clock: Clock, timeout: timedelta, observer: SweepObserver
) -> int:
    """Every declaration in 申报中 whose signing request had no answer for `timeout` goes back to 审核通过 with
    the reason (DeclarationStatusChanged); returns how many did."""
    now = clock()
    timed_out = 0
    for declaration in await uow.declarations.in_status(Status.DECLARING):
        changed = time_out_signing(declaration, now=now, timeout=timeout)
        if changed is None:
            continue
        uow.declarations.save(changed, [_announced(declaration, changed, timeout)])
        try:
            await uow.commit()
        except ConcurrencyConflict:
            continue  # answered or changed meanwhile: the next sweep looks at it again
        timed_out += 1
        observer.signing_timed_out()
        assert declaration.signing is not None
        log.warning(
            "declaration.signing_timed_out",
            declaration_id=declaration.declaration_id,
            tenant=declaration.tenant,
            request_id=declaration.signing.request_id,
            timeout_seconds=timeout.total_seconds(),
        )
    return timed_out


def _announced(before: Declaration, after: Declaration, timeout: timedelta) -> tuple[str, Envelope]:
    assert before.signing is not None
    seconds = int(timeout.total_seconds())
    cause = f"签名超时 signing request {before.signing.request_id} unanswered after {seconds} s"
    event = after.status_changed(before, cause, abandoned_request_id=before.signing.request_id)
    return envelope_for(event, source=SOURCE, tenant=after.tenant)


async def expire_parked_receipts(
    *, uow: DeclarationUnitOfWork, clock: Clock, ttl: timedelta, observer: SweepObserver
) -> int:
    """Remove the receipts parked for `ttl` or longer (no declaration claimed them), each with a warning in the
    log; returns how many this run removed."""
    cutoff = clock() - ttl
    expired = 0
    while True:
        page = await uow.parked_receipts.parked_until(cutoff, limit=EXPIRY_PAGE)
        for parked in page:
            if not await uow.parked_receipts.expire(parked):
                continue
            expired += 1
            observer.parked_receipt_expired()
            log.warning(
                "declaration.parked_receipt_expired",
                receipt_id=parked.receipt_id,
                tenant=parked.tenant,
                seq_no=parked.seq_no,
                entry_id=parked.entry_id,
                channel=parked.envelope.data.get("channel"),
                parked_at=parked.parked_at.isoformat() if parked.parked_at else None,
                ttl_seconds=ttl.total_seconds(),
            )
        if len(page) < EXPIRY_PAGE:
            return expired
