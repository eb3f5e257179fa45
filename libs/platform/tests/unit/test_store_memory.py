"""The in-memory store passes the document store contract."""

from __future__ import annotations

import pytest

pytest.register_assert_rewrite("contract.store_contract")

from contract.store_contract import StoreContract  # noqa: E402

from guanwu.platform.store.memory import MemoryDocumentStore  # noqa: E402
from guanwu.platform.store.port import DocumentStore  # noqa: E402


class TestMemoryStore(StoreContract):
    async def make_store(self) -> DocumentStore:
        return MemoryDocumentStore()
