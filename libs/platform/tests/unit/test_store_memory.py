"""The in-memory store passes the document store contract."""

from __future__ import annotations

from contract.store_contract import StoreContract
from guanwu.platform.store.memory import MemoryDocumentStore
from guanwu.platform.store.port import DocumentStore


class TestMemoryStore(StoreContract):
    async def make_store(self) -> DocumentStore:
        return MemoryDocumentStore()
