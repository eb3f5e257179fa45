"""What every command names: who asks, and for a change of a stored declaration, the version they changed."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol


class Caller(Protocol):
    """Whoever asks (an HTTP principal, say): a command touches only the caller's tenant and names the caller
    in the audit."""

    @property
    def tenant(self) -> str: ...

    @property
    def user_id(self) -> str: ...


@dataclass(frozen=True)
class Edit:
    """A change of one declaration based on the version its caller read (If-Match); refused with the current
    version when another change came first."""

    caller: Caller
    declaration_id: str
    expected_version: int
