"""The enterprises whose receipts sync polls: the configured ones, then every tenant that declared through guanwu.

A tenant is learned from the DeclarationDeclareRequested events sync keeps and stored, so an enterprise that
starts declaring is followed without a restart (and still after one). Receipts of an enterprise that never
declared through guanwu (e.g. 删单 of a declaration filed elsewhere) need it in the configured list.
"""

from __future__ import annotations

from guanwu.platform.idempotency import insert_once
from guanwu.platform.store.port import Collection, DocumentStore

TENANTS = "sync_tenants"


class SyncTenants:
    def __init__(self, store: DocumentStore, configured: list[str]) -> None:
        self.collection: Collection = store.collection(TENANTS)
        self.configured = list(dict.fromkeys(configured))
        self._known: set[str] = set()  # learned in this process: skips a write per event

    async def learn(self, tenant: str) -> None:
        if tenant in self._known:
            return
        await insert_once(self.collection, {"_id": tenant, "tenant": tenant})
        self._known.add(tenant)

    async def all(self) -> list[str]:
        """Configured first, then learned ones by name; each once."""
        learned = [str(doc["_id"]) for doc in await self.collection.find({}, sort=[("_id", 1)])]
        return list(dict.fromkeys([*self.configured, *learned]))
