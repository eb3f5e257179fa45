from __future__ import annotations

import shutil
import socket
import threading
from pathlib import Path

import gmalglib
import pytest

from guanwu.smartcard_sim.card import AID, ATR, VirtualCard
from guanwu.smartcard_sim.state import CardStore
from guanwu.smartcard_sim.vpcd import VpcdLink

PIN = b"1357"


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    if shutil.which("openssl") is None:
        pytest.skip("the OpenSSL CLI makes the card's certificate")
    folder = tmp_path_factory.mktemp("card")
    CardStore(folder).initialise(PIN, max_retries=3)
    return folder


@pytest.fixture
def card(template: Path, tmp_path: Path) -> VirtualCard:
    shutil.copytree(template, tmp_path / "card")
    return VirtualCard(CardStore(tmp_path / "card"))


def select(card: VirtualCard) -> bytes:
    return card.transmit(bytes.fromhex("00A40400") + bytes([len(AID)]) + AID + b"\x00")


def verify(card: VirtualCard, pin: bytes = b"") -> bytes:
    return card.transmit(bytes.fromhex("00200080") + (bytes([len(pin)]) + pin if pin else b""))


def test_atr_has_a_valid_check_byte() -> None:
    check = 0
    for byte in ATR[1:]:
        check ^= byte
    assert ATR[0] == 0x3B and check == 0


def test_nothing_works_before_select(card: VirtualCard) -> None:
    assert verify(card, PIN) == b"\x69\x85"
    assert card.transmit(bytes.fromhex("00A4040002A0A0")) == b"\x6a\x82"
    assert select(card)[-2:] == b"\x90\x00"


def test_pin_counter_blocks_and_persists(card: VirtualCard, tmp_path: Path) -> None:
    select(card)
    assert verify(card) == b"\x63\xc3"
    assert verify(card, b"0000") == b"\x63\xc2"
    assert verify(card, b"0000") == b"\x63\xc1"
    assert verify(card, b"0000") == b"\x69\x83"
    assert verify(card, PIN) == b"\x69\x83"
    assert CardStore(tmp_path / "card").load_pin().retries_left == 0


def test_right_pin_resets_the_counter(card: VirtualCard, tmp_path: Path) -> None:
    select(card)
    verify(card, b"0000")
    assert verify(card, PIN) == b"\x90\x00" and verify(card) == b"\x90\x00"
    assert CardStore(tmp_path / "card").load_pin().retries_left == 3


def test_read_certificate_in_chunks(card: VirtualCard, tmp_path: Path) -> None:
    select(card)
    content, offset = b"", 0
    while True:
        response = card.transmit(bytes([0, 0xB0, offset >> 8, offset & 0xFF, 0]))
        content, offset = content + response[:-2], offset + len(response) - 2
        if response[-2:] == b"\x62\x82":
            break
        assert response[-2:] == b"\x90\x00"
    assert content == (tmp_path / "card" / "cert.der").read_bytes()


def test_sign_needs_the_pin_and_signs_the_digest(card: VirtualCard, tmp_path: Path) -> None:
    select(card)
    digest = bytes(range(32))
    pso = bytes.fromhex("002A9E9A20") + digest + b"\x00"
    assert card.transmit(pso) == b"\x69\x82"
    verify(card, PIN)
    response = card.transmit(pso)
    assert response[-2:] == b"\x90\x00" and len(response) == 66
    public_key = bytes(gmalglib.sm2_get_pk(CardStore(tmp_path / "card").private_key()))
    assert gmalglib.sm2.SM2(pk=public_key).verify_digest(digest, response[:64])
    assert card.transmit(bytes.fromhex("002A9E9A10") + digest[:16]) == b"\x67\x00"
    card.power_off()
    select(card)
    assert card.transmit(pso) == b"\x69\x82"  # the PIN session ended with the power


def test_vpcd_link_speaks_the_protocol(card: VirtualCard) -> None:
    server = socket.create_server(("127.0.0.1", 0))
    link = VpcdLink(card, "127.0.0.1", server.getsockname()[1])
    thread = threading.Thread(target=link.run, daemon=True)
    thread.start()
    conn, _ = server.accept()
    conn.settimeout(10)

    def exchange(payload: bytes) -> bytes:
        conn.sendall(len(payload).to_bytes(2, "big") + payload)
        size = int.from_bytes(conn.recv(2), "big")
        return conn.recv(size)

    assert exchange(b"\x04") == ATR
    conn.sendall(b"\x00\x01\x01")  # power on: no answer
    assert exchange(bytes.fromhex("00A40400") + bytes([len(AID)]) + AID)[-2:] == b"\x90\x00"
    link.stop()
    thread.join(timeout=10)
    conn.close()
    server.close()
    assert not thread.is_alive()
