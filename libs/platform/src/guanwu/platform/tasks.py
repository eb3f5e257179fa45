"""Stopping background tasks so that a process always ends.

A task may miss one cancellation: on Python 3.11 `asyncio.wait_for` swallows a cancel that arrives as the call
it waits on completes, and the loop around it goes on. Waiting for such a task once would wait for ever
(SIGTERM ignored), so a stop cancels again until the task ends, and gives up on it, loudly, after a grace
period.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from typing import Any

import structlog

log = structlog.get_logger(__name__)


async def cancel_and_wait(
    tasks: Iterable[asyncio.Task[Any]],
    *,
    grace_seconds: float = 10.0,
    recancel_seconds: float = 0.1,
) -> None:
    """Cancel the tasks and wait until they end, cancelling again every `recancel_seconds`."""
    pending = {t for t in tasks if not t.done()}
    loop = asyncio.get_running_loop()
    deadline = loop.time() + grace_seconds
    while pending and loop.time() < deadline:
        for task in pending:
            task.cancel()
        _, pending = await asyncio.wait(pending, timeout=recancel_seconds)
    for task in pending:
        log.error("background task did not stop; leaving it behind", task=task.get_name())
