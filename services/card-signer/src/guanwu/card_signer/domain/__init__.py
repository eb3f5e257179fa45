"""The card signer's model: the Signer port, signatures and failures with reason codes, the PIN policy;
`refusals` says how a failure is answered over HTTP, `results` what is kept of each answer. No I/O."""

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
