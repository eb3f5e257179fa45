"""The card's APDU interpreter (no I/O but its state folder). APDU set: docs/card-signer.md.

Choices: the host sends the 32-byte digest e = SM3(Z || M) and the card signs it, as GM/T 0016-style cards
do (no message chaining, the user ID stays a host concern); the PIN status survives until power-off, reset or
a new SELECT, so a signer verifies once per session and then only sends PSO commands.
"""

from __future__ import annotations

import time

from gmalglib.sm2 import SM2

from guanwu.smartcard_sim.state import CardStore, PinState

AID = bytes.fromhex("F0 47 55 41 4E 57 55 01")  # F0 "GUANWU" 01

SW_OK = b"\x90\x00"
SW_EOF = b"\x62\x82"
SW_WRONG_LENGTH = b"\x67\x00"
SW_SECURITY_NOT_SATISFIED = b"\x69\x82"
SW_PIN_BLOCKED = b"\x69\x83"
SW_CONDITIONS_NOT_SATISFIED = b"\x69\x85"
SW_FILE_NOT_FOUND = b"\x6a\x82"
SW_WRONG_P1P2 = b"\x6a\x86"
SW_OFFSET_OUT_OF_RANGE = b"\x6b\x00"
SW_INS_NOT_SUPPORTED = b"\x6d\x00"
SW_CLA_NOT_SUPPORTED = b"\x6e\x00"

INS_SELECT = 0xA4
INS_VERIFY = 0x20
INS_READ_BINARY = 0xB0
INS_PSO = 0x2A


def _build_atr() -> bytes:
    # TS=3B, T0=8A (TD1 present, 10 historical bytes), TD1=80 (TD2 present, T=0), TD2=01 (T=1), history, TCK.
    body = bytes([0x8A, 0x80, 0x01]) + b"GUANWU-VSC"
    tck = 0
    for byte in body:
        tck ^= byte
    return b"\x3b" + body + bytes([tck])


ATR = _build_atr()


def _retries_sw(retries_left: int) -> bytes:
    return bytes([0x63, 0xC0 | min(retries_left, 15)])


class VirtualCard:
    """One card. `transmit` takes a short C-APDU and returns the R-APDU (data || SW1 SW2)."""

    def __init__(self, store: CardStore, sign_delay_s: float = 0.0) -> None:
        self._store = store
        self._sign_delay_s = (
            sign_delay_s  # a real card takes 50-300 ms per signature; tests may slow this one
        )
        self._certificate = store.certificate()
        self._signer = SM2(sk=store.private_key())
        self._pin: PinState = store.load_pin()
        self._selected = False
        self._verified = False

    def power_on(self) -> None:
        # Re-read the PIN counter at each power-on: an issuer (or a test) may have reset it meanwhile.
        self._pin = self._store.load_pin()
        self._selected = False
        self._verified = False

    def power_off(self) -> None:
        self._selected = False
        self._verified = False

    def transmit(self, apdu: bytes) -> bytes:
        if len(apdu) < 4:
            return SW_WRONG_LENGTH
        cla, ins, p1, p2 = apdu[0], apdu[1], apdu[2], apdu[3]
        data, le = b"", None
        if len(apdu) == 5:
            le = apdu[4] or 256
        elif len(apdu) > 5:
            lc = apdu[4]
            if lc == 0 or len(apdu) not in (5 + lc, 6 + lc):  # extended length is not supported
                return SW_WRONG_LENGTH
            data = apdu[5 : 5 + lc]
            if len(apdu) == 6 + lc:
                le = apdu[-1] or 256
        if cla != 0x00:
            return SW_CLA_NOT_SUPPORTED
        if ins == INS_SELECT:
            return self._select(p1, data)
        if not self._selected:
            return SW_CONDITIONS_NOT_SATISFIED
        if ins == INS_VERIFY:
            return self._verify(p1, p2, data)
        if ins == INS_READ_BINARY:
            return self._read_binary(p1, p2, le)
        if ins == INS_PSO:
            return self._sign(p1, p2, data)
        return SW_INS_NOT_SUPPORTED

    def _select(self, p1: int, aid: bytes) -> bytes:
        if p1 != 0x04 or aid != AID:
            self._selected = False
            return SW_FILE_NOT_FOUND
        self._selected = True
        self._verified = False
        size = len(self._certificate).to_bytes(2, "big")
        fci_body = b"\x84" + bytes([len(AID)]) + AID + b"\x80\x02" + size
        return b"\x6f" + bytes([len(fci_body)]) + fci_body + SW_OK

    def _verify(self, p1: int, p2: int, pin: bytes) -> bytes:
        if (p1, p2) != (0x00, 0x80):
            return SW_WRONG_P1P2
        if self._pin.retries_left == 0:
            return SW_PIN_BLOCKED
        if not pin:  # status query: no try is spent
            return SW_OK if self._verified else _retries_sw(self._pin.retries_left)
        if self._pin.matches(pin):
            self._verified = True
            if self._pin.retries_left != self._pin.max_retries:
                self._pin.retries_left = self._pin.max_retries
                self._store.save_pin(self._pin)
            return SW_OK
        self._verified = False
        self._pin.retries_left -= 1
        self._store.save_pin(self._pin)
        return SW_PIN_BLOCKED if self._pin.retries_left == 0 else _retries_sw(self._pin.retries_left)

    def _read_binary(self, p1: int, p2: int, le: int | None) -> bytes:
        if le is None or p1 & 0x80:
            return SW_WRONG_P1P2 if p1 & 0x80 else SW_WRONG_LENGTH
        offset = (p1 << 8) | p2
        if offset > len(self._certificate):
            return SW_OFFSET_OUT_OF_RANGE
        chunk = self._certificate[offset : offset + le]
        return chunk + (SW_OK if len(chunk) == le else SW_EOF)

    def _sign(self, p1: int, p2: int, digest: bytes) -> bytes:
        if (p1, p2) != (0x9E, 0x9A):
            return SW_WRONG_P1P2
        if not self._verified:
            return SW_SECURITY_NOT_SATISFIED
        if len(digest) != 32:
            return SW_WRONG_LENGTH
        if self._sign_delay_s:
            time.sleep(self._sign_delay_s)
        return bytes(self._signer.sign_digest(digest)) + SW_OK
