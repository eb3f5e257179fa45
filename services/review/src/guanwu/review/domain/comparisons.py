"""高级审核 (F-12): what the reviewer sees beside each field besides the logic checks' findings. Pure: no I/O.

Three comparisons, each naming the field it concerns (`field_path`, as marks and findings name fields):
- **template**: a field the 单证模版 filled that now holds another value (only differences are listed);
- **previous**: per goods line, the same consignee's most recent earlier declaration with the same HS code —
  its unit price (with currency), origin and unit beside this line's (equal ones too, so the reviewer sees
  them checked);
- **price_history**: this line's unit price against every earlier price of the same consignee, HS code,
  currency and unit. It is *far outside* when it lies outside median ± 3 × 1.4826 × MAD (the robust
  three-sigma band) or is at least 3 times, or at most a third of, the median; the answer says how far
  (times the median, and robust sigmas). Fewer than `MIN_PRICES` earlier prices judge nothing (said so).
"""

from __future__ import annotations

import statistics
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from guanwu.contracts.declaration import DeclarationDocument
from guanwu.review.domain.history import HistoryLine, HistoryRecord, as_decimal

MIN_PRICES = 3
"""Earlier prices needed before a price is judged against the consignee's history."""
SIGMAS = Decimal(3)
MAD_TO_SIGMA = Decimal("1.4826")
"""MAD × 1.4826 estimates the standard deviation of normally distributed prices, robust to outliers."""
RATIO = Decimal(3)
"""A price at least RATIO times the median, or at most 1 / RATIO of it, is far outside whatever the spread."""

ComparisonKind = Literal["template", "previous", "price_history"]


class ComparisonSource(BaseModel):
    """What the value was compared with: an earlier declaration or the template."""

    model_config = ConfigDict(frozen=True)

    declaration_id: str | None = None
    seq_no: str | None = None
    entry_id: str | None = None
    template_id: str | None = None
    template_name: str | None = None


class PriceSpread(BaseModel):
    """The consignee's earlier prices for the line's HS code, currency and unit, and where this one lies."""

    model_config = ConfigDict(frozen=True)

    prices: int = Field(description="How many earlier prices")
    median: str
    mad: str = Field(description="Median absolute deviation")
    low: str = Field(description="median - 3 x 1.4826 x MAD")
    high: str = Field(description="median + 3 x 1.4826 x MAD")
    ratio: str = Field(description="This price / the median")
    robust_sigmas: str | None = Field(
        None, description="(price - median) / (1.4826 x MAD); none when MAD is 0"
    )
    far_outside: bool


class Comparison(BaseModel):
    model_config = ConfigDict(frozen=True)

    field_path: str = Field(description="e.g. goods[0].decl_price, head.trade_mode")
    kind: ComparisonKind
    differs: bool = Field(
        description="The value differs (previous, template) or is far outside (price_history)"
    )
    ours: str | None = None
    theirs: str | None = Field(None, description="The compared value (the median for price_history)")
    message_zh: str
    message_en: str
    source: ComparisonSource | None = None
    spread: PriceSpread | None = None


@dataclass(frozen=True)
class TemplateCopy:
    """The 单证模版 the declaration was made from, as the declaration service answers it."""

    template_id: str
    name: str
    document: DeclarationDocument


def _text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, Decimal):
        return format(value.normalize(), "f")
    return str(value)


def _money(price: Decimal | None, currency: str | None) -> str | None:
    return None if price is None else f"{_text(price)} {currency or ''}".strip()


# ── template ─────────────────────────────────────────────────────────────────────────────────────────────


def _leaves(value: Any, path: str = "") -> Iterable[tuple[str, Any]]:
    if isinstance(value, dict):
        for key, child in value.items():
            yield from _leaves(child, f"{path}.{key}" if path else key)
    elif isinstance(value, list):
        for index, child in enumerate(value):
            yield from _leaves(child, f"{path}[{index}]")
    else:
        yield path, value


def _dumped(document: DeclarationDocument) -> dict[str, Any]:
    return document.model_dump(mode="json", exclude_none=True, exclude_defaults=True)


