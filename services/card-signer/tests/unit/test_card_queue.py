from __future__ import annotations

import asyncio
import time

import pytest

from guanwu.card_signer.domain import FailureReason, SignFailure
from guanwu.card_signer.service_layer.card_queue import CardQueue

from .conftest import FakeSigner


class Recorder:
    def __init__(self) -> None:
        self.outcomes: list[str] = []

    def signed(self, outcome: str, seconds: float) -> None:
        assert seconds >= 0
        self.outcomes.append(outcome)


async def test_one_operation_at_a_time(fake_signer: FakeSigner) -> None:
    fake_signer.delay_s = 0.002
    recorder = Recorder()
    queue = CardQueue(fake_signer, max_pending=100, recorder=recorder)
    await queue.start()
    try:
        results = await asyncio.gather(*(queue.sign(f"m{i}".encode()) for i in range(40)))
    finally:
        await queue.stop()
    assert len(results) == 40 and fake_signer.max_active == 1
    assert recorder.outcomes == ["signed"] * 40


async def test_bounded_queue_says_busy(fake_signer: FakeSigner) -> None:
    fake_signer.delay_s = 0.05
    queue = CardQueue(fake_signer, max_pending=2, timeout_s=10)
    await queue.start()
    try:
        outcomes = await asyncio.gather(*(queue.sign(b"m") for _ in range(6)), return_exceptions=True)
    finally:
        await queue.stop()
    busy = [o for o in outcomes if isinstance(o, SignFailure) and o.reason is FailureReason.BUSY]
    assert busy and len(busy) < 6


async def test_timeout_then_the_queue_keeps_serving(fake_signer: FakeSigner) -> None:
    fake_signer.delay_s = 0.3
    queue = CardQueue(fake_signer, timeout_s=0.05)
    await queue.start()
    try:
        with pytest.raises(SignFailure) as excinfo:
            await queue.sign(b"slow")
        assert excinfo.value.reason is FailureReason.TIMEOUT
        fake_signer.delay_s = 0
        signature = await queue.sign(b"fast", timeout_s=5)
    finally:
        await queue.stop()
    assert signature.message_sm3
    assert fake_signer.max_active == 1


async def test_expired_requests_are_not_sent_to_the_card(fake_signer: FakeSigner) -> None:
    fake_signer.delay_s = 0.2
    queue = CardQueue(fake_signer, timeout_s=0.05)
    await queue.start()
    try:
        outcomes = await asyncio.gather(*(queue.sign(b"m") for _ in range(5)), return_exceptions=True)
        assert all(isinstance(o, SignFailure) and o.reason is FailureReason.TIMEOUT for o in outcomes)
        fake_signer.delay_s = 0
        await queue.sign(b"after", timeout_s=5)
    finally:
        await queue.stop()
    assert fake_signer.calls == 2  # the first one, then "after": the expired four never reached the card


async def test_waits_for_a_card_until_the_deadline(fake_signer: FakeSigner) -> None:
    fake_signer.fail_with = SignFailure(FailureReason.NO_CARD, "no card")
    queue = CardQueue(fake_signer, timeout_s=5, card_poll_s=0.01)
    await queue.start()
    try:
        pending = asyncio.ensure_future(queue.sign(b"m"))
        deadline = time.monotonic() + 5
        while fake_signer.calls < 3 and time.monotonic() < deadline:
            await asyncio.sleep(0.01)
        assert not pending.done()
        fake_signer.fail_with = None
        assert (await pending).message_sm3
        with pytest.raises(SignFailure) as excinfo:
            fake_signer.fail_with = SignFailure(FailureReason.NO_CARD, "no card")
            await queue.sign(b"m", timeout_s=0.1)
        assert excinfo.value.reason in (FailureReason.NO_CARD, FailureReason.TIMEOUT)
    finally:
        await queue.stop()


async def test_other_failures_are_not_retried(fake_signer: FakeSigner) -> None:
    fake_signer.fail_with = SignFailure(FailureReason.PIN_WRONG, "rejected", 2)
    queue = CardQueue(fake_signer)
    await queue.start()
    try:
        with pytest.raises(SignFailure) as excinfo:
            await queue.sign(b"m")
    finally:
        await queue.stop()
    assert (excinfo.value.reason, excinfo.value.retries_left, fake_signer.calls) == (
        FailureReason.PIN_WRONG,
        2,
        1,
    )


async def test_an_unexpected_error_fails_one_request_only(fake_signer: FakeSigner) -> None:
    fake_signer.fail_with = RuntimeError("boom")
    queue = CardQueue(fake_signer)
    await queue.start()
    try:
        with pytest.raises(SignFailure) as excinfo:
            await queue.sign(b"m")
        fake_signer.fail_with = None
        await queue.sign(b"m")
    finally:
        await queue.stop()
    assert excinfo.value.reason is FailureReason.CARD_ERROR
