"""The collections of sync jobs (F-44): the jobs, the records they synced, and the items they quarantined."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from guanwu.contracts.sync import SyncJobState, SyncKind
from guanwu.platform.refusal import Noun
from guanwu.sync.adapters.repositories import SyncRepository
from guanwu.sync.domain.jobs import JOB, SyncJob
from guanwu.sync.domain.records import stamp
from guanwu.sync.domain.synced import QuarantinedItem, SyncedRecord, synced_record_id


class SyncJobRepository(SyncRepository[SyncJob]):
    """Outbox collection: a job's events ride on its writes (SyncRequested, SyncStarted, SyncProgressed…)."""

    collection_name = "sync_jobs"
    noun = JOB
    model = SyncJob
    indexes = ([("tenant", 1), ("created_at", -1)], [("state", 1), ("lease_until", 1)])

    async def search(
        self, tenant: str, *, state: SyncJobState | None, kind: SyncKind | None, skip: int, limit: int
    ) -> tuple[int, list[SyncJob]]:
        """The tenant's jobs, newest first."""
        where: dict[str, Any] = {"tenant": tenant}
        if state is not None:
            where["state"] = state
        if kind is not None:
            where["criteria.kind"] = kind
        return await self.page(where, sort=[("created_at", -1), ("_id", 1)], skip=skip, limit=limit)

    async def claimable(self, now: datetime, limit: int) -> list[SyncJob]:
        """Jobs of every tenant a runner may take, oldest first: queued ones, then running ones whose lease
        ran out (their runner stopped)."""
        queued = await self.collection.find({"state": "queued"}, sort=[("created_at", 1)], limit=limit)
        orphaned = await self.collection.find(
            {"state": "running", "lease_until": {"$lt": stamp(now)}}, sort=[("lease_until", 1)], limit=limit
        )
        return [self.from_document(doc) for doc in [*queued, *orphaned][:limit]]


class SyncedRecordRepository(SyncRepository[SyncedRecord]):
    """Outbox collection: DeclarationSynced / BondedListSynced ride on the record's write."""

    collection_name = "sync_records"
    noun = Noun("sync.record", "同步记录", "synced record")
    model = SyncedRecord

    async def kept(self, tenant: str, kind: SyncKind, seq_nos: Sequence[str]) -> dict[str, SyncedRecord]:
        """The records kept of these 统一编号, by 统一编号 (one round trip)."""
        ids = list(dict.fromkeys(synced_record_id(tenant, kind, seq_no) for seq_no in seq_nos))
        docs = await self.collection.get_many(ids) if ids else []
        records = (self.from_document(doc) for doc in docs)
        return {r.seq_no: r for r in records if r.tenant == tenant}


class QuarantineRepository(SyncRepository[QuarantinedItem]):
    collection_name = "sync_job_quarantine"
    noun = Noun("sync.quarantined_item", "隔离记录", "quarantined item")
    model = QuarantinedItem
    indexes = ([("tenant", 1), ("job_id", 1), ("at", 1)],)

    async def of_job(
        self, tenant: str, job_id: str, *, skip: int, limit: int
    ) -> tuple[int, list[QuarantinedItem]]:
        return await self.page(
            {"tenant": tenant, "job_id": job_id}, sort=[("at", 1), ("_id", 1)], skip=skip, limit=limit
        )
