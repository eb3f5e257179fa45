"""The PIN (and other secrets) as masked values, and the policy that decides whether a PIN may be tried on the card."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Secret:
    """Secret bytes (a PIN, a passphrase); every printable form is masked so it cannot leak into logs,
    events or errors, and it refuses to be pickled."""

    __slots__ = ("_value",)

    def __init__(self, value: str | bytes) -> None:
        raw = value.encode("utf-8") if isinstance(value, str) else bytes(value)
        self._value = self._validate(raw.strip())

    @staticmethod
    def _validate(raw: bytes) -> bytes:
        if not raw:
            raise ValueError("empty secret")
        return raw

    def reveal(self) -> bytes:
        return self._value

    def __repr__(self) -> str:
        return f"{type(self).__name__}('********')"

    __str__ = __repr__

    def __eq__(self, other: object) -> bool:
        return type(other) is type(self) and isinstance(other, Secret) and other._value == self._value

    def __hash__(self) -> int:
        return hash((type(self).__name__, self._value))

    def __reduce__(self) -> tuple[object, ...]:
        raise TypeError("a secret is not serialisable")


class Pin(Secret):
    """The card PIN (ISO 7816 VERIFY data)."""

    __slots__ = ()

    @staticmethod
    def _validate(raw: bytes) -> bytes:
        if not 4 <= len(raw) <= 16:
            raise ValueError("a card PIN has 4 to 16 characters")
        return raw


class PinDecision(StrEnum):
    TRY = "try"
    REFUSE_LAST_TRY = "refuse_last_try"
    BLOCKED = "blocked"
    ALREADY_REJECTED = "already_rejected"


@dataclass(frozen=True)
class PinPolicy:
    """Never let guanwu block the card: no try when `min_retries_to_try - 1` or fewer tries are left.

    With the default (2) the signer refuses when one try is left and raises an alert; a person then verifies
    the PIN with the card's own tool, which resets the counter. A PIN the card has rejected is not tried
    again until the secret changes, so a wrong secret costs one try, not one per request.
    """

    min_retries_to_try: int = 2

    def decide(self, retries_left: int, pin_was_rejected: bool) -> PinDecision:
        if retries_left <= 0:
            return PinDecision.BLOCKED
        if pin_was_rejected:
            return PinDecision.ALREADY_REJECTED
        if retries_left < self.min_retries_to_try:
            return PinDecision.REFUSE_LAST_TRY
        return PinDecision.TRY
