"""The card signer against real pcscd + vpcd + the virtual card process."""

from __future__ import annotations

import asyncio
import base64
import logging
import subprocess
from pathlib import Path

import pytest
from prometheus_client import generate_latest

from guanwu.card_signer.adapters.pcsc import PcscSigner
from guanwu.card_signer.domain import FailureReason, Pin, PinPolicy, Signature, SignFailure
from guanwu.card_signer.domain.sm2 import der_to_rs, verify
from guanwu.card_signer.metrics import PrometheusCardMetrics
from guanwu.card_signer.service_layer.card_queue import CardQueue
from guanwu.card_signer.service_layer.handlers import answer_to
from guanwu.card_signer.service_layer.owners import CardOwners
from guanwu.contracts.envelope import Envelope
from guanwu.contracts.events.signer import DeclarationSigned, SignFailed, SignRequested
from guanwu.platform.clock import utc_now

from .conftest import CARD_PIN, PCSCD_SH, READER, CardProcess, wait_until

MESSAGE = b"<Declaration><DecHead><SeqNo>201900000000012345</SeqNo></DecHead></Declaration>"


def pcsc_signer(pin: str | None = CARD_PIN, observer: PrometheusCardMetrics | None = None) -> PcscSigner:
    return PcscSigner(lambda: Pin(pin) if pin else None, reader_match=READER, observer=observer)


def openssl_verify(tmp_path: Path, signature: Signature, message: bytes) -> subprocess.CompletedProcess[str]:
    (tmp_path / "cert.der").write_bytes(signature.certificate.der)
    (tmp_path / "msg").write_bytes(message)
    (tmp_path / "sig.der").write_bytes(signature.der)
    pub = subprocess.run(
        ["openssl", "x509", "-inform", "DER", "-in", str(tmp_path / "cert.der"), "-pubkey", "-noout"],
        check=True, capture_output=True,
    ).stdout  # fmt: skip
    (tmp_path / "pub.pem").write_bytes(pub)
    return subprocess.run(
        ["openssl", "pkeyutl", "-verify", "-pubin", "-inkey", str(tmp_path / "pub.pem"), "-rawin",
         "-digest", "sm3", "-pkeyopt", f"distid:{signature.user_id.decode()}",
         "-in", str(tmp_path / "msg"), "-sigfile", str(tmp_path / "sig.der")],
        capture_output=True, text=True,
    )  # fmt: skip


def failure_of(signer: PcscSigner) -> SignFailure:
    with pytest.raises(SignFailure) as excinfo:
        signer.sign(MESSAGE)
    return excinfo.value


@pytest.mark.parametrize("user_id", [b"1234567812345678", b"OPERATOR-0042@GUANWU"])
def test_card_signature_verifies_with_openssl_and_python(
    card: CardProcess, tmp_path: Path, user_id: bytes
) -> None:
    signer = pcsc_signer()
    try:
        signature = signer.sign(MESSAGE, user_id)
    finally:
        signer.close()
    assert signature.device == "card" and len(signature.rs) == 64
    assert signature.certificate.der == (card.state_dir / "cert.der").read_bytes()
    assert verify(signature.certificate.public_key, MESSAGE, signature.rs, user_id)
    result = openssl_verify(tmp_path, signature, MESSAGE)
    assert result.returncode == 0 and "Signature Verified Successfully" in result.stdout, result.stderr
    assert openssl_verify(tmp_path, signature, MESSAGE + b"!").returncode != 0


def test_status_reports_the_card(card: CardProcess) -> None:
    signer = pcsc_signer()
    try:
        [status] = [s for s in signer.status() if s.reader == READER]
    finally:
        signer.close()
    assert status.card_present and status.pin_retries_left == 3 and not status.pin_blocked
    assert status.certificate is not None and "GUANWU VIRTUAL TEST CARD" in status.certificate.subject
    assert status.certificate.serial_hex and status.certificate.not_before < status.certificate.not_after


