"""The declaration read model keeps the summary of the newest version, whatever event carried it."""

from __future__ import annotations

from datetime import UTC, datetime

from guanwu.contracts.declaration import DeclarationDocument
from guanwu.contracts.events import (
    DeclarationDeclareRequested,
    DeclarationDrafted,
    DeclarationSynced,
    DeclarationSyncedIn,
)
from guanwu.contracts.events.sync import SyncedReceipt
from guanwu.platform.events import envelope_for
from guanwu.platform.store.memory import MemoryDocumentStore
from guanwu.query.adapters.declarations import DeclarationReadModel
from guanwu.query.adapters.history import HistoryReadModel
from guanwu.query.service_layer.handlers import project_declaration_events, project_receipt_events

DOCUMENT = DeclarationDocument.model_validate({"head": {"ie_flag": "E", "trade_name": "西安某贸易有限公司"}})
SUMMARY = {"declaration_id": "d1", "ie_flag": "E", "bill_no": "BILL-1"}


async def test_rows_hold_the_summary_not_the_events_own_payload() -> None:
    model = DeclarationReadModel(MemoryDocumentStore())
    declared = DeclarationDeclareRequested(
        **SUMMARY,
        version=5,
        status="申报中",
        request_id="q1",
        content_sm3="ab" * 32,
        requested_by="u1",
        message_b64="PERlY01lc3NhZ2Uv",
    )
    envelope = envelope_for(declared, source="/t", tenant="acme")[1]
    assert await project_declaration_events([(envelope, declared)], read_model=model) == 1
    row = await model.get("acme", "d1")
    assert row is not None and row["status"] == "申报中" and row["bill_no"] == "BILL-1"
    assert "message_b64" not in row and "request_id" not in row
    assert row["last_event_type"] == DeclarationDeclareRequested.event_type


async def test_an_older_version_arriving_late_changes_nothing() -> None:
    model = DeclarationReadModel(MemoryDocumentStore())
    newer = DeclarationDrafted(**SUMMARY, version=3, status="待审核")
    older = DeclarationDrafted(**SUMMARY, version=2, status="草稿")
    project = project_declaration_events
    await project([(envelope_for(newer, source="/t", tenant="acme")[1], newer)], read_model=model)
    assert await project([(envelope_for(older, source="/t", tenant="acme")[1], older)], read_model=model) == 0
    row = await model.get("acme", "d1")
    assert row is not None and row["status"] == "待审核"
    assert await model.get("other", "d1") is None


async def test_a_declaration_synced_again_under_another_category_gains_it() -> None:
    """The declaration service announces a synced declaration once (DeclarationSyncedIn, category 2); a later
    sync by 企业类别 3 reaches query only as DeclarationSynced on the sync topic, through its receipts."""
    store = MemoryDocumentStore()
    model = DeclarationReadModel(store)
    history = HistoryReadModel(store, model)
    seq_no = "610120240000000001"
    synced_in = DeclarationSyncedIn(
        **SUMMARY, version=1, status="暂存", seq_no=seq_no, sw_version=1, enterprise_category="2"
    )
    at = datetime(2026, 5, 1, 8, tzinfo=UTC)
    await project_declaration_events(
        [(envelope_for(synced_in, source="/t", tenant="acme")[1], synced_in)],
        read_model=model,
        history=history,
    )
    again = DeclarationSynced(
        seq_no=seq_no,
        sw_version=1,
        sw_updated_at=at,
        channel="1",
        document=DOCUMENT,
        enterprise_category="3",
        receipts=[SyncedReceipt(channel="1", notice_date=at)],
    )
    items = [(envelope_for(again, source="/t", tenant="acme")[1], again)]
    assert await project_receipt_events(items, read_model=model, history=history) == 1
    row = await model.get("acme", "d1")
    assert row is not None and row["enterprise_categories"] == ["2", "3"]
    # Seen again (a redelivery): nothing changes.
    assert await project_receipt_events(items, read_model=model, history=history) == 0
