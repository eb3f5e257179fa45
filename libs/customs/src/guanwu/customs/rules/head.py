"""Cross-field rules on the head (表头): weights, fees, dates, document kind.

The sign of each number (GrossWet > 0, NetWt ≥ 0, ...) is a column of data/fields.csv, not a rule here."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime, timedelta
from typing import Any

from guanwu.contracts.declaration import DecHead, DeclarationDocument, infer_kind
from guanwu.customs.codes import Table
from guanwu.customs.rules.finding import Finding, Level, Severity
from guanwu.customs.rules.registry import Context, RuleMeta, RuleSet

FEES = (("fee", "运费", "Freight"), ("insur", "保险费", "Insurance"), ("other", "杂费", "Other charges"))
RATE_MARK = "1"  # mark 1 = 率 (percent), 2 = 单价, 3 = 总价
# Which fees the transaction mode already includes in the price (成交方式 1 CIF, 2 C&F, 3 FOB, 4 C&I, 7 EXW):
# an import priced without them declares them; an export priced with them declares them.
_PRICE_INCLUDES = {"1": {"fee", "insur"}, "2": {"fee"}, "3": set(), "4": {"insur"}, "7": set()}
# The dates of the document (yyyyMMdd strings): path, wire code, Chinese and English label.
DATES = (
    ("head.ie_date", "IEDate", "进出口日期", "Import/export date"),
    ("head.desp_date", "DespDate", "启运日期", "Departure date"),
    ("head.cmpl_dschrg_dt", "CmplDschrgDt", "卸毕日期", "Discharge completion date"),
    ("transit.head.valid_time", "ValidTime", "转关预计运抵指运地时间", "Transit expected arrival date"),
    ("transit.trn_list.ie_date", "IEDate", "转关运输进出境日期", "Transit entry/exit date"),
)
IMPORT_LATE_DAYS = 14  # 申报期限: an import is declared within 14 days of arrival, after that 滞报金 accrues


def _at(doc: DeclarationDocument, path: str) -> Any:
    """The value at a dotted attribute path, None when a block on the way is absent."""
    value: Any = doc
    for attr in path.split("."):
        if value is None:
            return None
        value = getattr(value, attr)
    return value


def _parse_date(value: str) -> date | None:
    try:
        return datetime.strptime(value, "%Y%m%d").date() if len(value) == 8 and value.isdigit() else None
    except ValueError:
        return None


def register(rules: RuleSet) -> None:
    @rules.rule(
        "DEC-HEAD-WT-NetGross",
        title_zh="净重不大于毛重",
        title_en="Net weight ≤ gross weight",
        level=Level.STAGE,
        group="head",
    )
    def net_not_above_gross(ctx: Context, meta: RuleMeta) -> Iterator[Finding]:
        """NetWt ≤ GrossWet (both in kg)."""
        head = ctx.doc.head
        if head.net_wt is not None and head.gross_wet is not None and head.net_wt > head.gross_wet:
            yield meta.finding(
                "head.net_wt",
                f"净重{head.net_wt}大于毛重{head.gross_wet}",
                f"Net weight {head.net_wt} exceeds gross weight {head.gross_wet}",
            )

    @rules.rule(
        "DEC-HEAD-FEE-Consistent",
        title_zh="运保杂费的标记、币制、金额/费率一致",
        title_en="Fee mark, currency and rate are consistent",
        level=Level.STAGE,
        group="fees",
    )
    def fee_consistent(ctx: Context, meta: RuleMeta) -> Iterator[Finding]:
        """For 运费/保险费/杂费: mark and amount come together; a rate (mark 1) is 0–100 and takes no currency
        (only a warning: the print shows 000); marks 2/3 (单价/总价) need a currency and are not negative."""
        head = ctx.doc.head
        for prefix, zh, en in FEES:
            mark, curr, rate = (getattr(head, f"{prefix}_{s}") for s in ("mark", "curr", "rate"))
            if mark is None and curr is None and rate is None:
                continue
            if mark is None or rate is None:
                missing = "mark" if mark is None else "rate"
                yield meta.finding(
                    f"head.{prefix}_{missing}",
                    f"{zh}的标记和金额/费率须同时填写",
                    f"{en}: mark and amount/rate must be given together",
                )
            elif mark == RATE_MARK:
                if curr is not None:
                    yield meta.finding(
                        f"head.{prefix}_curr",
                        f"{zh}按费率申报时不填币制",
                        f"{en}: a rate (mark 1) takes no currency",
                        Severity.WARNING,  # the print shows 000 there; some clients send one anyway
                    )
                if not 0 < rate <= 100:
                    yield meta.finding(
                        f"head.{prefix}_rate",
                        f"{zh}费率{rate}应在0到100之间",
                        f"{en}: rate {rate} must be between 0 and 100",
                    )
            else:
                if curr is None:
                    yield meta.finding(
                        f"head.{prefix}_curr",
                        f"{zh}按单价/总价申报时须填币制",
                        f"{en}: an amount (mark 2/3) needs a currency",
                    )
                if rate < 0:
                    yield meta.finding(
                        f"head.{prefix}_rate",
                        f"{zh}金额{rate}不能为负数",
                        f"{en}: amount {rate} cannot be negative",
                    )

    @rules.rule(
        "DEC-HEAD-FEE-TransMode",
        title_zh="运保费与成交方式相符",
        title_en="Freight/insurance match the transaction mode",
        severity=Severity.WARNING,
        group="fees",
    )
    def fee_matches_terms(ctx: Context, meta: RuleMeta) -> Iterator[Finding]:
        """Import: declare the fees the price does not include (FOB → freight and insurance, C&F → insurance).
        Export: declare the fees the price includes (CIF → both, C&F → freight); and not the others."""
        head = ctx.doc.head
        included = _PRICE_INCLUDES.get(head.trans_mode or "")
        if included is None:
            return
        for prefix, zh, en in FEES[:2]:
            expected = (prefix in included) if ctx.is_export else (prefix not in included)
            present = getattr(head, f"{prefix}_rate") is not None
            if expected and not present:
                yield meta.finding(
                    f"head.{prefix}_rate",
                    f"成交方式{head.trans_mode}下应申报{zh}",
                    f"Transaction mode {head.trans_mode} requires {en.lower()}",
                )
            elif present and not expected:
                yield meta.finding(
                    f"head.{prefix}_rate",
                    f"成交方式{head.trans_mode}下不应申报{zh}",
                    f"Transaction mode {head.trans_mode} takes no {en.lower()}",
                )

    @rules.rule(
        "DEC-HEAD-DATE-Format",
        title_zh="日期为有效的yyyyMMdd",
        title_en="Dates are valid yyyyMMdd",
        level=Level.STAGE,
        group="dates",
    )
    def date_format(ctx: Context, meta: RuleMeta) -> Iterator[Finding]:
        """IEDate, DespDate, CmplDschrgDt and, in the transit blocks, TrnHead ValidTime and TrnList IEDate
        are real calendar dates."""
        for path, code, zh, en in DATES:
            value = _at(ctx.doc, path)
            if value and _parse_date(value) is None:
                yield meta.finding(
                    path,
                    f"{zh}（{code}）“{value}”不是有效的yyyyMMdd日期",
                    f"{en} ({code}) '{value}' is not a valid yyyyMMdd date",
                )

    @rules.rule(
        "DEC-HEAD-DATE-Future",
        title_zh="进口日期不晚于今天",
        title_en="Import date not in the future",
        group="dates",
    )
    def import_date_not_future(ctx: Context, meta: RuleMeta) -> Iterator[Finding]:
        """An import is declared after arrival, so its IEDate cannot be later than today (exports may
        declare ahead of departure)."""
        ie_date = _parse_date(ctx.doc.head.ie_date or "")
        if ie_date and not ctx.is_export and ie_date > ctx.today:
            yield meta.finding(
                "head.ie_date",
                f"进口日期{ie_date:%Y%m%d}晚于今天",
                f"Import date {ie_date:%Y%m%d} is in the future",
            )

    @rules.rule(
        "DEC-HEAD-DATE-Late",
        title_zh="进口申报超过14天将产生滞报金",
        title_en="Import declared late",
        severity=Severity.WARNING,
        group="dates",
    )
    def import_late(ctx: Context, meta: RuleMeta) -> Iterator[Finding]:
        """Imports are declared within 14 days of arrival (IEDate); later declarations owe 滞报金."""
        ie_date = _parse_date(ctx.doc.head.ie_date or "")
        if ie_date and not ctx.is_export and ctx.today - ie_date > timedelta(days=IMPORT_LATE_DAYS):
            days = (ctx.today - ie_date).days
            yield meta.finding(
                "head.ie_date",
                f"进口日期已过{days}天，超过14天申报期限，将产生滞报金",
                f"Arrived {days} days ago: past the 14-day limit, late-declaration fees apply",
            )

    @rules.rule(
        "DEC-DOC-KIND",
        title_zh="单据类型与表头标志一致",
        title_en="Document kind matches the head markers",
        level=Level.STAGE,
        group="kind",
    )
    def kind_matches_head(ctx: Context, meta: RuleMeta) -> Iterator[Finding]:
        """The message carries the kind only as markers (DeclTrnRel, Type, BillType): they must say the same."""
        implied = infer_kind(ctx.doc.head)
        if implied is not ctx.doc.kind:
            yield meta.finding(
                "kind",
                f"单据类型为{ctx.doc.kind.label}，但表头标志表示{implied.label}",
                f"Kind is {ctx.doc.kind.value} but the head markers say {implied.value}",
            )

    @rules.rule(
        "DEC-DOC-RecordListTradeMode",
        title_zh="备案清单只用于相应监管方式",
        title_en="A record list only with record-list trade modes",
        group="kind",
    )
    def record_list_trade_mode(ctx: Context, meta: RuleMeta) -> Iterator[Finding]:
        """备案清单 cover goods between special areas/bonded sites and abroad: their 监管方式 must be one of
        the record_list_trade_mode table (an enterprise extends it from its own practice)."""
        head: DecHead = ctx.doc.head
        allowed = ctx.tables[Table.RECORD_LIST_TRADE_MODE]
        if ctx.doc.kind.is_record_list and head.trade_mode and head.trade_mode not in allowed:
            yield meta.finding(
                "head.trade_mode",
                f"备案清单不能使用监管方式{head.trade_mode}",
                f"A record list cannot use trade mode {head.trade_mode}",
            )
