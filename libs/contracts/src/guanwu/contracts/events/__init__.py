"""Every event payload, imported here so that importing this package fills the registry."""

from guanwu.contracts.events.anomaly import AnomalyRegistered
from guanwu.contracts.events.base import REGISTRY, Event, EventRegistry
from guanwu.contracts.events.declaration import (
    DeclarationDeclareRequested,
    DeclarationDeleted,
    DeclarationDrafted,
    DeclarationStatusChanged,
    DeclarationSubmittedForReview,
    DeclarationSummary,
    DeclarationUpdated,
)
from guanwu.contracts.events.review import FieldMark, ReviewApproved, ReviewOutcome, ReviewRejected
from guanwu.contracts.events.signer import DeclarationSigned, SignFailed, SignRequested
from guanwu.contracts.events.sync import (
    DeclarationSubmitFailed,
    DeclarationSubmitted,
    DeleteReceiptReceived,
    ReceiptReceived,
)

__all__ = [
    "REGISTRY",
    "AnomalyRegistered",
    "DeclarationDeclareRequested",
    "DeclarationDeleted",
    "DeclarationDrafted",
    "DeclarationSigned",
    "DeclarationStatusChanged",
    "DeclarationSubmitFailed",
    "DeclarationSubmitted",
    "DeclarationSubmittedForReview",
    "DeclarationSummary",
    "DeclarationUpdated",
    "DeleteReceiptReceived",
    "Event",
    "EventRegistry",
    "FieldMark",
    "ReceiptReceived",
    "ReviewApproved",
    "ReviewOutcome",
    "ReviewRejected",
    "SignFailed",
    "SignRequested",
]
