"""A tenant's auto-registration rules in the document store: one document per tenant (its id is the tenant),
written whole by the rules API. No events ride on it, so it needs no outbox; the last PUT wins."""

from __future__ import annotations

from datetime import datetime

from guanwu.anomaly.domain.rules import RegistrationRule, RegistrationRules
from guanwu.platform.store.port import Collection, DocumentStore


class RulesStore:
    collection_name = "anomaly_rules"

    def __init__(self, store: DocumentStore) -> None:
        self.collection: Collection = store.collection(self.collection_name)

    async def get(self, tenant: str) -> RegistrationRules | None:
        """The tenant's own rules, or None when it follows the settings' rules."""
        doc = await self.collection.get(tenant)
        if doc is None or doc.get("tenant") != tenant:
            return None
        return RegistrationRules.model_validate({**doc, "source": "tenant"})

    async def put(
        self, tenant: str, rules: list[RegistrationRule], *, by: str, at: datetime
    ) -> RegistrationRules:
        stored = RegistrationRules(rules=rules, source="tenant", updated_by=by, updated_at=at)
        await self.collection.upsert(
            {"_id": tenant, "tenant": tenant, **stored.model_dump(mode="json", exclude={"source"})}
        )
        return stored

    async def remove(self, tenant: str) -> None:
        await self.collection.delete(tenant)
