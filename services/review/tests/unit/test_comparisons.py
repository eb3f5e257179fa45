"""高级审核's comparisons (pure): review's declaration history rows, the template, the previous declaration of
the same consignee and HS code, and unit prices far outside the consignee's history."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from guanwu.contracts.declaration import DeclarationDocument
from guanwu.contracts.events import DeclarationStatusChanged, DeclarationSubmittedForReview
from guanwu.customs.fixtures.declarations import import_general
from guanwu.platform.events import envelope_for
from guanwu.review.domain.comparisons import (
    TemplateCopy,
    against_previous,
    against_price_history,
    against_template,
    compare,
    spread,
)
from guanwu.review.domain.history import HistoryRecord, consignee_of, history_row, history_row_id

T0 = datetime(2026, 11, 1, tzinfo=UTC)


def with_line(document: DeclarationDocument, index: int, **changes: object) -> DeclarationDocument:
    goods = list(document.goods)
    goods[index] = goods[index].model_copy(update=changes)
    return document.model_copy(update={"goods": goods})


def record(
    declaration_id: str, document: DeclarationDocument, *, at: datetime, status: str = "已申报"
) -> HistoryRecord:
    """A history row as the store would hand it back, built through `history_row` like the consumer does."""
    event = DeclarationStatusChanged(
        declaration_id=declaration_id,
        version=3,
        ie_flag=document.head.ie_flag,
        status=status,
        entry_id=f"E-{declaration_id}",
        document=document,
    )
    _, envelope = envelope_for(event, source="/guanwu/declaration", tenant="acme")
    envelope = envelope.model_copy(update={"time": at})
    return HistoryRecord.model_validate(history_row(envelope, event).fields)


def test_a_history_row_keeps_the_lines_the_consignee_and_the_hs_codes() -> None:
    document = import_general()
    row = record("d1", document, at=T0)
    assert row.consignee == f"code:{document.head.trade_code}"
    assert row.hs_codes == ["9001100000", "9018129100"]
    assert [(line.code_ts, line.decl_price, line.trade_curr) for line in row.lines] == [
        ("9018129100", str(document.goods[0].decl_price), "EUR"),
        ("9001100000", str(document.goods[1].decl_price), "EUR"),
    ]
    assert row.counted and row.documented_at == T0


def test_a_state_change_without_a_document_moves_the_status_and_names_no_lines() -> None:
    event = DeclarationStatusChanged(declaration_id="d1", version=4, ie_flag="I", status="已删除")
    _, envelope = envelope_for(event, source="/guanwu/declaration", tenant="acme")
    row = history_row(envelope, event)
    assert row.doc_id == history_row_id("acme", "d1") and row.aggregate_version == 4
    assert row.fields["counted"] is False and "lines" not in row.fields and "consignee" not in row.fields


@pytest.mark.parametrize(
    ("status", "counted"), [("待审核", False), ("审核退回", False), ("审核通过", True), ("放行", True)]
)
def test_only_declarations_past_review_count(status: str, counted: bool) -> None:
    event = DeclarationSubmittedForReview(declaration_id="d1", version=2, ie_flag="I", status=status)
    _, envelope = envelope_for(event, source="/guanwu/declaration", tenant="acme")
    assert history_row(envelope, event).fields["counted"] is counted


def test_the_consignee_falls_back_to_the_credit_code_then_the_name() -> None:
    head = import_general().head
    by_scc = import_general().model_copy(update={"head": head.model_copy(update={"trade_code": None})})
    by_name = import_general().model_copy(
        update={"head": head.model_copy(update={"trade_code": None, "trade_co_scc": " "})}
    )
    assert consignee_of(by_scc) == f"scc:{head.trade_co_scc}"
    assert consignee_of(by_name) == f"name:{head.trade_name}"


def test_template_differences_name_each_changed_field_with_both_values() -> None:
    template = TemplateCopy("t1", "德国进口", import_general())
    document = import_general()
    document = document.model_copy(update={"head": document.head.model_copy(update={"trade_mode": "0615"})})
    document = with_line(document, 1, origin_country="USA")
    found = {c.field_path: c for c in against_template(document, template)}
    assert set(found) == {"head.trade_mode", "goods[1].origin_country"}
    assert (found["head.trade_mode"].theirs, found["head.trade_mode"].ours) == ("0110", "0615")
    assert found["goods[1].origin_country"].source is not None
    assert found["goods[1].origin_country"].source.template_name == "德国进口"
    assert against_template(import_general(), template) == []


def test_the_previous_declaration_is_the_newest_with_the_same_hs_code() -> None:
    older = record("old", with_line(import_general(), 0, origin_country="USA"), at=T0)
    newer = record(
        "new", with_line(import_general(), 0, decl_price=Decimal("50000")), at=T0 + timedelta(days=1)
    )
    document = import_general()
    found = {c.field_path: c for c in against_previous(document, [older, newer])}
    price = found["goods[0].decl_price"]
    assert price.differs and price.theirs == "50000 EUR" and price.ours == "48500 EUR"
    assert price.source is not None and price.source.declaration_id == "new"
    assert not found["goods[0].origin_country"].differs  # the newer one has DEU, as here
    assert not found["goods[0].g_unit"].differs
    assert "goods[1].decl_price" in found  # line 2's code is in both as well


def test_a_line_whose_hs_code_no_earlier_declaration_used_gets_no_previous_comparison() -> None:
    document = with_line(import_general(), 0, code_ts="8471300000")
    earlier = record("old", import_general(), at=T0)
    paths = {c.field_path for c in against_previous(document, [earlier])}
    assert not any(p.startswith("goods[0].") for p in paths)


def test_a_price_within_the_band_is_not_far_outside() -> None:
    found = spread(Decimal("10.5"), [Decimal(p) for p in ("10", "11", "9", "10.2", "10.8")])
    assert not found.far_outside
    assert found.median == "10.2" and found.prices == 5


def test_a_price_beyond_three_robust_sigmas_is_far_outside_and_says_how_far() -> None:
    found = spread(Decimal("14"), [Decimal(p) for p in ("10", "11", "9", "10.2", "10.8")])
    assert found.far_outside
    assert found.robust_sigmas is not None and Decimal(found.robust_sigmas) > 3
    assert Decimal(found.high) < Decimal("14")


def test_three_times_the_median_is_far_outside_even_when_every_earlier_price_was_equal() -> None:
    assert spread(Decimal("30"), [Decimal(10)] * 4).far_outside
    assert spread(Decimal("3.3"), [Decimal(10)] * 4).far_outside
    equal_spread = spread(Decimal("12"), [Decimal(10)] * 4)
    assert not equal_spread.far_outside and equal_spread.robust_sigmas is None


def test_price_history_compares_only_the_same_currency_and_unit() -> None:
    prices = ("48000", "49000", "48500", "47900")
    earlier = [
        record(f"d{i}", with_line(import_general(), 0, decl_price=Decimal(p)), at=T0 + timedelta(days=i))
        for i, p in enumerate(prices)
    ]
    in_usd = [record("usd", with_line(import_general(), 0, decl_price=Decimal("1"), trade_curr="USD"), at=T0)]
    document = with_line(import_general(), 0, decl_price=Decimal("160000"))
    found = {c.field_path: c for c in against_price_history(document, [*earlier, *in_usd])}
    judged = found["goods[0].decl_price"]
    assert judged.differs and judged.spread is not None and judged.spread.prices == 4
    assert "远离" in judged.message_zh and "far outside" in judged.message_en
    assert (judged.spread.median, judged.spread.ratio) == ("48250", "3.32")


def test_too_few_earlier_prices_judge_nothing_and_say_so() -> None:
    earlier = [record("d1", import_general(), at=T0), record("d2", import_general(), at=T0)]
    found = {c.field_path: c for c in against_price_history(import_general(), earlier)}
    assert not found["goods[0].decl_price"].differs
    assert found["goods[0].decl_price"].spread is None
    assert "2 票" in found["goods[0].decl_price"].message_zh


def test_compare_lists_every_kind() -> None:
    earlier = [record(f"d{i}", import_general(), at=T0 + timedelta(days=i)) for i in range(3)]
    template = TemplateCopy("t1", "模版", with_line(import_general(), 0, g_name="别的名称"))
    kinds = {c.kind for c in compare(import_general(), earlier, template)}
    assert kinds == {"template", "previous", "price_history"}
    assert {c.kind for c in compare(import_general(), earlier, None)} == {"previous", "price_history"}