def test_wrong_pin_never_blocks_the_card_and_a_blocked_card_says_so(card: CardProcess) -> None:
    first = pcsc_signer("000000")
    failure = failure_of(first)
    assert (failure.reason, failure.retries_left, card.retries_left()) == (FailureReason.PIN_WRONG, 2, 2)
    again = failure_of(first)  # the same rejected PIN is not tried again
    assert (again.reason, again.retries_left, card.retries_left()) == (FailureReason.PIN_WRONG, 2, 2)
    first.close()

    second = pcsc_signer("111111")
    failure = failure_of(second)
    assert (failure.reason, failure.retries_left, card.retries_left()) == (FailureReason.PIN_WRONG, 1, 1)
    second.close()

    for pin in ("222222", CARD_PIN):  # one try left: guanwu tries nothing, not even the right PIN
        refusing = pcsc_signer(pin)
        failure = failure_of(refusing)
        refusing.close()
        assert (failure.reason, failure.retries_left) == (FailureReason.PIN_LAST_TRY_REFUSED, 1)
    assert card.retries_left() == 1

    card.set_retries(0)  # blocked by some other tool
    blocked = pcsc_signer()
    failure = failure_of(blocked)
    assert (failure.reason, failure.retries_left) == (FailureReason.PIN_BLOCKED, 0)
    assert next(s for s in blocked.status() if s.reader == READER).pin_blocked
    blocked.close()

    card.set_retries(3)  # the issuer unblocks it
    signer = pcsc_signer()
    assert signer.sign(MESSAGE).device == "card"
    signer.close()


def test_policy_with_a_lower_threshold_still_reports_retries(card: CardProcess) -> None:
    signer = PcscSigner(lambda: Pin("999999"), reader_match=READER, policy=PinPolicy(min_retries_to_try=3))
    failure = failure_of(signer)
    signer.close()
    assert (failure.reason, failure.retries_left, card.retries_left()) == (FailureReason.PIN_WRONG, 2, 2)


async def test_card_removed_during_a_burst_of_100(slow_card: CardProcess) -> None:
    signer = pcsc_signer()
    queue = CardQueue(signer, max_pending=200, timeout_s=60)
    await queue.start()
    results: list[Signature | BaseException] = []
    try:
        tasks = [asyncio.ensure_future(queue.sign(MESSAGE + str(i).encode())) for i in range(100)]
        for task in tasks:
            task.add_done_callback(lambda t: results.append(t.exception() or t.result()))
        while len(results) < 10:
            await asyncio.sleep(0.005)
        await asyncio.to_thread(slow_card.remove)
        removed_at = len(results)
        await asyncio.to_thread(slow_card.insert)
        everything = asyncio.gather(*tasks, return_exceptions=True)
        finished, moved_at = len(results), asyncio.get_running_loop().time()
        while not everything.done():  # while signatures still come; a quiet minute means the queue is stuck
            await asyncio.wait([everything], timeout=1)
            if len(results) != finished:
                finished, moved_at = len(results), asyncio.get_running_loop().time()
            assert asyncio.get_running_loop().time() - moved_at < 60, f"stuck after {finished} of 100"
        outcomes = everything.result()
    finally:
        await queue.stop()
        signer.close()
    failures = [o for o in outcomes if isinstance(o, BaseException)]
    signatures = [o for o in outcomes if isinstance(o, Signature)]
    print(f"burst: {len(signatures)} signed, {len(failures)} failed, card pulled after {removed_at}")
    assert len(failures) + len(signatures) == 100
    # Requests in flight when the card left fail cleanly, with a reason; the others wait and go through.
    assert all(isinstance(f, SignFailure) and f.reason is FailureReason.CARD_REMOVED for f in failures), (
        failures
    )
    assert len(failures) <= 2
    assert len(signatures) >= 98 and removed_at < 100
    for index, outcome in enumerate(outcomes):
        if isinstance(outcome, Signature):
            message = MESSAGE + str(index).encode()
            assert verify(outcome.certificate.public_key, message, outcome.rs, outcome.user_id)


def sign_request(i: int) -> Envelope:
    payload = SignRequested(
        request_id=f"r{i}", declaration_id=f"d{i}", content_b64=base64.b64encode(MESSAGE).decode()
    )
    return Envelope(
        source="/guanwu/declaration", type=payload.event_type, subject=f"d{i}", tenant="t1",
        correlationid=f"c{i}", data=payload.model_dump(mode="json"),
    )  # fmt: skip