def against_template(document: DeclarationDocument, template: TemplateCopy) -> list[Comparison]:
    """Every field the template fills whose value this declaration changed (or emptied)."""
    ours = dict(_leaves(_dumped(document)))
    source = ComparisonSource(template_id=template.template_id, template_name=template.name)
    changed = []
    for path, value in _leaves(_dumped(template.document)):
        mine = ours.get(path)
        if mine == value:
            continue
        changed.append(
            Comparison(
                field_path=path,
                kind="template",
                differs=True,
                ours=_text(mine),
                theirs=_text(value),
                message_zh=f"与模版「{template.name}」不同：模版为 {value}，本单为 {_text(mine) or '空'}",
                message_en=f"Differs from template '{template.name}': {value} there, {_text(mine) or 'empty'} here",
                source=source,
            )
        )
    return changed


# ── the previous declaration ─────────────────────────────────────────────────────────────────────────────


def _newest_first(history: Sequence[HistoryRecord]) -> list[HistoryRecord]:
    return sorted(history, key=lambda r: (r.documented_at is not None, r.documented_at), reverse=True)


def _line_with(record: HistoryRecord, code: str, unit: str | None) -> HistoryLine | None:
    """The record's line of this HS code, one in the same unit first."""
    same_code = [line for line in record.lines if line.code_ts == code]
    return next((line for line in same_code if line.g_unit == unit), same_code[0] if same_code else None)


def _against_previous(
    index: int, line: Any, previous: HistoryRecord, theirs: HistoryLine
) -> list[Comparison]:
    source = ComparisonSource(
        declaration_id=previous.declaration_id, seq_no=previous.seq_no, entry_id=previous.entry_id
    )
    named = previous.entry_id or previous.seq_no or previous.declaration_id
    pairs = (
        ("decl_price", "单价", "unit price", _money(line.decl_price, line.trade_curr),
         _money(theirs.price, theirs.trade_curr)),
        ("origin_country", "原产国", "origin", line.origin_country, theirs.origin_country),
        ("g_unit", "成交计量单位", "unit", line.g_unit, theirs.g_unit),
    )  # fmt: skip
    comparisons = []
    for field, label_zh, label_en, ours, their_value in pairs:
        differs = ours != their_value
        verdict_zh, verdict_en = ("不同", "differs") if differs else ("相同", "same")
        comparisons.append(
            Comparison(
                field_path=f"goods[{index}].{field}",
                kind="previous",
                differs=differs,
                ours=ours,
                theirs=their_value,
                message_zh=f"同一收发货人上一票同商品编号报关单（{named}）{label_zh}为 {their_value or '空'}：{verdict_zh}",
                message_en=f"The consignee's previous declaration of this HS code ({named}) has {label_en} "
                f"{their_value or 'empty'}: {verdict_en}",
                source=source,
            )
        )
    return comparisons


def against_previous(document: DeclarationDocument, history: Sequence[HistoryRecord]) -> list[Comparison]:
    """Per goods line with an HS code: the newest earlier declaration of the same consignee using that code."""
    ordered = _newest_first(history)
    comparisons: list[Comparison] = []
    for index, line in enumerate(document.goods):
        if not line.code_ts:
            continue
        found = ((r, _line_with(r, line.code_ts, line.g_unit)) for r in ordered if line.code_ts in r.hs_codes)
        match = next(((r, theirs) for r, theirs in found if theirs is not None), None)
        if match is not None:
            comparisons.extend(_against_previous(index, line, *match))
    return comparisons


# ── unit prices against the consignee's history ──────────────────────────────────────────────────────────


