"""The declaration read model's rows (报关数据查询): what a declaration event makes of its row. Pure: no I/O.

Each row keeps the aggregate version it was built from; an older or repeated event changes nothing, so the
projection is idempotent and tolerates redelivery in any order.
"""

from __future__ import annotations

from datetime import UTC

from pydantic import BaseModel

from guanwu.contracts.envelope import Envelope
from guanwu.contracts.events import DeclarationSummary
from guanwu.contracts.events.base import Event
from guanwu.platform.idempotency import ProjectionRow

SUMMARY_FIELDS = set(DeclarationSummary.model_fields)
FILTERABLE = ("status", "ie_flag", "kind", "custom_master", "trade_name", "bill_no", "entry_id", "seq_no")
"""The columns the list can be filtered by (exact match)."""


class DeclarationRow(BaseModel):
    declaration_id: str
    version: int
    ie_flag: str
    kind: str
    status: str
    client_seq_no: str | None = None
    seq_no: str | None = None
    entry_id: str | None = None
    custom_master: str | None = None
    trade_name: str | None = None
    bill_no: str | None = None
    prepared_by: str | None = None
    updated_at: str
    last_event_type: str


def row_id(tenant: str, declaration_id: str) -> str:
    """Rows of different tenants never share an id, even for the same declaration id."""
    return f"{tenant}:{declaration_id}"


def summary_row(envelope: Envelope, event: Event) -> ProjectionRow:
    """The row a declaration event sets, at the declaration's version the event reports."""
    assert isinstance(event, DeclarationSummary)
    fields = {
        # The summary only: subclasses' own fields (a cause, the message to sign) are not list columns.
        **event.model_dump(mode="json", include=SUMMARY_FIELDS),
        "tenant": envelope.tenant,
        "last_event_type": envelope.type,
        "updated_at": envelope.time.astimezone(UTC).isoformat(),
    }
    return ProjectionRow(row_id(envelope.tenant, event.declaration_id), event.version, fields)
