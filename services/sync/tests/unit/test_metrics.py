"""Sync's metrics: 申报 outcomes, calls to the Single Window, receipts by CHANNEL and the background jobs'
runs, each counted once for what happened (docs/metrics.md)."""

from __future__ import annotations

import asyncio
import time

import httpx
from metric_samples import sample

from guanwu.singlewindow_sim.app import ReceiptIn

from .conftest import SyncService, running_sync

QUIET_SECONDS = 20.0
SENT = "guanwu_sync_declarations_total"
CALLS = "guanwu_sync_single_window_requests_total"
JOBS = "guanwu_sync_jobs_total"


def counters() -> dict[str, float]:
    """Every sync counter with its labels, flattened."""
    found = {f"sent:{o}": sample(SENT, outcome=o) for o in ("submitted", "refused", "deferred")}
    for operation in ("declare", "receipts"):
        for outcome in ("ok", "error"):
            found[f"{operation}:{outcome}"] = sample(CALLS, operation=operation, outcome=outcome)
        key = f"{operation}:seconds"
        found[key] = sample("guanwu_sync_single_window_request_duration_seconds_count", operation=operation)
    for job in ("receipt_poll", "resend"):
        for outcome in ("ok", "failed"):
            found[f"{job}:{outcome}"] = sample(JOBS, sync_job=job, outcome=outcome)
    for channel in ("P", "D", "?"):
        found[f"receipt:{channel}"] = sample("guanwu_sync_receipts_total", channel=channel)
    return found


def moved(before: dict[str, float]) -> dict[str, float]:
    return {key: n - before[key] for key, n in counters().items() if n != before[key]}


def declaring_moved(before: dict[str, float]) -> dict[str, float]:
    """What moved apart from receipt polling: the service follows a tenant as soon as it declares, so its
    poller may run (and count) at any moment of a test about 申报."""
    polling = ("receipt_poll:", "receipts:", "receipt:")
    return {key: n for key, n in moved(before).items() if not key.startswith(polling)}


async def test_a_submitted_declaration_counts_once_with_its_call(sync: SyncService) -> None:
    before = counters()
    request = await sync.declare_requested()
    await sync.signed()
    await sync.bus.publish("declaration.events.v1", request)  # redelivered: nothing is sent again
    assert declaring_moved(before) == {"sent:submitted": 1, "declare:ok": 1, "declare:seconds": 1}


async def test_a_refusal_is_an_answer_and_a_refused_declaration(sync: SyncService) -> None:
    sync.line.answer_status = 400
    before = counters()
    await sync.declare_requested()
    await sync.signed()
    assert declaring_moved(before) == {"sent:refused": 1, "declare:ok": 1, "declare:seconds": 1}


async def test_no_answer_defers_each_attempt_and_a_resend_sweep_counts_as_a_job(sync: SyncService) -> None:
    sync.line.refuse_connection = True
    before = counters()
    await sync.declare_requested()
    await sync.signed()  # the dispatcher tries three times, then dead-letters the event
    assert declaring_moved(before) == {"sent:deferred": 3, "declare:error": 3, "declare:seconds": 3}
    assert await sync.resend_ready() == 0  # still no answer: the sweep failed
    assert declaring_moved(before)["resend:failed"] == 1
    sync.line.refuse_connection = False
    assert await sync.resend_ready() == 1
    changes = declaring_moved(before)
    assert (changes["resend:ok"], changes["sent:submitted"], changes["declare:ok"]) == (1, 1, 1)


async def until(sync: SyncService, done: object) -> None:
    """Wait while the poller polls; fail once it stopped."""
    seen, since = len(sync.line.polled), time.monotonic()
    while not done():  # type: ignore[operator]
        await asyncio.sleep(0.01)
        if len(sync.line.polled) != seen:
            seen, since = len(sync.line.polled), time.monotonic()
        assert time.monotonic() - since < QUIET_SECONDS, "the poller stopped"


class Unreachable(httpx.AsyncBaseTransport):
    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connection refused", request=request)


async def test_receipts_count_by_channel_once_and_each_poll_counts_as_a_job() -> None:
    async with running_sync(tenants=["acme"], poll_interval_seconds=0.01) as sync:
        before = counters()
        for channel in ("P", "D", "x"):
            await sync.simulator.add(
                ReceiptIn(enterprise="acme", entry_id="610120260000012345", channel=channel)
            )
        await until(sync, lambda: moved(before).get("receipt:?") == 1)
        changes = moved(before)
        assert (changes["receipt:P"], changes["receipt:D"]) == (1, 1)  # "x" is no CHANNEL code: "?"
        assert changes["receipt_poll:ok"] >= 1 and "receipt_poll:failed" not in changes
        assert changes["receipts:ok"] >= 1 and "receipts:error" not in changes
        sync.line.inner = Unreachable()
        failed_before = counters()
        await until(sync, lambda: moved(failed_before).get("receipt_poll:failed", 0) >= 2)
        assert moved(failed_before).get("receipts:error", 0) >= 2
        assert (moved(before)["receipt:P"], moved(before)["receipt:D"]) == (1, 1)  # nothing counted twice


async def test_without_a_single_window_a_declaration_is_deferred_and_nothing_is_called() -> None:
    async with running_sync(connected=False) as sync:
        before = counters()
        await sync.declare_requested()
        await sync.signed()
        assert moved(before) == {"sent:deferred": 1}