def spread(price: Decimal, earlier: Sequence[Decimal]) -> PriceSpread:
    """Where `price` lies among `earlier` prices (at least one): median, MAD band, ratio, robust sigmas."""
    median = Decimal(statistics.median(earlier))
    mad = Decimal(statistics.median([abs(p - median) for p in earlier]))
    sigma = mad * MAD_TO_SIGMA
    low, high = median - SIGMAS * sigma, median + SIGMAS * sigma
    ratio = price / median if median else None
    sigmas = (price - median) / sigma if sigma else None
    beyond_ratio = ratio is not None and (ratio >= RATIO or ratio <= 1 / RATIO)
    beyond_band = sigma > 0 and not low <= price <= high
    return PriceSpread(
        prices=len(earlier),
        median=_text(median) or "0",
        mad=_text(mad) or "0",
        low=_text(round(low, 4)) or "0",
        high=_text(round(high, 4)) or "0",
        ratio=_text(round(ratio, 2)) if ratio is not None else "-",
        robust_sigmas=_text(round(sigmas, 1)) if sigmas is not None else None,
        far_outside=beyond_band or beyond_ratio,
    )


def _earlier_prices(
    history: Sequence[HistoryRecord], code: str, curr: str | None, unit: str | None
) -> list[Decimal]:
    return [
        price
        for record in history
        for line in record.lines
        if line.code_ts == code and line.trade_curr == curr and line.g_unit == unit
        if (price := line.price) is not None and price > 0
    ]


def _price_message(price: str, unit: str, found: PriceSpread) -> tuple[str, str]:
    how_far_zh = f"为中位数 {found.median} 的 {found.ratio} 倍"
    how_far_en = f"{found.ratio} x the median {found.median}"
    if found.robust_sigmas is not None:
        how_far_zh += f"，偏离 {found.robust_sigmas} 个稳健标准差"
        how_far_en += f", {found.robust_sigmas} robust sigmas away"
    band = f"[{found.low}, {found.high}]"
    if found.far_outside:
        return (
            f"申报单价 {price}{unit} 远离该收发货人历史单价（{found.prices} 票，正常范围 {band}）：{how_far_zh}",
            f"Unit price {price}{unit} is far outside the consignee's {found.prices} earlier prices "
            f"(usual range {band}): {how_far_en}",
        )
    return (
        f"申报单价 {price}{unit} 在该收发货人历史单价范围内（{found.prices} 票，{band}）：{how_far_zh}",
        f"Unit price {price}{unit} is within the consignee's {found.prices} earlier prices ({band}): {how_far_en}",
    )


def _price_comparison(index: int, line: Any, history: Sequence[HistoryRecord]) -> Comparison | None:
    price = as_decimal(line.decl_price)
    if price is None or price <= 0 or not line.code_ts:
        return None
    earlier = _earlier_prices(history, line.code_ts, line.trade_curr, line.g_unit)
    unit = f" {line.trade_curr or ''}/{line.g_unit or '?'}"
    shown = _text(price) or ""
    path = f"goods[{index}].decl_price"
    if len(earlier) < MIN_PRICES:
        return Comparison(
            field_path=path,
            kind="price_history",
            differs=False,
            ours=shown,
            message_zh=f"该收发货人同商品编号、币制、单位的历史单价仅 {len(earlier)} 票，不足 {MIN_PRICES} 票，不作判断",
            message_en=f"Only {len(earlier)} earlier prices of this consignee for this HS code, currency and unit "
            f"(fewer than {MIN_PRICES}): not judged",
        )
    found = spread(price, earlier)
    message_zh, message_en = _price_message(shown, unit, found)
    return Comparison(
        field_path=path,
        kind="price_history",
        differs=found.far_outside,
        ours=shown,
        theirs=found.median,
        message_zh=message_zh,
        message_en=message_en,
        spread=found,
    )


def against_price_history(
    document: DeclarationDocument, history: Sequence[HistoryRecord]
) -> list[Comparison]:
    found = (_price_comparison(index, line, history) for index, line in enumerate(document.goods))
    return [comparison for comparison in found if comparison is not None]


def compare(
    document: DeclarationDocument,
    history: Sequence[HistoryRecord],
    template: TemplateCopy | None,
) -> list[Comparison]:
    """Every comparison of the document: template differences, the previous declaration, price history.
    `history` is the consignee's earlier counted declarations (the one under review left out)."""
    by_template = against_template(document, template) if template is not None else []
    return [*by_template, *against_previous(document, history), *against_price_history(document, history)]
