"""打印 on FerretDB (the distributed store): the document a declaration event brought comes back from Mongo with
every amount exact, and prints with the receipts' notices."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pymongo
import pytest
from printing_support import pdf_pages
from query_declarations import _envelope, project

from guanwu.contracts.events import DeclarationDrafted, ReceiptReceived
from guanwu.customs import fixtures
from guanwu.customs.printing import NoticeReceipt, render_declaration, render_notices
from guanwu.platform.store.mongo import MongoDocumentStore
from guanwu.query.adapters.declarations import DeclarationReadModel
from guanwu.query.adapters.history import HistoryReadModel

T0 = datetime(2026, 3, 1, 1, tzinfo=UTC)


@pytest.fixture
async def store(mongo_url: str) -> AsyncIterator[MongoDocumentStore]:
    name = f"guanwu_query_print_{uuid.uuid4().hex[:8]}"
    store = MongoDocumentStore(mongo_url, name)
    yield store
    await store.close()
    with pymongo.MongoClient(mongo_url) as client:
        client.drop_database(name)


async def test_a_document_read_back_from_ferretdb_prints_as_the_original(
    store: MongoDocumentStore, tmp_path: Path
) -> None:
    model = DeclarationReadModel(store)
    history = HistoryReadModel(store, model)
    await model.ensure_indexes()
    await history.ensure_indexes()
    original = fixtures.fifty_line_export()
    head = original.head.model_copy(
        update={"gross_wet": Decimal("12345.67891"), "fee_rate": Decimal("0.00001")}
    )
    original = original.model_copy(update={"head": head})
    drafted = DeclarationDrafted(
        declaration_id="d1",
        version=1,
        ie_flag="E",
        status="草稿",
        entry_id="311120260000000042",
        document=original,
    )
    receipt = ReceiptReceived(
        receipt_id="r1", channel="C", declaration_id="d1", notice_date=T0, note="查验：请到北仑查验场配合"
    )
    await project(model, history, [_envelope(drafted, T0), _envelope(receipt, T0)])
    document = await model.load_document("acme", "d1")
    assert document == original
    assert render_declaration(document) == render_declaration(original)
    assert "12345.67891" in "".join(pdf_pages(render_declaration(document), tmp_path))
    receipts = [
        NoticeReceipt(e.channel, e.at, e.note, e.entry_id, e.seq_no)
        for e in await history.list("acme", "d1")
        if e.kind == "receipt" and e.channel
    ]
    [page] = pdf_pages(render_notices(receipts, document), tmp_path)
    assert "查验通知书" in page and "北仑查验场" in page and "2026-03-0109:00:00" in page
