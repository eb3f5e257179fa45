"""Wrapping event payloads into envelopes, so services never build envelopes by hand."""

from __future__ import annotations

from guanwu.contracts.envelope import Envelope, new_event_id
from guanwu.contracts.events.base import Event


def envelope_for(
    event: Event,
    *,
    source: str,
    tenant: str,
    correlation_id: str | None = None,
    causation_id: str | None = None,
    event_id: str | None = None,
) -> tuple[str, Envelope]:
    """(topic, envelope) for a payload; a new flow starts a new correlation id."""
    eid = event_id or new_event_id()
    envelope = Envelope(
        id=eid,
        source=source,
        type=event.event_type,
        subject=event.aggregate_id(),
        tenant=tenant,
        correlationid=correlation_id or eid,
        causationid=causation_id,
        data=event.model_dump(mode="json"),
    )
    return event.topic, envelope


def caused_by(
    cause: Envelope, event: Event, *, source: str, event_id: str | None = None
) -> tuple[str, Envelope]:
    """An event caused by another one: same tenant and flow, causation pointing at the cause."""
    return envelope_for(
        event,
        source=source,
        tenant=cause.tenant,
        correlation_id=cause.correlationid,
        causation_id=cause.id,
        event_id=event_id,
    )
