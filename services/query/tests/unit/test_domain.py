"""The pure row mapping: one row per tenant and declaration, merged from its events whatever their order."""

from __future__ import annotations

from dataclasses import fields
from datetime import UTC, datetime, timedelta, timezone

from guanwu.contracts.declaration import DeclarationDocument
from guanwu.contracts.events import DeclarationDrafted, DeclarationStatusChanged, DeclarationSyncedIn
from guanwu.platform.events import envelope_for
from guanwu.query.domain.declarations import (
    FILTERABLE,
    DeclarationRow,
    ReceiptChange,
    declaration_change,
    enterprise_categories,
    merged_row,
    query_tokens,
    review_status,
    text_tokens,
)
from guanwu.query.domain.history import ordered
from guanwu.query.domain.search import DeclarationSearch

HEAD = {"ie_flag": "I", "type": "  5", "trade_code": "6101940001", "trade_name": "西安 Acme 贸易有限公司"}
DOCUMENT = DeclarationDocument.model_validate(
    {"head": HEAD, "goods": [{"g_no": 1, "code_ts": "8471300000", "g_name": "笔记本电脑"}]}
)


def change(event, *, minutes: int = 0):  # type: ignore[no-untyped-def]
    envelope = envelope_for(event, source="/t", tenant="acme")[1]
    return declaration_change(
        envelope.model_copy(update={"time": datetime(2026, 3, 2, tzinfo=UTC) + timedelta(minutes=minutes)}),
        event,
    )


def test_a_row_is_the_newest_summary_in_utc_text_that_sorts_as_time() -> None:
    event = DeclarationStatusChanged(
        declaration_id="d1", version=4, ie_flag="I", status="已申报", bill_no="BL-1", cause="回执 R9"
    )
    envelope = envelope_for(event, source="/t", tenant="acme")[1]
    beijing = datetime(2026, 3, 2, 8, 0, tzinfo=timezone(timedelta(hours=8)))
    row = merged_row(
        "acme:d1", None, [declaration_change(envelope.model_copy(update={"time": beijing}), event)]
    )

    assert row is not None and (row["_id"], row["version"], row["tenant"]) == ("acme:d1", 4, "acme")
    assert row["updated_at"] == "2026-03-02T00:00:00.000000+00:00"  # fixed width: ranges compare as text
    assert row["last_event_type"] == DeclarationStatusChanged.event_type
    assert "cause" not in row and "previous_status" not in row
    assert DeclarationRow.model_validate(row).status == "已申报"


def test_the_last_document_seen_stays_and_an_older_one_arriving_late_still_counts() -> None:
    with_document = change(
        DeclarationDrafted(declaration_id="d1", version=1, ie_flag="I", status="草稿", document=DOCUMENT)
    )
    without = change(
        DeclarationStatusChanged(declaration_id="d1", version=2, ie_flag="I", status="待审核"), minutes=1
    )
    for order in ([with_document, without], [without, with_document]):
        row = merged_row("acme:d1", None, order)
        assert row is not None and (row["status"], row["version"]) == ("待审核", 2)
        assert row["trade_code"] == "6101940001" and row["has_document"]
        assert (row["hs_codes"], row["goods_names"], row["two_step"]) == (["8471300000"], ["笔记本电脑"], "5")
    # Merged into the stored row one at a time: the same.
    stored = merged_row("acme:d1", None, [without])
    assert stored is not None and stored["has_document"] is False
    assert merged_row("acme:d1", stored, [with_document]) == merged_row(
        "acme:d1", None, [with_document, without]
    )


