"""导入 (F-33) on FerretDB (the distributed store): the drafts' idempotent batch inserts (`once` → insert_many
that skips ids already taken), an interrupted import completed by the same file, and 10,000 goods lines."""

from __future__ import annotations

import hashlib
import time
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import pymongo
import pytest
from import_workbooks import filled

from guanwu.customs import fixtures
from guanwu.declaration.config import ImportLimits
from guanwu.declaration.domain.imports import ImportHasFindings, ImportState
from guanwu.declaration.service_layer.handlers.imports import ReceivedFile, import_workbook
from guanwu.declaration.service_layer.unit_of_work import DeclarationUnitOfWork
from guanwu.platform.clock import utc_now
from guanwu.platform.store.mongo import MongoDocumentStore
from guanwu.platform.store.port import Document


class Caller:
    tenant = "acme"
    user_id = "u1"


def ignore(collection: str | None = None, doc_id: str | None = None, written: Document | None = None) -> None:
    """No relay: the outbox stays where it was written."""


@pytest.fixture
async def store(mongo_url: str) -> AsyncIterator[MongoDocumentStore]:
    name = f"guanwu_declaration_{uuid.uuid4().hex[:8]}"
    store = MongoDocumentStore(mongo_url, name)
    uow = DeclarationUnitOfWork(store, ignore)
    for repository in (uow.declarations, uow.imports):
        await repository.ensure_indexes()
    yield store
    await store.close()
    client: pymongo.MongoClient[Document]
    with pymongo.MongoClient(mongo_url) as client:
        client.drop_database(name)


def received(tmp_path: Path, content: bytes) -> ReceivedFile:
    path = tmp_path / "upload.xlsx"
    path.write_bytes(content)
    return ReceivedFile(path, "upload.xlsx", hashlib.sha256(content).hexdigest(), len(content))


async def _import(
    store: MongoDocumentStore,
    file: ReceivedFile,
    limits: ImportLimits,
    uow: DeclarationUnitOfWork | None = None,
):  # type: ignore[no-untyped-def]
    return await import_workbook(
        file,
        ie_flag=None,
        caller=Caller(),
        uow=uow or DeclarationUnitOfWork(store, ignore),
        clock=utc_now,
        limits=limits,
    )


async def test_an_interrupted_import_is_completed_and_a_second_upload_creates_nothing(
    store: MongoDocumentStore, tmp_path: Path
) -> None:
    file = received(tmp_path, filled([fixtures.export_sea_general_trade() for _ in range(7)]))
    limits = ImportLimits(write_batch=3)

    class Crashing(DeclarationUnitOfWork):
        commits = 0

        async def commit(self) -> None:
            Crashing.commits += 1
            if Crashing.commits == 3:  # the record, one batch of three drafts, then the crash
                raise ConnectionError("the store went away")
            await super().commit()

    with pytest.raises(ConnectionError):
        await _import(store, file, limits, Crashing(store, ignore))
    declarations = store.collection("declaration_declarations")
    assert await declarations.count({}) == 3

    answer = await _import(store, file, limits)
    assert answer.new and answer.record.state is ImportState.COMPLETED and answer.record.written == 4
    assert await declarations.count({"tenant": "acme"}) == 7
    stored = await declarations.find({})
    assert {d["_id"] for d in stored} == set(answer.record.declaration_ids)
    assert all(d["_outbox"] for d in stored)  # each draft carries its DeclarationDrafted

    again = await _import(store, file, limits)
    assert not again.new and again.record == answer.record
    assert await declarations.count({}) == 7


async def test_one_bad_row_writes_nothing(store: MongoDocumentStore, tmp_path: Path) -> None:
    document = fixtures.export_sea_general_trade()
    bad = document.model_copy(update={"head": document.head.model_copy(update={"custom_master": "ZZZZ"})})
    file = received(tmp_path, filled([document, bad]))
    with pytest.raises(ImportHasFindings):
        await _import(store, file, ImportLimits())
    assert await store.collection("declaration_declarations").count({}) == 0
    assert await store.collection("declaration_imports").count({}) == 0


async def test_ten_thousand_goods_lines(store: MongoDocumentStore, tmp_path: Path) -> None:
    file = received(tmp_path, filled([fixtures.fifty_line_export() for _ in range(200)]))
    started = time.perf_counter()
    answer = await _import(store, file, ImportLimits())
    seconds = time.perf_counter() - started
    assert answer.record.goods_lines == 10_000
    assert await store.collection("declaration_declarations").count({"tenant": "acme"}) == 200
    print(f"\nimport of 10,000 goods lines on FerretDB: {seconds:.1f} s")
