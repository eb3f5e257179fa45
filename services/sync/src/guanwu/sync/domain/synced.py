"""What a sync job keeps of the records it read (F-40/F-41), and how one page of them is sorted.

A record is kept once per (tenant, kind, 统一编号) with the Single Window's `sw_version`: an item at a version
already kept (or an older one) is unchanged and announces nothing, so running the same question twice
publishes nothing new. A new or changed one is announced (DeclarationSynced / BondedListSynced) in the
record's own write. An item that cannot be read (its JSON, its XML by the kernel's parsers, or the event's
model) is quarantined with the reason and its raw payload, never dropped.

企业类别: a DeclarationSynced carries the 企业类别 its job asked by (the tenant's role in the declaration). One
declaration may be read under two (the tenant is both 境内收发货人 and 申报单位): the record keeps every category
it was announced under, and a job asking by a new one announces the same version again with it (an id of its
own), so readers accumulate the categories; the declaration service ignores a version it has applied already.
Records kept before the categories were (none listed) are announced once more by the next job that reads them.

Choice: the record keeps the identity, version and status only, not the document: the event carries the
document to whoever keeps it (declaration, query), and sync needs only to know what it announced.

Resuming after a crash: the records of a page are written before the job's cursor moves, so a resumed job may
read a page again. An item kept at the same version by the same job was written by it before the crash: it
counts as written again (nothing is published), so the counts of a resumed job equal those of a clean run.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from guanwu.contracts.envelope import Envelope
from guanwu.contracts.events import BondedListSynced, DeclarationSynced
from guanwu.contracts.events.sync import SyncedReceipt
from guanwu.contracts.sync import (
    DeclarationsByDay,
    DeclarationsByTicket,
    EnterpriseCategory,
    SyncCounts,
    SyncCriteria,
    SyncKind,
)
from guanwu.customs.messages import parse_dec_message
from guanwu.customs.messages.inv101 import parse_inv101
from guanwu.platform.events import envelope_for
from guanwu.platform.ids import deterministic_id
from guanwu.sync.domain.records import Stamp

SOURCE = "/guanwu/sync"
REASON_LENGTH = 1000


class SyncedRecord(BaseModel):
    """One declaration or 核注清单 as sync last announced it."""

    tenant: str
    kind: SyncKind
    seq_no: str = Field(description="统一编号: its identity at the Single Window")
    number: str | None = Field(None, description="海关编号 (declarations) or 清单编号 (核注清单), once known")
    status: str | None = Field(None, description="CHANNEL of its latest receipt, or the list's ListStat")
    sw_version: int
    sw_updated_at: Stamp
    job_id: str = Field(description="The job that last wrote it")
    synced_at: Stamp
    enterprise_categories: list[EnterpriseCategory] = Field(
        default_factory=list,
        description="企业类别 it was announced under (declarations): a job asking by another one announces the "
        "same version again with its category, so readers learn every role the tenant plays in it",
    )
    version: int = 1

    @property
    def id(self) -> str:
        return synced_record_id(self.tenant, self.kind, self.seq_no)


def synced_record_id(tenant: str, kind: SyncKind, seq_no: str) -> str:
    return deterministic_id("synced-record", tenant, kind, seq_no)


class QuarantinedItem(BaseModel):
    """An item of a job's page that could not be read: why, and what the Single Window sent (cut to a bound)."""

    tenant: str
    job_id: str
    kind: SyncKind
    seq_no: str | None = None
    sw_version: int | None = None
    reason: str = Field(max_length=REASON_LENGTH)
    payload: str = Field(description="The item as received (JSON), cut to `quarantine_payload_max_chars`")
    payload_chars: int = Field(description="How long the whole payload was")
    truncated: bool
    at: Stamp

    @property
    def id(self) -> str:
        return deterministic_id(
            "sync-quarantine", self.tenant, self.job_id, self.kind, self.seq_no or "", _digest(self.payload)
        )


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:32]


class _Identity(BaseModel):
    """What decides whether an item is new: its 统一编号 and version (read before its XML, which an unchanged
    item never needs)."""

    model_config = ConfigDict(extra="ignore")

    seq_no: str = Field(min_length=18, max_length=18)
    version: int = Field(ge=1)


