"""The query service's event handlers: the declaration and 核注清单 projections."""

from __future__ import annotations

from collections.abc import Sequence

import structlog

from guanwu.contracts.envelope import Envelope
from guanwu.contracts.events.base import Event
from guanwu.query.adapters.bonded_lists import BondedListReadModel
from guanwu.query.adapters.declarations import DeclarationReadModel
from guanwu.query.domain.bonded_lists import Change, change_of
from guanwu.query.domain.declarations import summary_row

log = structlog.get_logger(__name__)


async def project_declaration_events(
    items: Sequence[tuple[Envelope, Event]], *, read_model: DeclarationReadModel
) -> int:
    """Project a batch of declaration events onto their rows; returns how many rows changed."""
    return await read_model.apply_many([summary_row(envelope, event) for envelope, event in items])


async def project_bonded_list_events(
    items: Sequence[tuple[Envelope, Event]], *, read_model: BondedListReadModel
) -> int:
    """Merge a batch of synced 核注清单 and their receipts into their rows; returns how many rows changed."""
    changes: list[Change] = []
    for envelope, event in items:
        change = change_of(envelope, event)
        if change is None:
            # Nothing to attach it to; sync publishes what the Single Window sent, so say so rather than guess.
            log.warning("bonded-list receipt names no list: not projected", event_id=envelope.id)
        else:
            changes.append(change)
    return await read_model.apply(changes) if changes else 0
