"""The declaration read model keeps the summary of the newest version, whatever event carried it."""

from __future__ import annotations

from guanwu.contracts.events import DeclarationDeclareRequested, DeclarationDrafted
from guanwu.platform.events import envelope_for
from guanwu.platform.store.memory import MemoryDocumentStore
from guanwu.query.adapters.declarations import DeclarationReadModel
from guanwu.query.service_layer.handlers import project_declaration_events

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
