"""PcscSigner: the operator's IC card through PC/SC (pyscard), with the APDU set of docs/card-signer.md.

Not thread-safe by design: the service layer's card queue calls it from one worker thread, one operation at
a time. The PIN is fetched from its secret only when the card asks for it, sent in one VERIFY APDU and never
logged; pyscard's own APDU observers are not attached.
"""

from __future__ import annotations

import contextlib
import hmac
import logging
import os
import time
from collections.abc import Callable
from typing import Any

from smartcard.Exceptions import CardConnectionException, NoCardException, SmartcardException
from smartcard.System import readers as list_readers

from guanwu.card_signer.adapters.x509 import certificate_info
from guanwu.card_signer.domain import (
    DEFAULT_USER_ID,
    CardObserver,
    CardStatus,
    CertificateInfo,
    FailureReason,
    NullObserver,
    Pin,
    PinDecision,
    PinPolicy,
    Signature,
    SignFailure,
)
from guanwu.card_signer.domain.sm2 import signing_digest, sm3

log = logging.getLogger("guanwu.card_signer.pcsc")

GUANWU_AID = bytes.fromhex("F0 47 55 41 4E 57 55 01")
_SELECT = bytes.fromhex("00 A4 04 00")
_VERIFY = bytes.fromhex("00 20 00 80")
_PSO_CDS = bytes.fromhex("00 2A 9E 9A")
SW_OK = 0x9000
SW_EOF = 0x6282
SW_SECURITY_NOT_SATISFIED = 0x6982
SW_PIN_BLOCKED = 0x6983


def _release(connection: Any) -> None:
    # Release the PC/SC context now; when pcscd restarted meanwhile the context is already gone, and pyscard
    # would raise again from __del__ unless it forgets the handle.
    inner = getattr(connection, "component", connection)  # createConnection() returns a decorator
    try:
        getattr(inner, "release", lambda: None)()
    except SmartcardException:
        if hasattr(inner, "hcontext"):
            inner.hcontext = None


def _retries(sw: int) -> int | None:
    return sw & 0x0F if sw & 0xFFF0 == 0x63C0 else None


