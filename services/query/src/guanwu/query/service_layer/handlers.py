"""The query service's event handlers: the declaration and 核注清单 projections, the timeline, the receipts."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence

import structlog

from guanwu.contracts.envelope import Envelope
from guanwu.contracts.events.base import Event
from guanwu.platform.store.port import Document
from guanwu.query.adapters.bonded_lists import BondedListReadModel
from guanwu.query.adapters.declarations import DeclarationReadModel
from guanwu.query.adapters.history import HistoryReadModel
from guanwu.query.domain.bonded_lists import Change as BondedChange
from guanwu.query.domain.bonded_lists import change_of
from guanwu.query.domain.declarations import Change, declaration_change, row_id
from guanwu.query.domain.history import event_entry, receipt_change, receipt_entries

log = structlog.get_logger(__name__)


async def project_declaration_events(
    items: Sequence[tuple[Envelope, Event]],
    *,
    read_model: DeclarationReadModel,
    history: HistoryReadModel | None = None,
) -> int:
    """Project a batch of declaration events onto their rows and timelines; returns how many rows changed.

    Every row of the batch is then given the receipts waiting for it (they came before it, or before its
    统一编号 / 海关编号): the row is written first and the waiting receipts read after, so a receipt written
    meanwhile by the receipts' consumer is found by one side or the other. Every row, not only new ones: an
    event seen again (a rebuild's catch-up, a redelivery) still hands a row what waits for it."""
    groups: dict[str, list[Change]] = defaultdict(list)
    for envelope, event in items:
        change = declaration_change(envelope, event)
        groups[change.doc_id].append(change)
    if history is not None:
        await history.add([event_entry(envelope, event) for envelope, event in items])
    written = await read_model.apply(groups)
    if history is not None and written.rows:
        await _attach_earlier_receipts(written.rows, read_model=read_model, history=history)
    return written.changed


async def _attach_earlier_receipts(
    rows: Sequence[Document], *, read_model: DeclarationReadModel, history: HistoryReadModel
) -> None:
    by_tenant: dict[str, list[Document]] = defaultdict(list)
    for row in rows:
        by_tenant[row["tenant"]].append(row)
    for tenant, tenant_rows in by_tenant.items():
        targets: dict[str, list[Change]] = defaultdict(list)
        taken: list[str] = []
        for column in ("declaration_id", "seq_no", "entry_id"):
            owners = {row[column]: row["_id"] for row in tenant_rows if row.get(column)}
            for entry in await history.waiting_for(tenant, column, list(owners)):
                targets[owners[entry[column]]].append(receipt_change(entry))
                taken.append(entry["_id"])
        if targets:
            await read_model.apply(targets)
            await history.release(taken)


async def project_receipt_events(
    items: Sequence[tuple[Envelope, Event]], *, read_model: DeclarationReadModel, history: HistoryReadModel
) -> int:
    """Receipts (ReceiptReceived, and the receipts a synced declaration lists) into the timeline, and the
    newest into its declaration's row (申报状态): found by declaration id, else by 统一编号 / 海关编号 within the
    tenant. A receipt whose declaration has no row yet waits in the timeline; the row takes it when it
    appears. Returns how many rows changed."""
    entries = [entry for envelope, event in items for entry in receipt_entries(envelope, event)]
    await history.add(entries)
    # Held before the rows are looked for: a row written meanwhile finds it there (and takes it).
    await history.hold(entries)
    targets: dict[str, list[Change]] = defaultdict(list)
    taken: dict[str, list[str]] = defaultdict(list)
    by_tenant: dict[str, list[Document]] = defaultdict(list)
    for entry in entries:
        by_tenant[entry["tenant"]].append(entry)
        if entry["declaration_id"]:
            doc_id = row_id(entry["tenant"], entry["declaration_id"])
            targets[doc_id].append(receipt_change(entry))
            taken[doc_id].append(entry["_id"])
    for tenant, tenant_entries in by_tenant.items():
        for column in ("seq_no", "entry_id"):
            numbers = [e[column] for e in tenant_entries if e.get(column)]
            for row in await read_model.rows_named(tenant, column, numbers):
                for entry in tenant_entries:
                    if entry.get(column) == row[column]:
                        targets[row["_id"]].append(receipt_change(entry))
                        taken[row["_id"]].append(entry["_id"])
    if not targets:
        return 0
    written = await read_model.apply(targets)
    existing = {doc["_id"] for doc in await read_model.collection.get_many(list(targets))}
    await history.release([entry_id for doc_id in existing for entry_id in taken[doc_id]])
    return written.changed


async def project_bonded_list_events(
    items: Sequence[tuple[Envelope, Event]], *, read_model: BondedListReadModel
) -> int:
    """Merge a batch of synced 核注清单 and their receipts into their rows; returns how many rows changed."""
    changes: list[BondedChange] = []
    for envelope, event in items:
        change = change_of(envelope, event)
        if change is None:
            # Nothing to attach it to; sync publishes what the Single Window sent, so say so rather than guess.
            log.warning("bonded-list receipt names no list: not projected", event_id=envelope.id)
        else:
            changes.append(change)
    return await read_model.apply(changes) if changes else 0
