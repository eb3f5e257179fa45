"""What the anomaly service learns of declarations and 核注清单 to fill automatic records (F-22): their numbers,
境内收发货人 and 进出口, kept per tenant. Pure: no I/O.

Fed by every declaration event (each carries the DeclarationSummary: seq_no, entry_id, trade_name, ie_flag) and
by sync's BondedListSynced (统一编号, 清单编号, 经营企业名称, 进出口标记). Each row keeps the version it was built
from (the declaration's version, the 核注清单's version at the Single Window), so an older or repeated event
changes nothing.

委托企业 (client_name): no event names the client that commissioned a declaration or list yet, so it stays
empty; the field is here so a later source fills records without another change.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict

from guanwu.anomaly.domain.records import AnomalyCategory
from guanwu.contracts.envelope import Envelope
from guanwu.contracts.events import BondedListSynced, DeclarationSummary
from guanwu.contracts.events.base import Event
from guanwu.platform import ids
from guanwu.platform.idempotency import ProjectionRow

NAME_LIMIT = 100
"""境内收发货人 as a record holds it; a 核注清单's 经营企业名称 may be longer."""


class KnownDocument(BaseModel):
    """One declaration or 核注清单 as far as a record needs it; every field may be unknown."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    category: AnomalyCategory | None = None
    number: str | None = None  # 海关编号 (EntryId) / 清单编号 (BondInvtNo)
    seq_no: str | None = None  # 统一编号
    trade_name: str | None = None  # 境内收发货人 / 经营企业名称
    ie_flag: str | None = None
    client_name: str | None = None  # 委托企业: nothing fills it yet


def declaration_row(envelope: Envelope, event: Event) -> ProjectionRow:
    """What a declaration event teaches, at the declaration's version."""
    assert isinstance(event, DeclarationSummary)
    known = KnownDocument(
        category=AnomalyCategory.DECLARATION,
        number=event.entry_id,
        seq_no=event.seq_no,
        trade_name=event.trade_name,
        ie_flag=event.ie_flag,
    )
    row_id = ids.deterministic_id("known-declaration", envelope.tenant, event.declaration_id)
    return ProjectionRow(row_id, event.version, _fields(envelope.tenant, known))


def bonded_list_row(envelope: Envelope, event: Event) -> ProjectionRow:
    """What a synced 核注清单 teaches, at its version at the Single Window."""
    assert isinstance(event, BondedListSynced)
    head = event.bonded_list.head
    name = (head.bizop_etps_nm or "").strip()[:NAME_LIMIT] or None
    known = KnownDocument(
        category=AnomalyCategory.BONDED_LIST,
        number=event.bond_invt_no or head.bond_invt_no,
        seq_no=event.seq_no,
        trade_name=name,
        ie_flag=head.impexp_markcd if head.impexp_markcd in ("I", "E") else None,
    )
    row_id = ids.deterministic_id("known-bonded-list", envelope.tenant, event.seq_no)
    return ProjectionRow(row_id, event.sw_version, _fields(envelope.tenant, known))


def _fields(tenant: str, known: KnownDocument) -> dict[str, object]:
    return {"tenant": tenant, **known.model_dump(mode="json")}


def best_match(
    documents: list[KnownDocument], number: str | None, seq_no: str | None
) -> KnownDocument | None:
    """The document a receipt names: by 海关编号 / 清单编号 first, else by 统一编号."""
    for field, value in (("number", number), ("seq_no", seq_no)):
        if value:
            found = next((d for d in documents if getattr(d, field) == value), None)
            if found is not None:
                return found
    return None