class _Item(_Identity):
    updated_at: datetime
    receipts: list[SyncedReceipt] = Field(default_factory=list)
    xml: str = Field(min_length=1)


class DeclarationItem(_Item):
    entry_id: str | None = None
    client_seq_no: str | None = None
    channel: str | None = None


class BondedListItem(_Item):
    bond_invt_no: str | None = None
    list_stat: str | None = None
    data_source: str | None = None


class Unreadable(ValueError):
    """An item read, but not consistent (its message names another 统一编号)."""


def _reason(exc: Exception) -> str:
    return f"{type(exc).__name__}: {exc}"[:REASON_LENGTH]


def enterprise_category_of(criteria: SyncCriteria) -> EnterpriseCategory | None:
    """企业类别 the job asks by (the tenant's role in the declarations it reads); none for 核注清单 jobs."""
    if isinstance(criteria, DeclarationsByTicket | DeclarationsByDay):
        return criteria.enterprise_category
    return None


def _declaration(raw: Any, of: PageOf) -> DeclarationSynced:
    item = DeclarationItem.model_validate(raw)
    document = parse_dec_message(item.xml.encode())
    if document.head.seq_no not in (None, item.seq_no):
        raise Unreadable(f"统一编号不一致 SeqNo in the message {document.head.seq_no} is not {item.seq_no}")
    fields = item.model_dump(include={"seq_no", "entry_id", "client_seq_no", "channel", "receipts"})
    return DeclarationSynced(
        job_id=of.job_id,
        sw_version=item.version,
        sw_updated_at=item.updated_at,
        document=document,
        enterprise_category=of.enterprise_category,
        **fields,
    )


def _bonded_list(raw: Any, of: PageOf) -> BondedListSynced:
    item = BondedListItem.model_validate(raw)
    bonded = parse_inv101(item.xml.encode()).bonded_list
    if bonded.head.seq_no not in (None, item.seq_no):
        raise Unreadable(f"统一编号不一致 SeqNo in the message {bonded.head.seq_no} is not {item.seq_no}")
    fields = item.model_dump(include={"seq_no", "bond_invt_no", "list_stat", "data_source", "receipts"})
    return BondedListSynced(
        job_id=of.job_id, sw_version=item.version, sw_updated_at=item.updated_at, bonded_list=bonded, **fields
    )


def _record_of(
    tenant: str,
    kind: SyncKind,
    event: DeclarationSynced | BondedListSynced,
    now: datetime,
    before: SyncedRecord | None,
) -> SyncedRecord:
    categories = list(before.enterprise_categories) if before else []
    if isinstance(event, DeclarationSynced):
        number, status = event.entry_id, event.channel
        if event.enterprise_category and event.enterprise_category not in categories:
            categories.append(event.enterprise_category)
    else:
        number, status = event.bond_invt_no, event.list_stat
    return SyncedRecord(
        enterprise_categories=categories,
        tenant=tenant,
        kind=kind,
        seq_no=event.seq_no,
        number=number,
        status=status,
        sw_version=event.sw_version,
        sw_updated_at=event.sw_updated_at,
        job_id=event.job_id or "",
        synced_at=now,
    )


def _announce(
    tenant: str, correlation_id: str, event: DeclarationSynced | BondedListSynced, *, again: bool = False
) -> tuple[str, Envelope]:
    """The record's announcement; `again`: the same version announced under another 企业类别 (its own id)."""
    keys = [event.event_type, tenant, event.seq_no, str(event.sw_version)]
    if again and isinstance(event, DeclarationSynced):
        keys.append(f"enterprise-category-{event.enterprise_category}")
    return envelope_for(
        event,
        source=SOURCE,
        tenant=tenant,
        correlation_id=correlation_id,
        event_id=deterministic_id(*keys),
    )


def _asked_anew(of: PageOf, before: SyncedRecord | None, identity: _Identity) -> bool:
    """The same version of a declaration kept already, asked now under a 企业类别 it was not announced under."""
    return (
        before is not None
        and before.sw_version == identity.version
        and of.enterprise_category is not None
        and of.enterprise_category not in before.enterprise_categories
    )


