"""Review's declaration history and audit on the real stores: FerretDB (distributed) and SQLite (embedded).
The history is read by consignee and HS code through an array field ($in on `hs_codes`), the audit by a
range of fixed-width UTC text; both must answer the same on both stores."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pymongo
import pytest

from guanwu.contracts.events import DeclarationStatusChanged, FieldMarked
from guanwu.customs.fixtures.declarations import import_general
from guanwu.platform.events import envelope_for
from guanwu.platform.store.mongo import MongoDocumentStore
from guanwu.platform.store.port import DocumentStore
from guanwu.platform.store.sqlite import SqliteDocumentStore
from guanwu.review.adapters_advanced import AuditLog, DeclarationHistory
from guanwu.review.domain.audit import AuditSearch, audit_record
from guanwu.review.domain.history import consignee_of, history_row

T0 = datetime(2026, 11, 2, 3, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def database(mongo_url: str) -> Iterator[str]:
    name = f"guanwu_review_{uuid.uuid4().hex[:8]}"
    yield name
    client: pymongo.MongoClient[dict[str, object]] = pymongo.MongoClient(mongo_url)
    try:
        client.drop_database(name)
    finally:
        client.close()


@pytest.fixture(params=["ferretdb", "sqlite"])
async def store(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[DocumentStore]:
    if request.param == "ferretdb":
        opened: DocumentStore = MongoDocumentStore(
            request.getfixturevalue("mongo_url"), request.getfixturevalue("database")
        )
    else:
        opened = SqliteDocumentStore(tmp_path)
    yield opened
    await opened.close()


def declared(
    declaration_id: str, *, code: str, price: str, day: int, tenant: str = "acme", status: str = "放行"
):
    document = import_general()
    goods = [document.goods[0].model_copy(update={"code_ts": code, "decl_price": Decimal(price)})]
    event = DeclarationStatusChanged(
        declaration_id=declaration_id,
        version=4,
        ie_flag="I",
        status=status,
        document=document.model_copy(update={"goods": goods}),
    )
    _, envelope = envelope_for(event, source="/guanwu/declaration", tenant=tenant)
    return history_row(envelope.model_copy(update={"time": T0 + timedelta(days=day)}), event)


async def test_the_history_finds_the_consignees_declarations_by_hs_code_newest_first(
    store: DocumentStore,
) -> None:
    history = DeclarationHistory(store)
    history.collection = store.collection(f"review_history_{uuid.uuid4().hex[:8]}")
    await history.ensure_indexes()
    rows = [
        declared("a", code="9018129100", price="10", day=1),
        declared("b", code="9018129100", price="11", day=3),
        declared("c", code="8471300000", price="12", day=2),
        declared("d", code="9018129100", price="13", day=4, status="审核退回"),
        declared("e", code="9018129100", price="14", day=5, tenant="other"),
        declared("under-review", code="9018129100", price="15", day=6),
    ]
    assert await history.learn(rows) == 6
    assert await history.learn(rows[:1]) == 0  # a redelivery changes nothing
    consignee = consignee_of(import_general())
    assert consignee is not None
    found = await history.earlier(
        "acme",
        consignee=consignee,
        ie_flag="I",
        hs_codes=["9018129100", "0000000000"],
        besides="under-review",
    )
    assert [r.declaration_id for r in found] == ["b", "a"]
    assert found[0].lines[0].price == Decimal("11")
    both = await history.earlier(
        "acme", consignee=consignee, ie_flag="I", hs_codes=["9018129100", "8471300000"], besides="x"
    )
    assert [r.declaration_id for r in both] == ["under-review", "b", "c", "a"]


async def test_the_audit_of_a_reviewer_over_china_time_days(store: DocumentStore) -> None:
    audit = AuditLog(store)
    audit.collection = store.collection(f"review_audit_{uuid.uuid4().hex[:8]}")
    await audit.ensure_indexes()
    records = []
    # 2026-11-01 23:30 China time is 15:30 UTC that day; 2026-11-02 00:30 China time is 16:30 UTC on the 1st.
    for index, moment in enumerate(
        (datetime(2026, 11, 1, 15, 30, tzinfo=UTC), datetime(2026, 11, 1, 16, 30, tzinfo=UTC))
    ):
        event = FieldMarked(
            review_id="r",
            declaration_id="d1",
            declaration_version=2,
            task_version=index + 2,
            field_path=f"goods[{index}].g_qty",
            state_before="unmarked",
            state_after="wrong",
            reviewer="li",
            marked_at=moment,
        )
        _, envelope = envelope_for(event, source="/guanwu/review", tenant="acme")
        record = audit_record(envelope, event)
        assert record is not None
        records.append(record)
    assert await audit.record(records) == 2
    assert await audit.record(records) == 0
    total, items = await audit.page(
        "acme", AuditSearch(reviewer="li", day_from=date(2026, 11, 2), day_to=date(2026, 11, 2)),
        skip=0, limit=10, newest_first=False,
    )  # fmt: skip
    assert total == 1 and items[0].field_path == "goods[1].g_qty"
    everything = [r async for r in audit.each("acme", AuditSearch(declaration_id="d1"), newest_first=True)]
    assert [r.field_path for r in everything] == ["goods[1].g_qty", "goods[0].g_qty"]
