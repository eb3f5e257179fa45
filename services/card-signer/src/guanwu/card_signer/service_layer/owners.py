"""Whose card it is: the signer signs for, and shows the card to, the tenants the card belongs to only.

Choices: an IC card is issued to one enterprise's operator, and a broker (报关行) signs with its own card for
the clients it names; no one else may have their declarations signed with it. The tenants are therefore a
required setting of each signer (no default: a signer that does not know whose card it holds does not
start), and another tenant's request is refused before it reaches the card queue: no queue slot, no PIN
try, no signature.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import Protocol

from guanwu.card_signer.domain import FailureReason, SignFailure

log = logging.getLogger("guanwu.card_signer.owners")


class RefusalRecorder(Protocol):
    def refused(self, outcome: str) -> None: ...


class CardOwners:
    def __init__(self, tenants: Iterable[str], recorder: RefusalRecorder | None = None) -> None:
        self.tenants = frozenset(tenants)
        if not self.tenants:
            raise ValueError("a card belongs to at least one tenant")
        self._recorder = recorder

    def admit_signature(self, tenant: str) -> None:
        """Raises SignFailure(tenant_not_served) unless the card signs for `tenant`; counts the refusal."""
        if tenant not in self.tenants:
            if self._recorder is not None:
                self._recorder.refused(FailureReason.TENANT_NOT_SERVED.value)
            raise self._refusal(tenant, "sign for")

    def admit_viewer(self, tenant: str) -> None:
        """The card's holder, certificate and PIN state are the owners' business only."""
        if tenant not in self.tenants:
            raise self._refusal(tenant, "show its card to")

    @staticmethod
    def _refusal(tenant: str, what: str) -> SignFailure:
        log.warning("refused tenant %s: this card signer does not %s it", tenant, what)
        return SignFailure(
            FailureReason.TENANT_NOT_SERVED,
            f"this card signer does not {what} tenant {tenant!r}: its card belongs to another enterprise",
        )
