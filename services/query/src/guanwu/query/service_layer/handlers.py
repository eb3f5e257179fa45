"""The query service's event handler: the declaration projection."""

from __future__ import annotations

from collections.abc import Sequence

from guanwu.contracts.envelope import Envelope
from guanwu.contracts.events.base import Event
from guanwu.query.adapters import DeclarationReadModel
from guanwu.query.domain import summary_row


async def project_declaration_events(
    items: Sequence[tuple[Envelope, Event]], *, read_model: DeclarationReadModel
) -> int:
    """Project a batch of declaration events onto their rows; returns how many rows changed."""
    return await read_model.apply_many([summary_row(envelope, event) for envelope, event in items])
