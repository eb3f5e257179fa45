"""The collections sync owns, each behind its repository (writes are staged in the unit of work)."""

from __future__ import annotations

from datetime import datetime
from typing import Protocol, TypeVar, cast

from pydantic import BaseModel

from guanwu.platform.refusal import Noun
from guanwu.platform.store.port import Document
from guanwu.platform.unit_of_work import Repository
from guanwu.sync.domain.receipts import KnownTenant, ReceiptCursor, ReceivedReceipt
from guanwu.sync.domain.records import DeclareRecord, State, stamp

A = TypeVar("A", bound=BaseModel)


class Identified(Protocol):
    @property
    def id(self) -> str: ...


class SyncRepository(Repository[A]):
    """Sync's aggregates derive their document id from what they hold (`id`), so a redelivery finds it."""

    def id_of(self, aggregate: A) -> str:
        return cast(Identified, aggregate).id


class DeclareRecordRepository(SyncRepository[DeclareRecord]):
    collection_name = "sync_declarations"
    noun = Noun("sync.declare_record", "申报记录", "declare record")
    model = DeclareRecord
    indexes = ([("tenant", 1), ("declaration_id", 1)], [("state", 1), ("updated_at", 1)])

    def to_document(self, aggregate: DeclareRecord) -> Document:
        # What is not known yet is left out, not stored as null (the documents kept their shape).
        return {
            "_id": aggregate.id,
            **aggregate.model_dump(mode="json", exclude={"version"}, exclude_none=True),
        }

    async def ready_before(self, cutoff: datetime, limit: int) -> list[DeclareRecord]:
        """Complete records left unsent (the Single Window was down) and untouched since `cutoff`."""
        docs = await self.collection.find(
            {"state": State.READY.value, "updated_at": {"$lt": stamp(cutoff)}}, limit=limit
        )
        return [self.from_document(doc) for doc in docs]

    async def for_declaration(self, tenant: str, declaration_id: str) -> list[DeclareRecord]:
        """Every request of one declaration, newest first (a declaration returned by customs is declared again)."""
        docs = await self.collection.find(
            {"tenant": tenant, "declaration_id": declaration_id}, sort=[("created_at", -1)]
        )
        return [self.from_document(doc) for doc in docs]


class ReceiptRepository(SyncRepository[ReceivedReceipt]):
    collection_name = "sync_receipts"
    noun = Noun("sync.receipt", "回执", "receipt")
    model = ReceivedReceipt
    indexes = ([("tenant", 1), ("entry_id", 1)],)

    async def count(self, tenant: str) -> int:
        return await self.collection.count({"tenant": tenant})


class ReceiptCursorRepository(SyncRepository[ReceiptCursor]):
    collection_name = "sync_cursors"
    noun = Noun("sync.cursor", "回执读取位置", "receipt cursor")
    model = ReceiptCursor

    async def of(self, tenant: str) -> ReceiptCursor:
        """Where the tenant's feed was read up to; a new cursor at 0 when it never was."""
        return await self.get(tenant, ReceiptCursor(tenant=tenant).id) or ReceiptCursor(tenant=tenant)


class KnownTenantRepository(SyncRepository[KnownTenant]):
    collection_name = "sync_tenants"
    noun = Noun("sync.tenant", "企业", "tenant")
    model = KnownTenant

    async def names(self) -> list[str]:
        return [str(doc["_id"]) for doc in await self.collection.find({}, sort=[("_id", 1)])]
