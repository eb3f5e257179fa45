"""One operation on the card at a time: a bounded asyncio queue in front of one worker thread.

Choices: a single dedicated thread (not the default executor) because PC/SC handles and the card's
"PIN verified" session belong to one connection used serially; a caller's deadline covers both its time in
the queue and on the card. An operation that overruns its deadline cannot be cut short on the card, so the
caller gets `timeout` while the worker still waits for the card before taking the next request.
A request that finds no card (or no reader) waits for one until its deadline, so a card pulled out for a
moment costs the operation in flight only: the requests behind it go through once the card is back.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, Protocol, TypeVar

from guanwu.card_signer.domain import (
    DEFAULT_USER_ID,
    CardObserver,
    CardStatus,
    FailureReason,
    Signature,
    Signer,
    SignFailure,
)

T = TypeVar("T")


class SignRecorder(Protocol):
    def signed(self, outcome: str, seconds: float) -> None: ...


class _NoRecorder:
    def signed(self, outcome: str, seconds: float) -> None:
        return None


@dataclass
class _Job:
    run: Callable[[], Any]
    future: asyncio.Future[Any]
    deadline: float
    is_signature: bool


class CardQueue:
    def __init__(
        self,
        signer: Signer,
        max_pending: int = 256,
        timeout_s: float = 10.0,
        recorder: SignRecorder | None = None,
        card_poll_s: float = 0.1,
        batch_max: int = 32,
    ) -> None:
        self.batch_max = batch_max
        self.card_poll_s = card_poll_s
        self.signer = signer
        self.timeout_s = timeout_s
        self._queue: asyncio.Queue[_Job] = asyncio.Queue(maxsize=max_pending)
        self._recorder = recorder or _NoRecorder()
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="card")
        self._worker: asyncio.Task[None] | None = None

    async def start(self) -> None:
        if self._worker is None:
            self._worker = asyncio.create_task(self._work(), name="card-queue")

    async def stop(self) -> None:
        if self._worker is not None:
            self._worker.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._worker
            self._worker = None
        while not self._queue.empty():
            job = self._queue.get_nowait()
            if not job.future.done():
                job.future.set_exception(SignFailure(FailureReason.TIMEOUT, "card signer stopping"))
        self._executor.shutdown(wait=True)
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="card")  # restartable

    async def sign(
        self, message: bytes, user_id: bytes = DEFAULT_USER_ID, timeout_s: float | None = None
    ) -> Signature:
        started = time.monotonic()
        try:
            signature: Signature = await self._submit(
                lambda: self.signer.sign(message, user_id), timeout_s, is_signature=True
            )
        except SignFailure as failure:
            self._recorder.signed(failure.reason.value, time.monotonic() - started)
            raise
        self._recorder.signed("signed", time.monotonic() - started)
        return signature

    async def status(self, timeout_s: float | None = None) -> list[CardStatus]:
        statuses: list[CardStatus] = await self._submit(self.signer.status, timeout_s, is_signature=False)
        return statuses

    async def _submit(self, run: Callable[[], T], timeout_s: float | None, is_signature: bool) -> T:
        if self._worker is None:
            raise SignFailure(FailureReason.TIMEOUT, "card signer not running (starting or stopping)")
        timeout = self.timeout_s if timeout_s is None else timeout_s
        loop = asyncio.get_running_loop()
        job = _Job(run, loop.create_future(), time.monotonic() + timeout, is_signature)
        # A caller that timed out no longer awaits the future: mark its outcome as seen to keep logs quiet.
        job.future.add_done_callback(lambda f: f.cancelled() or f.exception())
        try:
            self._queue.put_nowait(job)
        except asyncio.QueueFull:
            raise SignFailure(
                FailureReason.BUSY, f"{self._queue.maxsize} card operations already waiting"
            ) from None
        try:
            # asyncio.timeout, not wait_for: on Python 3.11 wait_for can swallow a cancellation that arrives
            # as the job completes, and the card watcher that called it then never stopped (SIGTERM hung).
            async with asyncio.timeout(timeout):
                result: T = await asyncio.shield(job.future)
        except TimeoutError:
            raise SignFailure(
                FailureReason.TIMEOUT, f"no answer from the card within {timeout:g} s"
            ) from None
        return result

    def _waits_for_card(self, job: _Job, failure: SignFailure) -> bool:
        waiting = failure.reason in (FailureReason.NO_CARD, FailureReason.NO_READER)
        return waiting and job.is_signature and time.monotonic() + self.card_poll_s < job.deadline

    def _run_batch(self, loop: asyncio.AbstractEventLoop, jobs: list[_Job]) -> list[_Job]:
        """In the card thread: run the jobs one after the other, settle each as soon as it is done (a real
        card takes ~0.1-0.3 s per signature), and hand back those that found no card and may wait for one.
        One thread hop per batch instead of per job is what keeps the queue near the card's own speed."""
        waiting = []
        for job in jobs:
            if time.monotonic() >= job.deadline:
                continue  # the caller has given up: do not spend a card operation on it
            try:
                outcome: Any = job.run()
            except SignFailure as failure:
                if self._waits_for_card(job, failure):
                    waiting.append(job)
                    continue
                outcome = failure
            except Exception as exc:  # a bug or an unexpected library error: fail this job, keep serving
                outcome = SignFailure(FailureReason.CARD_ERROR, type(exc).__name__)
            loop.call_soon_threadsafe(_settle, job.future, outcome)
        return waiting

    async def _wait_for_card(self, loop: asyncio.AbstractEventLoop, jobs: list[_Job]) -> None:
        """Retry the jobs that found no card every `card_poll_s`, each until its own deadline."""
        while jobs:
            await asyncio.sleep(self.card_poll_s)
            live = [job for job in jobs if not job.future.done()]
            jobs = await loop.run_in_executor(self._executor, self._run_batch, loop, live) if live else []

    async def _work(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            batch = [await self._queue.get()]
            while len(batch) < self.batch_max and not self._queue.empty():
                batch.append(self._queue.get_nowait())
            try:
                live = [job for job in batch if not job.future.done()]
                if not live:
                    continue
                waiting = await loop.run_in_executor(self._executor, self._run_batch, loop, live)
                await self._wait_for_card(loop, waiting)
            finally:
                for _ in batch:
                    self._queue.task_done()


async def watch_card(queue: CardQueue, observer: CardObserver, *, timeout_s: float, poll_s: float) -> None:
    """Keeps the card gauges fresh between signatures; stops the queue when the runtime stops."""
    try:
        while True:
            with contextlib.suppress(SignFailure):
                for status in await queue.status(timeout_s=timeout_s):
                    if status.card_present or status.error in ("no_card", "card_removed"):
                        observer.card_seen(status.card_present, status.pin_retries_left)
            await asyncio.sleep(poll_s)
    finally:
        await queue.stop()


def _settle(future: asyncio.Future[Any], outcome: Any) -> None:
    if future.done():
        return
    if isinstance(outcome, BaseException):
        future.set_exception(outcome)
    else:
        future.set_result(outcome)
