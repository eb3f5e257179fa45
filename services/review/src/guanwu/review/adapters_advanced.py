"""The document-store side of 高级审核, 发送 and 审核留痕: review's declaration history, the audit records and
the tenants' review settings.

History and audit are read models: they publish nothing, so they need no unit of work; every write carries
its own guard (the declaration's version, an id derived from the event).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from typing import Any

from guanwu.platform.idempotency import ProjectionRow, apply_many_if_newer
from guanwu.platform.store.port import Collection, DocumentStore
from guanwu.review.domain.audit import AuditRecord, AuditSearch, audit_filter, stored
from guanwu.review.domain.history import HistoryRecord
from guanwu.review.domain.sending import TenantReviewSettings

HISTORY_LIMIT = 500
"""The newest earlier declarations a comparison reads (of one consignee and the line's HS codes)."""
EXPORT_PAGE = 1000


class DeclarationHistory:
    """`review_declaration_history`: one row per declaration, found by tenant, consignee and HS code."""

    collection_name = "review_declaration_history"

    def __init__(self, store: DocumentStore) -> None:
        self.collection: Collection = store.collection(self.collection_name)

    async def ensure_indexes(self) -> None:
        await self.collection.ensure_index([("tenant", 1), ("consignee", 1), ("hs_codes", 1)])

    async def learn(self, rows: Sequence[ProjectionRow]) -> int:
        """Keep the rows newer than what is stored; returns how many changed."""
        return await apply_many_if_newer(self.collection, rows)

    async def earlier(
        self, tenant: str, *, consignee: str, ie_flag: str, hs_codes: Sequence[str], besides: str
    ) -> list[HistoryRecord]:
        """The consignee's counted declarations (not `besides`) of the same direction using one of the codes,
        newest first, at most HISTORY_LIMIT."""
        if not hs_codes:
            return []
        docs = await self.collection.find(
            {
                "tenant": tenant,
                "consignee": consignee,
                "hs_codes": {"$in": sorted(set(hs_codes))},
                "ie_flag": ie_flag,
                "counted": True,
                "declaration_id": {"$ne": besides},
            },
            sort=[("documented_at", -1)],
            limit=HISTORY_LIMIT,
        )
        return [HistoryRecord.model_validate(doc) for doc in docs]


class AuditLog:
    """`review_audit`: one record per review event (and per 发送), read per declaration or reviewer."""

    collection_name = "review_audit"

    def __init__(self, store: DocumentStore) -> None:
        self.collection: Collection = store.collection(self.collection_name)

    async def ensure_indexes(self) -> None:
        await self.collection.ensure_index([("tenant", 1), ("declaration_id", 1), ("at", 1)])
        await self.collection.ensure_index([("tenant", 1), ("reviewer", 1), ("at", 1)])
        await self.collection.ensure_index([("tenant", 1), ("at", 1)])

    async def record(self, records: Sequence[AuditRecord]) -> int:
        """Insert the records not there yet (a redelivered event's id is taken); returns how many were new."""
        return sum(await self.collection.insert_many([stored(r) for r in records]))

    async def page(
        self, tenant: str, search: AuditSearch, *, skip: int, limit: int, newest_first: bool
    ) -> tuple[int, list[AuditRecord]]:
        query = audit_filter(tenant, search)
        order = -1 if newest_first else 1
        total = await self.collection.count(query)
        docs = await self.collection.find(query, sort=_sort(order), skip=skip, limit=limit)
        return total, [AuditRecord.model_validate(doc) for doc in docs]

    async def each(
        self, tenant: str, search: AuditSearch, *, newest_first: bool
    ) -> AsyncIterator[AuditRecord]:
        """Every matching record, a page at a time (an export of any length in constant memory)."""
        query = audit_filter(tenant, search)
        skip = 0
        while True:
            docs = await self.collection.find(
                query, sort=_sort(-1 if newest_first else 1), skip=skip, limit=EXPORT_PAGE
            )
            for doc in docs:
                yield AuditRecord.model_validate(doc)
            if len(docs) < EXPORT_PAGE:
                return
            skip += EXPORT_PAGE


def _sort(order: int) -> list[tuple[str, int]]:
    return [("at", order), ("_id", order)]


class ReviewSettingsStore:
    """`review_settings`: one document per tenant (its id is the tenant)."""

    collection_name = "review_settings"

    def __init__(self, store: DocumentStore) -> None:
        self.collection: Collection = store.collection(self.collection_name)

    async def load(self, tenant: str) -> TenantReviewSettings:
        doc = await self.collection.get(tenant)
        return TenantReviewSettings.model_validate(doc) if doc else TenantReviewSettings(tenant=tenant)

    async def save(self, settings: TenantReviewSettings) -> None:
        doc: dict[str, Any] = {"_id": settings.tenant, **settings.model_dump(mode="json")}
        await self.collection.upsert(doc)
