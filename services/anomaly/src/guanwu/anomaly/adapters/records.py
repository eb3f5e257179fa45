"""Anomaly records in the document store. Every read is scoped to a tenant here, not only in routes."""

from __future__ import annotations

from functools import partial
from typing import Any, Protocol

from guanwu.anomaly.domain.records import Anomaly, AnomalySearch, AnomalyType, HandlingStatus
from guanwu.platform.refusal import Noun
from guanwu.platform.store.port import DocumentStore
from guanwu.platform.unit_of_work import Events, Repository, UnitOfWork, Write


class Registrations(Protocol):
    """Hears of every record a commit stored as new (metrics listen here)."""

    def registered(self, anomaly: Anomaly) -> None: ...


class _Unheard:
    def registered(self, anomaly: Anomaly) -> None:
        return None


class AnomalyRepository(Repository[Anomaly]):
    """Besides the records, it reports each record a commit stored as new to `registrations` (a redelivered
    receipt's, which found its record, is not)."""

    collection_name = "anomaly_records"
    noun = Noun("anomaly", "异常记录", "anomaly record")
    model = Anomaly
    indexes = (
        [("tenant", 1), ("document_no", 1)],
        [("tenant", 1), ("occurred_on", -1)],
        [("anomaly_type", 1), ("handling_status", 1)],  # the background count (metrics) reads this index only
    )

    def __init__(
        self, store: DocumentStore, uow: UnitOfWork, registrations: Registrations | None = None
    ) -> None:
        super().__init__(store, uow)
        self._registrations = registrations or _Unheard()

    def id_of(self, aggregate: Anomaly) -> str:
        return aggregate.anomaly_id

    def add(self, aggregate: Anomaly, events: Events = (), *, once: bool = False) -> Write:
        write = super().add(aggregate, events, once=once)
        write.when_stored(partial(self._registrations.registered, aggregate))
        return write

    async def count_by_type_and_status(self) -> dict[tuple[AnomalyType, HandlingStatus], int]:
        """How many records each type and handling status have, over all tenants (operators' metrics).

        Choices: one count per pair on their index rather than a grouped count in the store: the store port
        has no grouping, the pairs are a short closed list (5 x 3), and a pair with no record is counted 0
        rather than missing."""
        return {
            (kind, status): await self.collection.count(
                {"anomaly_type": kind.value, "handling_status": status.value}
            )
            for kind in AnomalyType
            for status in HandlingStatus
        }

    async def search(
        self, tenant: str, criteria: AnomalySearch, *, skip: int, limit: int
    ) -> tuple[int, list[Anomaly]]:
        """One page of the tenant's records matching `criteria`, newest occurrence first."""
        return await self.page(
            _filter(tenant, criteria),
            sort=[("occurred_on", -1), ("registered_at", -1)],
            skip=skip,
            limit=limit,
        )


def _filter(tenant: str, criteria: AnomalySearch) -> dict[str, Any]:
    # Dates are stored as ISO text, whose order is the dates' order.
    occurred = {
        op: day.isoformat()
        for op, day in (("$gte", criteria.occurred_from), ("$lte", criteria.occurred_to))
        if day is not None
    }
    fields = {
        "category": criteria.category,
        "document_no": criteria.document_no,
        "anomaly_type": criteria.anomaly_type,
        "handling_status": criteria.handling_status,
        "occurred_on": occurred or None,
    }
    return {"tenant": tenant, **{name: value for name, value in fields.items() if value is not None}}
