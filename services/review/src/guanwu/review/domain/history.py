"""Review's own history of declarations (高级审核, F-12): what each declaration of the tenant declared, line by
line, as the declaration events' `document` last said it. Pure: no I/O.

One row per declaration (id from tenant and declaration), rebuilt from the newest event that carries a
document and kept at the declaration's version, so an older or repeated event changes nothing. An event
without a document (a state change) moves the status only and keeps the lines. The rows are read by
consignee (境内收发货人) and HS code (`hs_codes`, one entry per code the goods use) to find the same
consignee's previous declarations of the same goods.

Which declarations count as history (`counted`): those that passed review or reached the customs
(`COUNTED_STATUSES`); drafts, declarations waiting for or returned by review, and deleted or customs-deleted
or returned ones do not, since nobody vouched for their values.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal, InvalidOperation

from pydantic import BaseModel, ConfigDict, Field

from guanwu.contracts.declaration import DeclarationDocument
from guanwu.contracts.envelope import Envelope
from guanwu.contracts.events import DeclarationSummary
from guanwu.contracts.events.base import Event
from guanwu.platform import ids
from guanwu.platform.idempotency import ProjectionRow

COUNTED_STATUSES = frozenset({"审核通过", "申报中", "申报失败", "已申报", "入库成功", "查验", "放行", "结关"})
"""Lifecycle states (the declaration service's) in which a declaration's values count as history."""


class HistoryLine(BaseModel):
    """One goods line as the comparisons need it; prices as decimal strings (the store keeps plain JSON)."""

    model_config = ConfigDict(frozen=True)

    g_no: int
    code_ts: str | None = None
    g_name: str | None = None
    decl_price: str | None = None
    trade_curr: str | None = None
    g_unit: str | None = None
    origin_country: str | None = None

    @property
    def price(self) -> Decimal | None:
        return as_decimal(self.decl_price)


class HistoryRecord(BaseModel):
    """One declaration in review's history."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    tenant: str
    declaration_id: str
    ie_flag: str
    status: str
    counted: bool = Field(description="Passed review or reached the customs: its values count as history")
    consignee: str | None = Field(
        None, description="境内收发货人: 海关编码, else 统一社会信用代码, else name"
    )
    consignee_name: str | None = None
    seq_no: str | None = None
    entry_id: str | None = None
    documented_at: datetime | None = Field(None, description="When the document was last changed")
    hs_codes: list[str] = Field(default_factory=list)
    lines: list[HistoryLine] = Field(default_factory=list)


def as_decimal(value: object) -> Decimal | None:
    if value is None:
        return None
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        return None
    return number if number.is_finite() else None


def consignee_of(document: DeclarationDocument) -> str | None:
    """The key the same consignee is found by: its 海关编码, else its 统一社会信用代码, else its name."""
    head = document.head
    for prefix, value in (("code", head.trade_code), ("scc", head.trade_co_scc), ("name", head.trade_name)):
        if value and value.strip():
            return f"{prefix}:{value.strip()}"
    return None


def lines_of(document: DeclarationDocument) -> list[HistoryLine]:
    return [
        HistoryLine(
            g_no=line.g_no,
            code_ts=line.code_ts,
            g_name=line.g_name,
            decl_price=None if line.decl_price is None else str(line.decl_price),
            trade_curr=line.trade_curr,
            g_unit=line.g_unit,
            origin_country=line.origin_country,
        )
        for line in document.goods
    ]


def history_row_id(tenant: str, declaration_id: str) -> str:
    return ids.deterministic_id("review-history", tenant, declaration_id)


def history_row(envelope: Envelope, event: Event) -> ProjectionRow:
    """What a declaration event teaches review's history, at the declaration's version. Without a document
    only the state moves (the stored lines stay: the write merges the fields it names)."""
    assert isinstance(event, DeclarationSummary)
    fields: dict[str, object] = {
        "tenant": envelope.tenant,
        "declaration_id": event.declaration_id,
        "ie_flag": event.ie_flag,
        "status": event.status,
        "counted": event.status in COUNTED_STATUSES,
        "seq_no": event.seq_no,
        "entry_id": event.entry_id,
    }
    document = event.document
    if document is not None:
        lines = lines_of(document)
        fields |= {
            "consignee": consignee_of(document),
            "consignee_name": document.head.trade_name,
            "documented_at": envelope.time.isoformat(),
            "hs_codes": sorted({line.code_ts for line in lines if line.code_ts}),
            "lines": [line.model_dump(mode="json") for line in lines],
        }
    return ProjectionRow(history_row_id(envelope.tenant, event.declaration_id), event.version, fields)
