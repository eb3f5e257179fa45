"""Fakes for the unit tier: a signer with scripted outcomes, and a PC/SC reader holding the virtual card
in-process (the simulator's APDU interpreter without pcscd), so the PIN flow is tested APDU for APDU."""

from __future__ import annotations

import shutil
import threading
import time
from pathlib import Path
from typing import Any

import pytest
from smartcard.Exceptions import CardConnectionException, NoCardException

from guanwu.card_signer.adapters.soft import SoftSigner, create_soft_token
from guanwu.card_signer.domain import DEFAULT_USER_ID, CardStatus, Signature
from guanwu.smartcard_sim.card import VirtualCard
from guanwu.smartcard_sim.state import CardStore

CARD_PIN = b"246810"


class FakeSigner:
    """Wraps a real SoftSigner; records concurrency; can be made slow or made to fail."""

    device = "fake"

    def __init__(self, inner: SoftSigner) -> None:
        self.inner = inner
        self.delay_s = 0.0
        self.fail_with: Exception | None = None
        self.active = 0
        self.max_active = 0
        self.calls = 0
        self._lock = threading.Lock()

    def sign(self, message: bytes, user_id: bytes = DEFAULT_USER_ID) -> Signature:
        with self._lock:
            self.active += 1
            self.calls += 1
            self.max_active = max(self.max_active, self.active)
        try:
            if self.delay_s:
                time.sleep(self.delay_s)
            if self.fail_with is not None:
                raise self.fail_with
            return self.inner.sign(message, user_id)
        finally:
            with self._lock:
                self.active -= 1

    def status(self) -> list[CardStatus]:
        return self.inner.status()


class _Connection:
    def __init__(self, reader: FakeReader) -> None:
        self.reader = reader
        self.connected = False

    def connect(self) -> None:
        if not self.reader.inserted:
            raise NoCardException("Unable to connect", hresult=0x8010000C)
        self.connected = True

    def transmit(self, apdu: list[int]) -> tuple[list[int], int, int]:
        if not (self.connected and self.reader.inserted):
            raise CardConnectionException("Card was removed", hresult=0x80100069)
        self.reader.apdus.append(bytes(apdu))
        response = self.reader.card.transmit(bytes(apdu))
        return list(response[:-2]), response[-2], response[-1]

    def disconnect(self) -> None:
        self.connected = False

    def release(self) -> None:
        return None


class FakeReader:
    name = "GUANWU Virtual Card Reader 00 00"

    def __init__(self, store: CardStore) -> None:
        self.store = store
        self.card = VirtualCard(store)
        self.inserted = True
        self.apdus: list[bytes] = []

    def __str__(self) -> str:
        return self.name

    def createConnection(self) -> _Connection:
        return _Connection(self)

    def remove(self) -> None:
        self.inserted = False
        self.card.power_off()

    def insert(self) -> None:
        self.inserted = True
        self.card.power_on()


@pytest.fixture(scope="session")
def _card_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    if shutil.which("openssl") is None:
        pytest.skip("the OpenSSL CLI is needed to make the virtual card's certificate")
    folder = tmp_path_factory.mktemp("card-template")
    CardStore(folder).initialise(CARD_PIN)
    return folder


@pytest.fixture
def reader(_card_template: Path, tmp_path: Path) -> FakeReader:
    folder = tmp_path / "card"
    shutil.copytree(_card_template, folder)
    return FakeReader(CardStore(folder))


@pytest.fixture(scope="session")
def soft_token(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("soft") / "token.json"
    create_soft_token(path, b"correct horse battery", common_name="测试 操作员")
    return path


@pytest.fixture
def fake_signer(soft_token: Path) -> FakeSigner:
    return FakeSigner(SoftSigner(soft_token, b"correct horse battery"))


@pytest.fixture
def readers_of(reader: FakeReader) -> Any:
    return lambda: [reader]
