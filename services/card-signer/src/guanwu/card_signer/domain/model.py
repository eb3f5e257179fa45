"""Signatures, failures and the Signer port."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Protocol

from guanwu.card_signer.domain import sm2

DEFAULT_USER_ID = b"1234567812345678"  # GM/T 0009 default distinguishing identifier (ID_A)


class FailureReason(StrEnum):
    """Why a signature was not made. The values travel in SignFailed.reason and in metrics."""

    NO_READER = "no_reader"
    NO_CARD = "no_card"
    CARD_REMOVED = "card_removed"
    PIN_MISSING = "pin_missing"  # no PIN secret configured
    PIN_WRONG = "pin_wrong"  # the card rejected the PIN (retries_left says how many tries remain)
    PIN_LAST_TRY_REFUSED = "pin_last_try_refused"  # one try left: guanwu will not risk blocking the card
    PIN_BLOCKED = "pin_blocked"
    TOKEN_LOCKED = "token_locked"  # soft token: wrong passphrase or damaged key file
    TIMEOUT = "timeout"
    BUSY = "busy"  # the card queue is full
    CARD_ERROR = "card_error"  # the card answered with an unexpected status word
    BAD_REQUEST = "bad_request"
    TENANT_NOT_SERVED = "tenant_not_served"  # the card belongs to other tenants: refused before the card


class SignFailure(Exception):
    """A signature could not be made. `detail` is safe to log and publish: it never carries the PIN."""

    def __init__(self, reason: FailureReason, detail: str = "", retries_left: int | None = None) -> None:
        super().__init__(f"{reason.value}: {detail}" if detail else reason.value)
        self.reason = reason
        self.detail = detail
        self.retries_left = retries_left


@dataclass(frozen=True)
class CertificateInfo:
    subject: str
    serial_hex: str
    not_before: datetime
    not_after: datetime
    public_key: bytes = field(repr=False)  # 65 bytes, 04 || x || y
    der: bytes = field(repr=False, default=b"")


@dataclass(frozen=True)
class Signature:
    """An SM2-with-SM3 signature. `rs` is r || s (64 bytes); `der` the GM/T 0009 SM2Signature SEQUENCE."""

    rs: bytes
    certificate: CertificateInfo
    user_id: bytes
    message_sm3: bytes
    device: str  # "card" or "soft"

    @property
    def der(self) -> bytes:
        return sm2.rs_to_der(self.rs)


@dataclass(frozen=True)
class CardStatus:
    reader: str
    card_present: bool
    certificate: CertificateInfo | None = None
    pin_retries_left: int | None = None
    pin_blocked: bool = False
    pin_verified: bool = False
    error: str | None = None


class Signer(Protocol):
    """The one component that touches the key. Blocking calls: the service layer runs them one at a time."""

    device: str

    def sign(self, message: bytes, user_id: bytes = DEFAULT_USER_ID) -> Signature:
        """Sign SM3(Z || message) with Z from the signer's public key and user_id; raises SignFailure."""
        ...

    def status(self) -> list[CardStatus]:
        """Readers (or the token), card presence, certificate and PIN retries left; raises nothing."""
        ...


class CardObserver(Protocol):
    """What a signer reports as it goes: metrics and alerts listen here."""

    def card_seen(self, present: bool, pin_retries_left: int | None) -> None: ...

    def alert(self, reason: FailureReason, message: str) -> None: ...


class NullObserver:
    def card_seen(self, present: bool, pin_retries_left: int | None) -> None:
        return None

    def alert(self, reason: FailureReason, message: str) -> None:
        return None
