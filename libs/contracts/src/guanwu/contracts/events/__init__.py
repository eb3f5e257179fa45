"""Every event payload, imported here so that importing this package fills the registry."""

from guanwu.contracts.events.anomaly import AnomalyRegistered
from guanwu.contracts.events.base import REGISTRY, Event, EventRegistry
from guanwu.contracts.events.declaration import (
    DeclarationDeleted,
    DeclarationDrafted,
    DeclarationStatusChanged,
    DeclarationSubmittedForReview,
    DeclarationSummary,
    DeclarationUpdated,
)
from guanwu.contracts.events.signer import DeclarationSigned, SignFailed, SignRequested  # noqa: F401
from guanwu.contracts.events.sync import DeleteReceiptReceived

__all__ = [
    "REGISTRY",
    "AnomalyRegistered",
    "DeclarationDeleted",
    "DeclarationDrafted",
    "DeclarationStatusChanged",
    "DeclarationSubmittedForReview",
    "DeclarationSummary",
    "DeclarationUpdated",
    "DeleteReceiptReceived",
    "Event",
    "EventRegistry",
]