def test_a_receipt_alone_makes_no_row_and_the_newest_receipt_is_the_declaration_status() -> None:
    assert merged_row("acme:d1", None, [ReceiptChange("r1", "L", "2026-03-02T00:00:00.000000+00:00")]) is None
    drafted = change(DeclarationDrafted(declaration_id="d1", version=1, ie_flag="I", status="已申报"))
    late = ReceiptChange("r2", "P", "2026-03-03T00:00:00.000000+00:00")
    early = ReceiptChange("r1", "L", "2026-03-02T00:00:00.000000+00:00")
    row = merged_row("acme:d1", None, [drafted, late, early])
    assert row is not None and (row["channel"], row["channel_name"]) == ("P", "海关已放行")
    assert row["declared_at"] == early.notice_date  # no 申报 here: the first receipt dates it
    assert merged_row("acme:d1", row, [early]) == row


def test_review_status_and_enterprise_categories() -> None:
    assert [
        review_status(s, "here") for s in ("草稿", "待审核", "审核退回", "审核通过", "放行", "已删除")
    ] == [
        "未提交",
        "待审核",
        "审核退回",
        "审核通过",
        "审核通过",
        "未提交",
    ]
    assert review_status("放行", "synced") == "未提交"
    assert enterprise_categories("here", [], {"trade_code": "A", "agent_code": "A", "owner_code": "B"}) == [
        "1",
        "2",
    ]
    assert enterprise_categories("here", [], {"trade_code": "A", "owner_code": "A"}) == ["1", "3"]
    assert enterprise_categories("synced", ["3", "2"], {"trade_code": "A", "agent_code": "A"}) == ["2", "3"]
    synced = change(
        DeclarationSyncedIn(
            declaration_id="d1", version=1, ie_flag="I", status="暂存", sw_version=1, enterprise_category="2"
        )
    )
    again = change(
        DeclarationSyncedIn(
            declaration_id="d1", version=2, ie_flag="I", status="暂存", sw_version=2, enterprise_category="3"
        )
    )
    row = merged_row("acme:d1", None, [synced, again, synced])
    assert row is not None and (row["origin"], row["enterprise_categories"]) == ("synced", ["2", "3"])


def test_contained_text_tokens() -> None:
    tokens = set(text_tokens(["西安 Acme 贸易"]))
    assert set(query_tokens("acme贸")) <= tokens and set(query_tokens("安")) <= tokens
    assert not set(query_tokens("贸易公司")) <= tokens
    assert query_tokens("  ") == []


def test_every_filterable_field_is_a_column_of_the_row_and_a_criterion() -> None:
    assert set(FILTERABLE) <= set(DeclarationRow.model_fields)
    assert set(FILTERABLE) <= {f.name for f in fields(DeclarationSearch)}


def test_a_receipt_seen_twice_is_one_line_of_the_timeline() -> None:
    at = "2026-03-02T00:00:00.000000+00:00"
    entries = [
        {"_id": "acme:sw:S:P:" + at, "kind": "receipt", "channel": "P", "at": at, "note": None},
        {"_id": "acme:e9", "kind": "receipt", "channel": "P", "at": at, "note": "放行"},
        {"_id": "acme:e2", "kind": "receipt", "channel": "L", "at": at, "note": None},
    ]
    # At one instant, by id.
    assert [e["_id"] for e in ordered(entries)] == ["acme:e2", "acme:e9"]


def test_a_receipt_stamped_in_whole_seconds_follows_the_declare_of_that_second() -> None:
    """NOTICE_DATE has no fraction: the receipt answering a 申报 made at 06:03:05.412 is stamped 06:03:05."""
    entries = [
        {"_id": "acme:r1", "kind": "receipt", "channel": "L", "at": "2026-03-02T06:03:05.000000+00:00"},
        {"_id": "acme:e1", "kind": "event", "at": "2026-03-02T06:03:05.412000+00:00", "version": 4},
        {"_id": "acme:e0", "kind": "event", "at": "2026-03-02T06:03:04.900000+00:00", "version": 3},
        {"_id": "acme:r2", "kind": "receipt", "channel": "P", "at": "2026-03-02T06:03:06.000000+00:00"},
    ]
    assert [e["_id"] for e in ordered(entries)] == ["acme:e0", "acme:e1", "acme:r1", "acme:r2"]