async def answer_twice_then_pull_the_card(
    card: CardProcess, pin: str, metrics: PrometheusCardMetrics, published: list[tuple[str, Envelope]]
) -> list[str]:
    """Two sign requests answered with `pin`, the card's state read, then a signature with the card out;
    returns every text the failures and states showed (the PIN must be in none of them)."""
    errors: list[str] = []
    owners = CardOwners(["t1"], recorder=metrics)
    signer = pcsc_signer(pin, observer=metrics)
    queue = CardQueue(signer, recorder=metrics)
    await queue.start()
    try:
        for _ in range(2):
            published.append(
                await answer_to(sign_request(len(published)), queue=queue, owners=owners, clock=utc_now)
            )
        errors += [repr(status) for status in await queue.status()]
        await asyncio.to_thread(card.remove)
        try:
            await queue.sign(MESSAGE, timeout_s=0.5)
        except SignFailure as failure:
            errors += [str(failure), repr(failure), failure.detail]
        await asyncio.to_thread(card.insert)
    finally:
        await queue.stop()
        signer.close()
    return errors


def assert_no_pin_in(texts: dict[str, str]) -> None:
    pin_forms = {CARD_PIN, CARD_PIN.encode().hex(), CARD_PIN.encode().hex().upper(), " ".join(CARD_PIN)}
    pin_forms |= {" ".join(f"{b:02X}" for b in CARD_PIN.encode()), str(list(CARD_PIN.encode()))[1:-1]}
    for where, text in texts.items():
        for form in pin_forms:
            assert form not in text, f"the PIN appears in the {where}"


async def test_consumer_round_trip_and_no_pin_anywhere(
    card: CardProcess, pcscd: Path, caplog: pytest.LogCaptureFixture, tmp_path: Path
) -> None:
    caplog.set_level(logging.DEBUG)
    metrics = PrometheusCardMetrics()
    published: list[tuple[str, Envelope]] = []
    errors: list[str] = []
    for pin in ("000000", CARD_PIN):  # a wrong PIN first, then the right one
        errors += await answer_twice_then_pull_the_card(card, pin, metrics, published)

    failed = [SignFailed.model_validate(e.data) for _, e in published if e.type == SignFailed.event_type]
    signed = [
        DeclarationSigned.model_validate(e.data)
        for _, e in published
        if e.type == DeclarationSigned.event_type
    ]
    assert [f.reason for f in failed] == ["pin_wrong", "pin_wrong"] and failed[0].retries_left == 2
    assert len(signed) == 2
    cert_public_key = (await asyncio.to_thread(lambda: pcsc_signer().status()))[0].certificate
    assert cert_public_key is not None
    for event in signed:
        rs = der_to_rs(base64.b64decode(event.signature_b64))
        assert verify(cert_public_key.public_key, MESSAGE, rs, event.user_id.encode())

    texts = {
        "captured logs": caplog.text,
        "card log": _read(card.log_path),
        "pcscd log": _read(pcscd),
        "events": "\n".join(e.model_dump_json() for _, e in published),
        "errors": "\n".join(errors),
        "metrics": generate_latest().decode(),
    }
    assert_no_pin_in(texts)
    assert "guanwu_card_signer_signatures_total" in texts["metrics"]


def test_card_comes_back_after_pcscd_restarts(card: CardProcess) -> None:
    signer = pcsc_signer()
    assert signer.sign(MESSAGE).device == "card"
    for action in ("down", "up"):
        done = subprocess.run([str(PCSCD_SH), action], capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, done.stderr
    wait_until(lambda: _signs(signer), timeout_s=30, what="a signature after pcscd restarted")
    signer.close()


def _read(path: Path) -> str:
    return path.read_text(errors="replace") if path.exists() else ""


def _signs(signer: PcscSigner) -> bool:
    try:
        return signer.sign(MESSAGE).device == "card"
    except SignFailure:
        return False
