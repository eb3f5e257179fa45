"""The pure row mapping: one row per tenant and declaration, at the event's version, time in UTC."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from guanwu.contracts.events import DeclarationStatusChanged
from guanwu.platform.events import envelope_for
from guanwu.query.domain.declarations import FILTERABLE, DeclarationRow, summary_row


def test_a_row_is_the_events_summary_at_its_version() -> None:
    event = DeclarationStatusChanged(
        declaration_id="d1", version=4, ie_flag="I", status="已申报", bill_no="BL-1", cause="回执 R9"
    )
    envelope = envelope_for(event, source="/t", tenant="acme")[1]
    beijing = datetime(2026, 3, 2, 8, 0, tzinfo=timezone(timedelta(hours=8)))
    row = summary_row(envelope.model_copy(update={"time": beijing}), event)

    assert (row.doc_id, row.aggregate_version) == ("acme:d1", 4)
    assert row.fields["updated_at"] == "2026-03-02T00:00:00+00:00"  # UTC, so the text sorts as time does
    assert (row.fields["tenant"], row.fields["last_event_type"]) == (
        "acme",
        DeclarationStatusChanged.event_type,
    )
    assert "cause" not in row.fields and "previous_status" not in row.fields
    assert DeclarationRow.model_validate(row.fields).status == "已申报"


def test_every_filterable_field_is_a_column_of_the_row() -> None:
    assert set(FILTERABLE) <= set(DeclarationRow.model_fields)
