"""What 数据同步 brings, as the declaration service keeps it (domain/synced.py, domain/bonded_lists.py).

DeclarationSynced: a declaration the service does not know (by 统一编号, else by the ClientSeqNo guanwu sent)
becomes a declaration made outside guanwu, announced as DeclarationSyncedIn; a known one takes the newer
record (DeclarationStatusChanged when its state moves, DeclarationUpdated when only its numbers or document
do). Either way the receipts parked for its 统一编号/海关编号 are replayed now.

BondedListSynced: the newest version of each 核注清单, for 生成报关单 (F-07) by its number.

Both arrive a poll's worth at a time (batch handlers): the new declarations of a batch are looked up and
inserted together (one query per kind of number, one insert), the others take the one-at-a-time path that
reactions take. A batch that fails is handed over again one event at a time; every step is idempotent
(derived ids, the kept `sw_version`), so doing part of it twice changes nothing.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Sequence
from datetime import datetime
from functools import partial

from guanwu.contracts.declaration import DeclarationDocument
from guanwu.contracts.envelope import Envelope
from guanwu.contracts.events import (
    BondedListSynced,
    DeclarationSynced,
    DeclarationSyncedIn,
    DeclarationUpdated,
)
from guanwu.contracts.events.base import Event
from guanwu.customs.rules import Finding, Level
from guanwu.declaration.domain.bonded_lists import kept, synced_bonded_list_id
from guanwu.declaration.domain.model import Declaration, validate
from guanwu.declaration.domain.synced import apply_sync, synced_declaration_id, synced_in
from guanwu.declaration.service_layer.handlers import SOURCE
from guanwu.declaration.service_layer.handlers.reactions import Outcome, apply_step, replay_parked
from guanwu.declaration.service_layer.unit_of_work import DeclarationUnitOfWork
from guanwu.platform.clock import Clock
from guanwu.platform.events import caused_by
from guanwu.platform.ids import deterministic_id
from guanwu.platform.store.port import ConcurrencyConflict

Synced = tuple[Envelope, DeclarationSynced]


def stage_checks(document: DeclarationDocument) -> list[Finding]:
    return validate(document, Level.STAGE)


async def sync_declarations(
    items: Sequence[tuple[Envelope, Event]], *, uow: DeclarationUnitOfWork, clock: Clock, attempts: int
) -> None:
    """A batch of DeclarationSynced, tenant by tenant."""
    by_tenant: dict[str, list[Synced]] = defaultdict(list)
    for envelope, event in items:
        assert isinstance(event, DeclarationSynced)
        by_tenant[envelope.tenant].append((envelope, event))
    for tenant, synced in by_tenant.items():
        await _sync_tenant(tenant, synced, uow=uow, clock=clock, attempts=attempts)


async def _sync_tenant(
    tenant: str, items: list[Synced], *, uow: DeclarationUnitOfWork, clock: Clock, attempts: int
) -> None:
    known = await uow.declarations.by_seq_no(tenant, sorted({event.seq_no for _, event in items}))
    client_seq_nos = {e.client_seq_no for _, e in items if e.client_seq_no and e.seq_no not in known}
    by_client = (
        await uow.declarations.by_client_seq_no(tenant, sorted(client_seq_nos)) if client_seq_nos else {}
    )
    times = Counter(event.seq_no for _, event in items)

    def unknown(event: DeclarationSynced) -> bool:
        matched = event.seq_no in known or (event.client_seq_no or "") in by_client
        return not matched and times[event.seq_no] == 1

    now = clock()
    fresh = [(envelope, event) for envelope, event in items if unknown(event)]
    writes = [
        uow.declarations.add(*_made_outside(envelope, event, now), once=True) for envelope, event in fresh
    ]
    await uow.commit()
    stored = {event.seq_no for (_, event), write in zip(fresh, writes, strict=True) if write.stored}
    if stored:
        entry_ids = [e.entry_id for _, e in fresh if e.seq_no in stored and e.entry_id]
        await replay_parked(tenant, sorted(stored), entry_ids, uow=uow, clock=clock, attempts=attempts)
    for envelope, event in items:
        if event.seq_no not in stored:
            await sync_declaration(envelope, event, uow=uow, clock=clock, attempts=attempts)


async def sync_declaration(
    envelope: Envelope, event: DeclarationSynced, *, uow: DeclarationUnitOfWork, clock: Clock, attempts: int
) -> Outcome:
    """One DeclarationSynced: a new declaration made outside guanwu, or a newer record of a known one."""
    find = partial(_find, uow, envelope.tenant, event)
    now = clock()
    if await find() is None:
        write = uow.declarations.add(*_made_outside(envelope, event, now), once=True)
        await uow.commit()
        if write.stored:
            await _replay(envelope.tenant, event, uow=uow, clock=clock, attempts=attempts)
            return Outcome.CHANGED
    step = partial(apply_sync, event=event, check=stage_checks, now=now)
    job = f" job {event.job_id}" if event.job_id else ""
    cause = f"数据同步 single window sw_version {event.sw_version}{job}"
    outcome = await apply_step(
        envelope, find, step, cause, uow=uow, attempts=attempts, other_change=DeclarationUpdated
    )
    if outcome is Outcome.CHANGED:
        await _replay(envelope.tenant, event, uow=uow, clock=clock, attempts=attempts)
    return outcome


async def _find(uow: DeclarationUnitOfWork, tenant: str, event: DeclarationSynced) -> Declaration | None:
    """The declaration a synced record names: by 统一编号, by the ClientSeqNo guanwu sent, or the one an earlier
    record of it made (its 统一编号 may have been edited here)."""
    found = (await uow.declarations.by_seq_no(tenant, [event.seq_no])).get(event.seq_no)
    if found is None and event.client_seq_no:
        found = (await uow.declarations.by_client_seq_no(tenant, [event.client_seq_no])).get(
            event.client_seq_no
        )
    if found is None:
        found = await uow.declarations.get(tenant, synced_declaration_id(tenant, event.seq_no))
    return found


def _made_outside(
    envelope: Envelope, event: DeclarationSynced, now: datetime
) -> tuple[Declaration, list[tuple[str, Envelope]]]:
    """The new declaration and its announcement (ids derived from the record, so a redelivery adds nothing)."""
    tenant = envelope.tenant
    declaration = synced_in(
        event,
        check=stage_checks,
        declaration_id=synced_declaration_id(tenant, event.seq_no),
        tenant=tenant,
        now=now,
    )
    announcement = declaration.summary(
        DeclarationSyncedIn,
        sw_version=event.sw_version,
        job_id=event.job_id,
        enterprise_category=event.enterprise_category,
    )
    event_id = deterministic_id(DeclarationSyncedIn.event_type, tenant, declaration.declaration_id)
    return declaration, [caused_by(envelope, announcement, source=SOURCE, event_id=event_id)]


async def _replay(
    tenant: str, event: DeclarationSynced, *, uow: DeclarationUnitOfWork, clock: Clock, attempts: int
) -> None:
    entry_ids = [event.entry_id] if event.entry_id else []
    await replay_parked(tenant, [event.seq_no], entry_ids, uow=uow, clock=clock, attempts=attempts)


async def keep_bonded_lists(
    items: Sequence[tuple[Envelope, Event]], *, uow: DeclarationUnitOfWork, clock: Clock
) -> None:
    """A batch of BondedListSynced: each list at the newest version seen (one read, one write per list)."""
    newest: dict[tuple[str, str], BondedListSynced] = {}
    for envelope, event in items:
        assert isinstance(event, BondedListSynced)
        key = (envelope.tenant, event.seq_no)
        if key not in newest or event.sw_version > newest[key].sw_version:
            newest[key] = event
    stored = await uow.bonded_lists.stored(list(newest))
    now = clock()
    inserts = []
    for (tenant, seq_no), event in newest.items():
        current = stored.get(synced_bonded_list_id(tenant, seq_no))
        newer = kept(current, event, tenant=tenant, now=now)
        if newer is None:
            continue
        if current is None:
            inserts.append(uow.bonded_lists.add(newer, once=True))
        else:
            uow.bonded_lists.save(newer)
    await uow.commit()
    if not all(write.stored for write in inserts):
        # Stored by someone else since it was read: the bus hands each event over again, to be compared with it.
        raise ConcurrencyConflict(uow.bonded_lists.collection.name, "batch", 0)
