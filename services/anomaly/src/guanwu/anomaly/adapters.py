"""Anomaly records in the document store. Every read is scoped to a tenant here, not only in routes."""

from __future__ import annotations

from typing import Any

from guanwu.anomaly.domain import Anomaly, AnomalySearch
from guanwu.platform.refusal import Noun
from guanwu.platform.unit_of_work import Repository


class AnomalyRepository(Repository[Anomaly]):
    collection_name = "anomaly_records"
    noun = Noun("anomaly", "异常记录", "anomaly record")
    model = Anomaly
    indexes = ([("tenant", 1), ("document_no", 1)], [("tenant", 1), ("occurred_on", -1)])

    def id_of(self, aggregate: Anomaly) -> str:
        return aggregate.anomaly_id

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
