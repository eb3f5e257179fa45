"""The card signer's model:  Signer port, results and failures with reason codes, the PIN policy (no I/O)."""

from guanwu.card_signer.domain.model import (
    DEFAULT_USER_ID,
    CardObserver,
    CardStatus,
    CertificateInfo,
    FailureReason,
    NullObserver,
    Signature,
    Signer,
    SignFailure,
)
from guanwu.card_signer.domain.pin import Pin, PinDecision, PinPolicy, Secret

__all__ = [
    "DEFAULT_USER_ID",
    "CardObserver",
    "CardStatus",
    "CertificateInfo",
    "FailureReason",
    "NullObserver",
    "Pin",
    "PinDecision",
    "PinPolicy",
    "Secret",
    "SignFailure",
    "Signature",
    "Signer",
]