class Outcome(StrEnum):
    WRITTEN = "written"
    UNCHANGED = "unchanged"
    QUARANTINED = "quarantined"


@dataclass
class SortedPage:
    """What to write for one page: new records, changed records (each with its event), quarantined items,
    and the page's counts."""

    new: list[tuple[SyncedRecord, list[tuple[str, Envelope]]]] = field(default_factory=list)
    changed: list[tuple[SyncedRecord, list[tuple[str, Envelope]]]] = field(default_factory=list)
    quarantined: list[QuarantinedItem] = field(default_factory=list)
    outcomes: dict[Outcome, int] = field(default_factory=lambda: dict.fromkeys(Outcome, 0))

    def quarantine(self, item: QuarantinedItem) -> None:
        self.quarantined.append(item)
        self.outcomes[Outcome.QUARANTINED] += 1

    def counts(self, expected: int | None) -> SyncCounts:
        return SyncCounts(
            pages=1,
            fetched=sum(self.outcomes.values()),
            written=self.outcomes[Outcome.WRITTEN],
            unchanged=self.outcomes[Outcome.UNCHANGED],
            quarantined=self.outcomes[Outcome.QUARANTINED],
            expected=expected,
        )


@dataclass(frozen=True)
class PageOf:
    """Whose page it is: the job's tenant, kind, id and flow, when, and how much of a bad payload to keep."""

    tenant: str
    kind: SyncKind
    job_id: str
    correlation_id: str
    now: datetime
    payload_max_chars: int
    enterprise_category: EnterpriseCategory | None = None
    """企业类别 the job asks by (`enterprise_category_of` its criteria): carried by each DeclarationSynced."""


def quarantined(of: PageOf, raw: Any, reason: str, identity: _Identity | None) -> QuarantinedItem:
    payload = json.dumps(raw, ensure_ascii=False, default=str)
    return QuarantinedItem(
        tenant=of.tenant,
        job_id=of.job_id,
        kind=of.kind,
        seq_no=identity.seq_no if identity else None,
        sw_version=identity.version if identity else None,
        reason=reason[:REASON_LENGTH],
        payload=payload[: of.payload_max_chars],
        payload_chars=len(payload),
        truncated=len(payload) > of.payload_max_chars,
        at=of.now,
    )


def identity_of(raw: Any) -> _Identity | ValidationError:
    try:
        return _Identity.model_validate(raw)
    except ValidationError as exc:
        return exc


READERS: dict[SyncKind, Callable[[Any, PageOf], DeclarationSynced | BondedListSynced]] = {
    "declarations": _declaration,
    "bonded_lists": _bonded_list,
}


def sort_page(of: PageOf, items: list[Any], stored: dict[str, SyncedRecord]) -> SortedPage:
    """Each item of a page: written (new, changed, or written by this job before a restart), unchanged, or
    quarantined. `stored` maps the 统一编号 of the page's items to their kept records."""
    page = SortedPage()
    seen: set[str] = set()
    for raw in items:
        identity = identity_of(raw)
        if isinstance(identity, ValidationError):
            page.quarantine(quarantined(of, raw, _reason(identity), None))
            continue
        before = stored.get(identity.seq_no)
        if identity.seq_no in seen:  # the Single Window sent it twice in one page
            page.outcomes[Outcome.UNCHANGED] += 1
            continue
        seen.add(identity.seq_no)
        anew = _asked_anew(of, before, identity)
        if before is not None and before.sw_version >= identity.version and not anew:
            again = before.job_id == of.job_id and before.sw_version == identity.version
            page.outcomes[Outcome.WRITTEN if again else Outcome.UNCHANGED] += 1
            continue
        try:
            event = READERS[of.kind](raw, of)
        except ValueError as exc:  # XmlError, ValidationError, Unreadable
            page.quarantine(quarantined(of, raw, _reason(exc), identity))
            continue
        record = _record_of(of.tenant, of.kind, event, of.now, before)
        announced = [_announce(of.tenant, of.correlation_id, event, again=anew)]
        if before is None:
            page.new.append((record, announced))
        else:
            page.changed.append((record.model_copy(update={"version": before.version + 1}), announced))
        page.outcomes[Outcome.WRITTEN] += 1
    return page