class PcscSigner:
    device = "card"

    def __init__(
        self,
        pin_source: Callable[[], Pin | None],
        reader_match: str = "",
        policy: PinPolicy | None = None,
        observer: CardObserver | None = None,
        connect_timeout_s: float = 2.0,
        readers: Callable[[], list[Any]] = list_readers,
    ) -> None:
        self._readers = readers
        self._pin_source = pin_source
        self._reader_match = reader_match
        self._policy = policy or PinPolicy()
        self._observer = observer or NullObserver()
        self._connect_timeout_s = connect_timeout_s
        self._connection: Any = None
        self._reader_name: str | None = None
        self._certificate: CertificateInfo | None = None
        # A PIN the card rejected is remembered only as a keyed fingerprint (key lives in this process).
        self._fingerprint_key = os.urandom(32)
        self._rejected_pin: bytes | None = None

    # -- the port -------------------------------------------------------------------------------------
    def sign(self, message: bytes, user_id: bytes = DEFAULT_USER_ID) -> Signature:
        certificate = self._ensure_connected()
        digest = signing_digest(certificate.public_key, user_id, message)
        data, sw = self._transmit(_PSO_CDS + bytes([len(digest)]) + digest + b"\x00")
        if sw == SW_SECURITY_NOT_SATISFIED:
            self._log_in()
            data, sw = self._transmit(_PSO_CDS + bytes([len(digest)]) + digest + b"\x00")
        if sw != SW_OK or len(data) != 64:
            raise SignFailure(FailureReason.CARD_ERROR, f"PSO: COMPUTE DIGITAL SIGNATURE answered {sw:04X}")
        return Signature(
            rs=data, certificate=certificate, user_id=user_id, message_sm3=sm3(message), device=self.device
        )

    def status(self) -> list[CardStatus]:
        try:
            names = self._reader_names()
        except SignFailure as failure:
            return [CardStatus(reader="", card_present=False, error=failure.reason.value)]
        statuses = []
        for name in names:
            if self._reader_name not in (None, name):
                statuses.append(CardStatus(reader=name, card_present=False, error="not the signing reader"))
                continue
            try:
                certificate = self._ensure_connected(name)
                _, sw = self._transmit(_VERIFY)
            except SignFailure as failure:
                present = failure.reason not in (FailureReason.NO_CARD, FailureReason.CARD_REMOVED)
                statuses.append(CardStatus(reader=name, card_present=present, error=failure.reason.value))
                continue
            retries = _retries(sw)
            self._observer.card_seen(True, retries)
            statuses.append(
                CardStatus(
                    reader=name,
                    card_present=True,
                    certificate=certificate,
                    pin_retries_left=retries,
                    pin_blocked=sw == SW_PIN_BLOCKED,
                    pin_verified=sw == SW_OK,
                )
            )
        return statuses

    def close(self) -> None:
        self._drop()

    # -- connection -----------------------------------------------------------------------------------
    def _reader_names(self) -> list[str]:
        try:
            names = [str(reader) for reader in self._readers()]
        except SmartcardException as exc:
            raise SignFailure(FailureReason.NO_READER, f"PC/SC service not available ({exc})") from None
        matching = [name for name in names if self._reader_match in name]
        if not matching:
            raise SignFailure(FailureReason.NO_READER, f"no reader matching {self._reader_match!r}")
        return matching

    def _ensure_connected(self, reader_name: str | None = None) -> CertificateInfo:
        if self._connection is not None and self._certificate is not None:
            return self._certificate
        name = reader_name or self._reader_names()[0]
        reader = next((r for r in self._readers() if str(r) == name), None)
        if reader is None:
            raise SignFailure(FailureReason.NO_READER, f"reader {name!r} went away")
        connection = reader.createConnection()
        deadline = time.monotonic() + self._connect_timeout_s
        while True:
            try:
                connection.connect()
                break
            except NoCardException:
                _release(connection)
                self._observer.card_seen(False, None)
                raise SignFailure(FailureReason.NO_CARD, f"no card in {name!r}") from None
            except CardConnectionException as exc:
                # pcscd notices a new card at its next poll: "unpowered" for a short while after insertion.
                if time.monotonic() >= deadline:
                    _release(connection)
                    raise SignFailure(FailureReason.NO_CARD, f"card in {name!r} not usable: {exc}") from None
                time.sleep(0.05)
        self._connection, self._reader_name = connection, name
        try:
            _, sw = self._transmit(_SELECT + bytes([len(GUANWU_AID)]) + GUANWU_AID + b"\x00")
            if sw != SW_OK:
                raise SignFailure(
                    FailureReason.CARD_ERROR, f"SELECT of the signing application answered {sw:04X}"
                )
            self._certificate = certificate_info(self._read_certificate())
        except SignFailure:
            self._drop()
            raise
        except ValueError as exc:
            self._drop()
            raise SignFailure(
                FailureReason.CARD_ERROR, f"unreadable certificate on the card: {exc}"
            ) from None
        log.info(
            "card connected in %r: %s serial %s",
            name,
            self._certificate.subject,
            self._certificate.serial_hex,
        )
        return self._certificate

    def _read_certificate(self) -> bytes:
        content = b""
        while True:
            offset = len(content)
            data, sw = self._transmit(bytes([0x00, 0xB0, offset >> 8, offset & 0xFF, 0x00]))
            content += data
            if sw == SW_EOF or (sw == SW_OK and not data):
                return content
            if sw != SW_OK:
                if sw == 0x6B00:  # offset exactly at the end of a file whose size is a multiple of 256
                    return content
                raise SignFailure(FailureReason.CARD_ERROR, f"READ BINARY answered {sw:04X}")

    def _transmit(self, apdu: bytes) -> tuple[bytes, int]:
        connection = self._connection
        if connection is None:
            raise SignFailure(FailureReason.CARD_REMOVED, "card not connected")
        try:
            data, sw1, sw2 = connection.transmit(list(apdu))
        except SmartcardException as exc:
            # The exception text carries the PC/SC error only, never the APDU: safe to pass on.
            self._drop()
            self._observer.card_seen(False, None)
            raise SignFailure(FailureReason.CARD_REMOVED, f"card removed or link lost ({exc})") from None
        return bytes(data), (sw1 << 8) | sw2

    def _drop(self) -> None:
        connection, self._connection, self._certificate = self._connection, None, None
        if connection is not None:
            with contextlib.suppress(SmartcardException):
                connection.disconnect()
            _release(connection)

    # -- PIN ------------------------------------------------------------------------------------------
    def _fingerprint(self, pin: Pin) -> bytes:
        return hmac.digest(self._fingerprint_key, pin.reveal(), "sha256")

    def _log_in(self) -> None:
        _, sw = self._transmit(_VERIFY)
        if sw == SW_OK:
            return
        if sw == SW_PIN_BLOCKED:
            self._observer.card_seen(True, 0)
            raise SignFailure(
                FailureReason.PIN_BLOCKED, "the card's PIN is blocked: unblock it with the issuer's tool", 0
            )
        retries = _retries(sw)
        if retries is None:
            raise SignFailure(FailureReason.CARD_ERROR, f"VERIFY (status) answered {sw:04X}")
        self._observer.card_seen(True, retries)
        pin = self._pin_source()
        if pin is None:
            raise SignFailure(FailureReason.PIN_MISSING, "no PIN secret configured", retries)
        fingerprint = self._fingerprint(pin)
        decision = self._policy.decide(retries, hmac.compare_digest(fingerprint, self._rejected_pin or b""))
        if decision is PinDecision.BLOCKED:
            raise SignFailure(FailureReason.PIN_BLOCKED, "the card's PIN is blocked", 0)
        if decision is PinDecision.ALREADY_REJECTED:
            raise SignFailure(
                FailureReason.PIN_WRONG,
                "the card rejected this PIN before; not trying it again until it changes",
                retries,
            )
        if decision is PinDecision.REFUSE_LAST_TRY:
            message = f"card PIN has {retries} try left: guanwu will not try it; use the card's tool"
            self._observer.alert(FailureReason.PIN_LAST_TRY_REFUSED, message)
            log.warning(message)
            raise SignFailure(FailureReason.PIN_LAST_TRY_REFUSED, message, retries)
        secret = pin.reveal()
        _, sw = self._transmit(_VERIFY + bytes([len(secret)]) + secret)
        if sw == SW_OK:
            self._rejected_pin = None
            self._observer.card_seen(True, None)
            return
        if sw == SW_PIN_BLOCKED:
            self._observer.card_seen(True, 0)
            raise SignFailure(FailureReason.PIN_BLOCKED, "the card blocked its PIN", 0)
        retries = _retries(sw)
        if retries is None:
            raise SignFailure(FailureReason.CARD_ERROR, f"VERIFY answered {sw:04X}")
        self._rejected_pin = fingerprint
        self._observer.card_seen(True, retries)
        raise SignFailure(FailureReason.PIN_WRONG, "the card rejected the PIN", retries)
