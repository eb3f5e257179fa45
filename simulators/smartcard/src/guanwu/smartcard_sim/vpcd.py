"""The vpcd protocol, card side: the card is a TCP client of vpcd (the reader driver inside pcscd).

Every message is a 2-byte big-endian length then the payload. A 1-byte payload is control (00 power off,
01 power on, 02 reset, 04 get ATR: answered with the ATR); a longer one is a C-APDU, answered with the R-APDU.
A connected card is an inserted card: "remove" closes the socket, "insert" connects again.
"""

from __future__ import annotations

import contextlib
import logging
import socket
import time
from collections.abc import Callable

from guanwu.smartcard_sim.card import ATR, VirtualCard

log = logging.getLogger("guanwu.smartcard_sim")

CTRL_POWER_OFF = 0x00
CTRL_POWER_ON = 0x01
CTRL_RESET = 0x02
CTRL_GET_ATR = 0x04


def _recv_exact(sock: socket.socket, size: int) -> bytes | None:
    buf = bytearray()
    while len(buf) < size:
        try:
            chunk = sock.recv(size - len(buf))
        except OSError:
            return None
        if not chunk:
            return None
        buf += chunk
    return bytes(buf)


def _quickack(sock: socket.socket) -> None:
    # Debian's vpcd writes the length and the payload in two writes: without QUICKACK every APDU waits for
    # the delayed ACK (~40 ms). Linux clears the flag again after a while, hence setting it per message.
    quickack = getattr(socket, "TCP_QUICKACK", None)
    if quickack is not None:
        with contextlib.suppress(OSError):
            sock.setsockopt(socket.IPPROTO_TCP, quickack, 1)


class VpcdLink:
    """Keeps a card connected to vpcd: reconnects when vpcd restarts, unless the card is 'removed'."""

    def __init__(self, card: VirtualCard, host: str, port: int, min_out_s: float = 1.0) -> None:
        self.card = card
        # pcscd polls the reader every ~0.4 s: a card back before pcscd noticed it leave is never powered up
        # again (the reader stays "empty"), so a removed card stays out for a few polls, as a hand would.
        self.min_out_s = min_out_s
        self._out_since = 0.0
        self.host = host
        self.port = port
        self.inserted = True
        self.stopping = False
        self._sock: socket.socket | None = None

    def remove(self) -> None:
        self.inserted = False
        self._drop()

    def insert(self) -> None:
        self.inserted = True

    def stop(self) -> None:
        self.stopping = True
        self._drop()

    def _drop(self) -> None:
        sock = self._sock
        if sock is not None:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)

    def run(self, sleep: Callable[[float], None] = time.sleep) -> None:
        backoff = 0.05
        while not self.stopping:
            if not self.inserted or time.monotonic() - self._out_since < self.min_out_s:
                sleep(0.05)
                continue
            try:
                sock = socket.create_connection((self.host, self.port), timeout=2.0)
            except OSError as exc:
                log.debug("vpcd %s:%s not reachable (%s); retrying", self.host, self.port, exc)
                sleep(backoff)
                backoff = min(backoff * 2, 1.0)
                continue
            backoff = 0.05
            sock.settimeout(None)
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            self._sock = sock
            log.info("card inserted (connected to vpcd %s:%s)", self.host, self.port)
            try:
                if self.inserted and not self.stopping:
                    self._serve(sock)
            finally:
                self._sock = None
                self._out_since = time.monotonic()
                sock.close()
                self.card.power_off()
                log.info("card out of the reader (%s)", "removed" if not self.inserted else "link lost")

    def _serve(self, sock: socket.socket) -> None:
        while True:
            header = _recv_exact(sock, 2)
            if header is None:
                return
            _quickack(sock)
            payload = _recv_exact(sock, int.from_bytes(header, "big"))
            if payload is None:
                return
            _quickack(sock)
            if len(payload) == 1:
                reply = self._control(payload[0])
                if reply is None:
                    continue
            else:
                reply = self.card.transmit(payload)
            try:
                sock.sendall(len(reply).to_bytes(2, "big") + reply)
            except OSError:
                return

    def _control(self, code: int) -> bytes | None:
        log.debug("vpcd control %02x", code)  # control codes only: APDUs may carry the PIN, never log them
        if code == CTRL_GET_ATR:
            return ATR
        if code in (CTRL_POWER_ON, CTRL_RESET):
            self.card.power_on()
        elif code == CTRL_POWER_OFF:
            self.card.power_off()
        return None
