"""Real PC/SC: Debian's pcscd with the vpcd driver (started by deploy/local/pcscd.sh) and the virtual card
process (python -m guanwu.smartcard_sim). Skipped only when pcscd cannot be installed, and then failed
instead when GUANWU_REQUIRE_INTEGRATION=1."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[4]
PCSCD_SH = REPO / "deploy" / "local" / "pcscd.sh"
PORT = int(os.environ.get("GUANWU_VPCD_PORT", "35963"))
READER = "GUANWU Virtual Card Reader 00 00"  # slot 0 of the vpcd reader = the card on PORT
CARD_PIN = "837261"  # distinctive, so the log scan cannot match by accident


def _unavailable(message: str) -> None:
    if os.environ.get("GUANWU_REQUIRE_INTEGRATION") == "1":
        pytest.fail(f"{message} but GUANWU_REQUIRE_INTEGRATION=1")
    pytest.skip(message)


@pytest.fixture(scope="session")
def pcscd() -> Iterator[Path]:
    """pcscd up for the session; stopped afterwards if this fixture started it. Yields its log file."""
    was_running = subprocess.run([str(PCSCD_SH), "status"], capture_output=True).returncode == 0
    up = subprocess.run([str(PCSCD_SH), "up"], capture_output=True, text=True, timeout=900)
    if up.returncode == 2:  # the script's code for "packages missing and cannot be installed"
        _unavailable(f"pcscd cannot be installed: {up.stderr.strip()}")
    assert up.returncode == 0, f"deploy/local/pcscd.sh up failed:\n{up.stdout}\n{up.stderr}"
    try:
        import smartcard  # noqa: F401  (pyscard builds against libpcsclite-dev)
    except ImportError as exc:
        _unavailable(f"pyscard is not importable ({exc}): run `uv sync` after `deploy/local/pcscd.sh up`")
    yield REPO / ".local" / "pcscd.log"
    if not was_running:
        subprocess.run([str(PCSCD_SH), "down"], capture_output=True, timeout=60)


def card_present(reader: str = READER) -> bool:
    """Ask pcscd for the reader state without connecting (a connection could power-cycle the card)."""
    from smartcard import scard

    hresult, context = scard.SCardEstablishContext(scard.SCARD_SCOPE_USER)
    if hresult != scard.SCARD_S_SUCCESS:
        return False
    try:
        hresult, states = scard.SCardGetStatusChange(context, 0, [(reader, scard.SCARD_STATE_UNAWARE)])
        if hresult != scard.SCARD_S_SUCCESS:
            return False
        return bool(states[0][1] & scard.SCARD_STATE_PRESENT) and not bool(
            states[0][1] & scard.SCARD_STATE_MUTE
        )
    finally:
        scard.SCardReleaseContext(context)


def wait_until(condition: object, timeout_s: float = 20.0, what: str = "condition") -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if condition():  # type: ignore[operator]
            return
        time.sleep(0.05)
    raise AssertionError(f"timed out after {timeout_s} s waiting for {what}")


class CardProcess:
    """The virtual card as a separate process, pulled out and put back with signals."""

    def __init__(self, state_dir: Path, log_path: Path, sign_delay_ms: float = 0) -> None:
        self.state_dir = state_dir
        self.log_path = log_path
        self.sign_delay_ms = sign_delay_ms
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        log = self.log_path.open("ab")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "guanwu.smartcard_sim", "--port", str(PORT), "--state-dir", str(self.state_dir),
             "--sign-delay-ms", str(self.sign_delay_ms), "-v"],
            stdout=log, stderr=subprocess.STDOUT,
        )  # fmt: skip
        log.close()
        wait_until(card_present, what="the virtual card in the reader")

    def remove(self) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGUSR1)
        wait_until(lambda: not card_present(), what="the card out of the reader")

    def insert(self) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGUSR2)
        wait_until(card_present, what="the card back in the reader")

    def set_retries(self, retries: int) -> None:
        """An issuer's reset (or a block) of the PIN counter; the card reads it at its next power-on."""
        from guanwu.smartcard_sim.state import CardStore

        self.remove()
        CardStore(self.state_dir).set_retries(retries)
        self.insert()

    def retries_left(self) -> int:
        from guanwu.smartcard_sim.state import CardStore

        return CardStore(self.state_dir).load_pin().retries_left

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
        wait_until(lambda: not card_present(), what="the card process gone")


@pytest.fixture(scope="session")
def card_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from guanwu.smartcard_sim.state import CardStore

    if shutil.which("openssl") is None:
        _unavailable("the OpenSSL CLI is missing (apt-get install openssl)")
    folder = tmp_path_factory.mktemp("card-template")
    CardStore(folder).initialise(CARD_PIN.encode())
    return folder


def _card(pcscd: Path, card_template: Path, tmp_path: Path, sign_delay_ms: float) -> Iterator[CardProcess]:
    state = tmp_path / "card"
    shutil.copytree(card_template, state)
    process = CardProcess(state, tmp_path / "card.log", sign_delay_ms)
    process.start()
    try:
        yield process
    finally:
        process.stop()


@pytest.fixture
def card(pcscd: Path, card_template: Path, tmp_path: Path) -> Iterator[CardProcess]:
    yield from _card(pcscd, card_template, tmp_path, 0)


@pytest.fixture
def slow_card(pcscd: Path, card_template: Path, tmp_path: Path) -> Iterator[CardProcess]:
    """A card that takes 20 ms per signature, like a real one, so a removal hits an operation in flight."""
    yield from _card(pcscd, card_template, tmp_path, 20)
