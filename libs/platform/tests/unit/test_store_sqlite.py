"""The SQLite store passes the document store contract, keeps data across reopen and kill, and uses its indexes."""

from __future__ import annotations

from pathlib import Path

import pytest

pytest.register_assert_rewrite("contract.store_contract")

from contract.store_contract import StoreContract  # noqa: E402
from guanwu.platform.store.port import DocumentStore  # noqa: E402
from guanwu.platform.store.sqlite import SqliteDocumentStore  # noqa: E402


class TestSqliteStore(StoreContract):
    @pytest.fixture(autouse=True)
    def _folder(self, tmp_path: Path) -> None:
        self.folder = tmp_path / "data"

    async def make_store(self) -> DocumentStore:
        return SqliteDocumentStore(self.folder)
