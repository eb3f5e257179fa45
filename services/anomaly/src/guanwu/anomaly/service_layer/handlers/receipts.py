"""Auto-registration (F-22): customs receipts become anomaly records by the tenant's rules, filled from what
the service learned of the declarations and 核注清单 (`domain.rules`, `domain.documents`)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence

from guanwu.anomaly.domain.documents import KnownDocument, best_match, bonded_list_row, declaration_row
from guanwu.anomaly.domain.records import AnomalyCategory, AnomalyType, registered, registered_event_id
from guanwu.anomaly.domain.rules import (
    CATEGORY_OF_KIND,
    Receipt,
    ReceiptKind,
    RegistrationRules,
    RuleTable,
    anomaly_for_receipt,
    numbers_of,
    receipt_key,
    rule_table,
)
from guanwu.anomaly.service_layer.handlers import SOURCE
from guanwu.anomaly.service_layer.unit_of_work import AnomalyUnitOfWork
from guanwu.contracts.envelope import Envelope
from guanwu.contracts.events import BondedListReceiptReceived, DeleteReceiptReceived, ReceiptReceived
from guanwu.contracts.events.base import Event
from guanwu.platform.clock import Clock
from guanwu.platform.events import caused_by


async def register_anomalies_for_receipts(
    items: Sequence[tuple[Envelope, Event]],
    *,
    uow: AnomalyUnitOfWork,
    clock: Clock,
    defaults: RegistrationRules,
) -> list[bool]:
    """At most one record per receipt, by the rule its tenant has for the receipt's kind and code (none: no
    record). The record's id derives from the tenant and the receipt id, so a redelivered receipt (also twice
    in one batch) finds its record there. One store write for the batch; returns, per receipt, whether it made
    a new record."""
    tables: dict[str, RuleTable] = {}
    matched: list[tuple[int, Envelope, Receipt, ReceiptKind, AnomalyType]] = []
    for position, (envelope, event) in enumerate(items):
        assert isinstance(event, DeleteReceiptReceived | ReceiptReceived | BondedListReceiptReceived)
        key = receipt_key(event)
        if key is None:
            continue
        if envelope.tenant not in tables:
            tables[envelope.tenant] = rule_table(await uow.rules.get(envelope.tenant) or defaults)
        anomaly_type = tables[envelope.tenant].get(key)
        if anomaly_type is not None:
            matched.append((position, envelope, event, key[0], anomaly_type))
    known = await _known_documents(uow, [(e.tenant, r, k) for _, e, r, k, _ in matched])
    now = clock()
    writes = {}
    for index, (position, envelope, receipt, kind, anomaly_type) in enumerate(matched):
        anomaly = anomaly_for_receipt(
            receipt,
            kind=kind,
            anomaly_type=anomaly_type,
            tenant=envelope.tenant,
            known=known.get(index),
            now=now,
        )
        announced = caused_by(
            envelope, registered(anomaly), source=SOURCE, event_id=registered_event_id(anomaly.anomaly_id)
        )
        writes[position] = uow.anomalies.add(anomaly, [announced], once=True)
    if writes:
        await uow.commit()
    return [position in writes and writes[position].stored for position in range(len(items))]


async def _known_documents(
    uow: AnomalyUnitOfWork, receipts: list[tuple[str, Receipt, ReceiptKind]]
) -> dict[int, KnownDocument]:
    """What the lookup knows of each receipt's document, by the receipt's index in `receipts` (tenant,
    receipt, kind): two indexed reads per tenant and category."""
    wanted: dict[tuple[str, AnomalyCategory], list[int]] = defaultdict(list)
    for index, (tenant, _, kind) in enumerate(receipts):
        wanted[tenant, CATEGORY_OF_KIND[kind]].append(index)
    found: dict[int, KnownDocument] = {}
    for (tenant, category), indexes in wanted.items():
        named = [numbers_of(receipts[i][1]) for i in indexes]
        documents = await uow.documents.named(
            tenant,
            category,
            numbers=[number for number, _ in named if number],
            seq_nos=[seq_no for _, seq_no in named if seq_no],
        )
        for index, (number, seq_no) in zip(indexes, named, strict=True):
            match = best_match(documents, number, seq_no)
            if match is not None:
                found[index] = match
    return found


async def learn_declarations(items: Sequence[tuple[Envelope, Event]], *, uow: AnomalyUnitOfWork) -> int:
    """Keep what declaration events say of each declaration (numbers, 境内收发货人, 进出口); returns how many
    rows changed (an older or repeated event changes none)."""
    return await uow.documents.learn([declaration_row(envelope, event) for envelope, event in items])


async def learn_bonded_lists(items: Sequence[tuple[Envelope, Event]], *, uow: AnomalyUnitOfWork) -> int:
    """Keep what synced 核注清单 say of themselves (numbers, 经营企业, 进出口)."""
    return await uow.documents.learn([bonded_list_row(envelope, event) for envelope, event in items])
