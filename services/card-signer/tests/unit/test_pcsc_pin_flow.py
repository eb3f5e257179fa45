"""PcscSigner against the virtual card's APDU interpreter in-process: the PIN policy, APDU by APDU."""

from __future__ import annotations

from typing import Any

import pytest

from guanwu.card_signer.adapters.pcsc import PcscSigner
from guanwu.card_signer.domain import FailureReason, Pin, SignFailure
from guanwu.card_signer.domain.sm2 import verify

from .conftest import CARD_PIN, FakeReader


class RecordingObserver:
    def __init__(self) -> None:
        self.seen: list[tuple[bool, int | None]] = []
        self.alerts: list[tuple[FailureReason, str]] = []

    def card_seen(self, present: bool, pin_retries_left: int | None) -> None:
        self.seen.append((present, pin_retries_left))

    def alert(self, reason: FailureReason, message: str) -> None:
        self.alerts.append((reason, message))


def signer_with(pin: bytes | None, readers_of: Any, observer: RecordingObserver | None = None) -> PcscSigner:
    return PcscSigner(lambda: Pin(pin) if pin else None, readers=readers_of, observer=observer)


def fail(signer: PcscSigner) -> SignFailure:
    with pytest.raises(SignFailure) as excinfo:
        signer.sign(b"declaration")
    return excinfo.value


def test_signs_after_one_verify_per_session(reader: FakeReader, readers_of: Any) -> None:
    signer = signer_with(CARD_PIN, readers_of)
    first = signer.sign(b"one")
    second = signer.sign(b"two")
    assert verify(first.certificate.public_key, b"one", first.rs, first.user_id)
    assert verify(second.certificate.public_key, b"two", second.rs, second.user_id)
    verifies_with_data = [a for a in reader.apdus if a[:4] == bytes.fromhex("00200080") and len(a) > 4]
    assert len(verifies_with_data) == 1
    assert next(s for s in signer.status() if s.card_present).pin_verified


def test_wrong_pin_reports_retries_and_never_blocks_the_card(reader: FakeReader, readers_of: Any) -> None:
    observer = RecordingObserver()
    first = fail(signer_with(b"1111", readers_of, observer))
    assert (first.reason, first.retries_left) == (FailureReason.PIN_WRONG, 2)

    same_signer = signer_with(b"2222", readers_of, observer)
    assert (fail(same_signer).reason, reader.store.load_pin().retries_left) == (FailureReason.PIN_WRONG, 1)
    # The same rejected PIN is not tried again, and with one try left nothing is tried at all.
    again = fail(same_signer)
    assert (again.reason, again.retries_left) == (FailureReason.PIN_WRONG, 1)
    last = fail(signer_with(CARD_PIN, readers_of, observer))
    assert (last.reason, last.retries_left) == (FailureReason.PIN_LAST_TRY_REFUSED, 1)
    assert observer.alerts and observer.alerts[0][0] is FailureReason.PIN_LAST_TRY_REFUSED
    assert reader.store.load_pin().retries_left == 1


def test_blocked_card_gives_its_reason(reader: FakeReader, readers_of: Any) -> None:
    reader.store.set_retries(0)
    reader.remove()
    reader.insert()
    failure = fail(signer_with(CARD_PIN, readers_of))
    assert (failure.reason, failure.retries_left) == (FailureReason.PIN_BLOCKED, 0)
    status = signer_with(CARD_PIN, readers_of).status()[0]
    assert status.card_present and status.pin_blocked


def test_no_card_removed_card_and_missing_pin(reader: FakeReader, readers_of: Any) -> None:
    assert fail(signer_with(None, readers_of)).reason is FailureReason.PIN_MISSING
    signer = signer_with(CARD_PIN, readers_of)
    signer.sign(b"ok")
    reader.remove()
    assert fail(signer).reason is FailureReason.CARD_REMOVED
    assert fail(signer).reason is FailureReason.NO_CARD
    assert signer.status()[0].card_present is False
    reader.insert()
    assert signer.sign(b"back").device == "card"


def test_no_reader() -> None:
    signer = PcscSigner(lambda: Pin(CARD_PIN), readers=lambda: [])
    assert fail(signer).reason is FailureReason.NO_READER
    assert signer.status()[0].error == "no_reader"


def test_pin_bytes_only_travel_in_verify(reader: FakeReader, readers_of: Any) -> None:
    signer_with(CARD_PIN, readers_of).sign(b"x")
    carrying_pin = [a for a in reader.apdus if CARD_PIN in a]
    assert len(carrying_pin) == 1 and carrying_pin[0][:4] == bytes.fromhex("00200080")
