"""Anomaly records in the document store. Every read is scoped to a tenant here, not only in routes; a deleted
record stays in the store (audit) but no read here finds it."""

from __future__ import annotations

from collections.abc import AsyncIterator
from functools import partial
from typing import Any, Protocol

from guanwu.anomaly.domain.records import (
    Anomaly,
    AnomalyOrder,
    AnomalySearch,
    AnomalyType,
    HandlingStatus,
)
from guanwu.platform.refusal import Noun
from guanwu.platform.store.port import DocumentStore, SortSpec
from guanwu.platform.unit_of_work import Events, Repository, UnitOfWork, Write

LIVE = {"deleted_at": None}
"""Matches the records not deleted (None also matches the field's absence: records from before deletion)."""


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
        # The list: the tenant, then the filters people use most, each with the default order.
        [("tenant", 1), ("occurred_on", -1)],
        [("tenant", 1), ("document_no", 1)],
        [("tenant", 1), ("category", 1), ("occurred_on", -1)],
        [("tenant", 1), ("handling_status", 1), ("occurred_on", -1)],
        [("tenant", 1), ("anomaly_type", 1), ("occurred_on", -1)],
        [("tenant", 1), ("trade_name", 1)],
        [("tenant", 1), ("responsible_person", 1)],
        [("tenant", 1), ("completed_on", -1)],
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

    async def get(self, tenant: str, aggregate_id: str) -> Anomaly | None:
        """The tenant's record, None when there is none or it was deleted."""
        return await self.find_one({"_id": aggregate_id, "tenant": tenant, **LIVE})

    async def count_by_type_and_status(self) -> dict[tuple[AnomalyType, HandlingStatus], int]:
        """How many records (not deleted) each type and handling status have, over all tenants (operators'
        metrics).

        Choices: one count per pair on their index rather than a grouped count in the store: the store port
        has no grouping, the pairs are a short closed list (5 x 3), and a pair with no record is counted 0
        rather than missing."""
        return {
            (kind, status): await self.collection.count(
                {"anomaly_type": kind.value, "handling_status": status.value, **LIVE}
            )
            for kind in AnomalyType
            for status in HandlingStatus
        }

    async def search(
        self,
        tenant: str,
        criteria: AnomalySearch,
        *,
        skip: int,
        limit: int,
        order: AnomalyOrder | None = None,
    ) -> tuple[int, list[Anomaly]]:
        """One page of the tenant's records matching `criteria`, in `order` (latest occurrence first)."""
        return await self.page(
            search_filter(tenant, criteria), sort=sort_of(order or AnomalyOrder()), skip=skip, limit=limit
        )

    async def each(
        self, tenant: str, criteria: AnomalySearch, *, order: AnomalyOrder, page_size: int = 500
    ) -> AsyncIterator[Anomaly]:
        """Every match, read a page at a time (an export of any size holds one page in memory)."""
        query, sort = search_filter(tenant, criteria), sort_of(order)
        skip = 0
        while True:
            docs = await self.collection.find(query, sort=sort, skip=skip, limit=page_size)
            for doc in docs:
                yield self.from_document(doc)
            if len(docs) < page_size:
                return
            skip += page_size


def sort_of(order: AnomalyOrder) -> SortSpec:
    direction = -1 if order.descending else 1
    return [(order.field.value, direction), ("registered_at", -1), ("anomaly_id", 1)]


def search_filter(tenant: str, criteria: AnomalySearch) -> dict[str, Any]:
    """The store filter of `criteria` within `tenant`, deleted records left out."""
    fields = {
        "category": criteria.category,
        "document_no": criteria.document_no,
        "trade_name": criteria.trade_name,
        "ie_flag": criteria.ie_flag,
        "client_name": criteria.client_name,
        "anomaly_type": criteria.anomaly_type,
        "occurred_on": _between(criteria.occurred_from, criteria.occurred_to),
        "responsible_post": criteria.responsible_post,
        "responsible_person": criteria.responsible_person,
        "penalized": criteria.penalized,
        "handling_status": criteria.handling_status,
        "completed_on": _between(criteria.completed_from, criteria.completed_to),
        "_id": {"$in": list(criteria.ids)} if criteria.ids else None,
    }
    chosen = {name: value for name, value in fields.items() if value is not None}
    return {"tenant": tenant, **LIVE, **chosen}


def _between(first: Any, last: Any) -> dict[str, str] | None:
    # Dates are stored as ISO text, whose order is the dates' order.
    bounds = {op: day.isoformat() for op, day in (("$gte", first), ("$lte", last)) if day is not None}
    return bounds or None
