"""Rules on the goods lines (表体)."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal

from guanwu.contracts.declaration import MAX_GOODS_LINES
from guanwu.customs.codes import Table, hs_format_problem, legal_units
from guanwu.customs.rules.fields import goods_where
from guanwu.customs.rules.finding import Finding, Level, Severity
from guanwu.customs.rules.registry import Context, RuleMeta, RuleSet

# Stated tolerance for 总价 vs 数量×单价: the unit price carries 4 decimals, so rounding it moves the product by
# up to 0.00005 × quantity; the total may be rounded to cents (0.005). Anything beyond both is a real mismatch.
PRICE_ROUNDING = Decimal("0.00005")
TOTAL_ROUNDING = Decimal("0.01")


def total_tolerance(qty: Decimal) -> Decimal:
    return PRICE_ROUNDING * abs(qty) + TOTAL_ROUNDING


def register(rules: RuleSet) -> None:
    @rules.rule(
        "DEC-LIST-GNO-SEQ",
        title_zh="商品序号从1起连续编号",
        title_en="Goods numbered 1..n in order",
        level=Level.STAGE,
        group="goods",
    )
    def numbered_in_order(ctx: Context, meta: RuleMeta) -> Iterator[Finding]:
        """GNo of the i-th line must be i: the customs and every receipt refer to lines by this number."""
        for i, line in enumerate(ctx.doc.goods):
            if line.g_no != i + 1:
                yield meta.finding(
                    f"goods[{i}].g_no",
                    f"第{i + 1}行商品序号应为{i + 1}，实际为{line.g_no}",
                    f"Line {i + 1} must have GNo {i + 1}, got {line.g_no}",
                )

    @rules.rule(
        "DEC-LIST-MAX",
        title_zh=f"商品不超过{MAX_GOODS_LINES}项",
        title_en=f"At most {MAX_GOODS_LINES} goods lines",
        level=Level.STAGE,
        group="goods",
    )
    def at_most_fifty(ctx: Context, meta: RuleMeta) -> Iterator[Finding]:
        """A declaration carries at most 50 goods lines; split larger shipments into several declarations."""
        n = len(ctx.doc.goods)
        if n > MAX_GOODS_LINES:
            yield meta.finding(
                "goods",
                f"商品{n}项，超过{MAX_GOODS_LINES}项，请拆分报关单",
                f"{n} goods lines exceed {MAX_GOODS_LINES}: split the declaration",
            )

    @rules.rule(
        "DEC-LIST-MIN",
        title_zh="申报时至少一项商品",
        title_en="At least one goods line to declare",
        group="goods",
    )
    def at_least_one(ctx: Context, meta: RuleMeta) -> Iterator[Finding]:
        """A declaration without goods cannot be declared (a draft may have none yet)."""
        if not ctx.doc.goods:
            yield meta.finding("goods", "报关单没有商品", "The declaration has no goods lines")

    @rules.rule(
        "DEC-LIST-TOTAL", title_zh="总价≈数量×单价", title_en="Total ≈ quantity × unit price", group="goods"
    )
    def total_matches(ctx: Context, meta: RuleMeta) -> Iterator[Finding]:
        """|DeclTotal − GQty × DeclPrice| ≤ 0.00005 × GQty + 0.01: the price's 4th-decimal rounding plus
        rounding the total to cents."""
        for i, line in enumerate(ctx.doc.goods):
            qty, price, total = line.g_qty, line.decl_price, line.decl_total
            if qty is None or price is None or total is None:
                continue
            expected = qty * price
            if abs(total - expected) > total_tolerance(qty):
                zh, en = goods_where(line.g_no)
                yield meta.finding(
                    f"goods[{i}].decl_total",
                    f"{zh}总价{total}与数量×单价{expected.normalize():f}不符",
                    f"{en}total {total} differs from quantity × price {expected.normalize():f}",
                )

    @rules.rule(
        "DEC-LIST-FMT-CodeTS",
        title_zh="商品编号为10位数字",
        title_en="HS code has 10 digits",
        level=Level.STAGE,
        group="goods",
    )
    def hs_format(ctx: Context, meta: RuleMeta) -> Iterator[Finding]:
        """CodeTS = 8-digit 税则号 + 2-digit 附加编码, always checked (the tariff table may be absent)."""
        for i, line in enumerate(ctx.doc.goods):
            problem = line.code_ts and hs_format_problem(line.code_ts)
            if problem:
                zh, en = goods_where(line.g_no)
                yield meta.finding(f"goods[{i}].code_ts", zh + problem[0], en + problem[1])

    @rules.rule(
        "DEC-LIST-UNIT-Legal",
        title_zh="法定计量单位与税则一致",
        title_en="Legal units match the tariff",
        severity=Severity.WARNING,
        group="goods",
    )
    def legal_units_match(ctx: Context, meta: RuleMeta) -> Iterator[Finding]:
        """When the loaded tariff knows the HS code, FirstUnit/SecondUnit must be its 法定计量单位."""
        hs = ctx.tables[Table.HS]
        for i, line in enumerate(ctx.doc.goods):
            units = line.code_ts and legal_units(hs, line.code_ts)
            if not units:
                continue
            zh, en = goods_where(line.g_no)
            for attr, declared, legal in (
                ("first_unit", line.first_unit, units[0]),
                ("second_unit", line.second_unit, units[1]),
            ):
                if legal != (declared or ""):
                    yield meta.finding(
                        f"goods[{i}].{attr}",
                        f"{zh}法定单位应为“{legal or '无'}”，实际为“{declared or '无'}”",
                        f"{en}legal unit should be '{legal or 'none'}', got '{declared or 'none'}'",
                    )

    @rules.rule(
        "DEC-LIST-PAIR-Second",
        title_zh="第二数量与第二单位同时填写",
        title_en="Second quantity and second unit go together",
        group="goods",
    )
    def second_pair(ctx: Context, meta: RuleMeta) -> Iterator[Finding]:
        """SecondQty without SecondUnit (or the reverse) cannot be interpreted."""
        for i, line in enumerate(ctx.doc.goods):
            if (line.second_qty is None) != (line.second_unit is None):
                zh, en = goods_where(line.g_no)
                attr = "second_qty" if line.second_qty is None else "second_unit"
                yield meta.finding(
                    f"goods[{i}].{attr}",
                    f"{zh}法定第二数量与第二单位须同时填写",
                    f"{en}second legal quantity and unit must both be given",
                )

    @rules.rule(
        "DEC-LIST-FMT-DistrictCode",
        title_zh="境内目的地/货源地为5位数字",
        title_en="Domestic district code has 5 digits",
        level=Level.STAGE,
        group="goods",
    )
    def district_format(ctx: Context, meta: RuleMeta) -> Iterator[Finding]:
        """DistrictCode is a 5-digit 国内地区代码 (e.g. 44199 东莞)."""
        for i, line in enumerate(ctx.doc.goods):
            code = line.district_code
            if code and not (len(code) == 5 and code.isascii() and code.isdigit()):
                zh, en = goods_where(line.g_no)
                yield meta.finding(
                    f"goods[{i}].district_code",
                    f"{zh}境内地区代码“{code}”应为5位数字",
                    f"{en}domestic district '{code}' must be 5 digits",
                )

    @rules.rule(
        "DEC-LIST-EXP-Dest",
        title_zh="出口须填最终目的国和境内货源地",
        title_en="Exports need the destination country and domestic source",
        group="goods",
    )
    def export_destination(ctx: Context, meta: RuleMeta) -> Iterator[Finding]:
        """For 出口, every line names its 最终目的国 and 境内货源地 (DistrictCode)."""
        if not ctx.is_export:
            return
        for i, line in enumerate(ctx.doc.goods):
            zh, en = goods_where(line.g_no)
            if not line.destination_country:
                yield meta.finding(
                    f"goods[{i}].destination_country",
                    f"{zh}出口须填写最终目的国(地区)",
                    f"{en}an export needs the final destination country",
                )
            if not line.district_code:
                yield meta.finding(
                    f"goods[{i}].district_code",
                    f"{zh}出口须填写境内货源地",
                    f"{en}an export needs the domestic source district",
                )

    @rules.rule(
        "DEC-LIST-EXP-DestCHN",
        title_zh="出口最终目的国一般不是中国",
        title_en="Export destination is normally not China",
        severity=Severity.WARNING,
        group="goods",
    )
    def export_not_to_china(ctx: Context, meta: RuleMeta) -> Iterator[Finding]:
        """CHN as 最终目的国 of an export is legitimate only for special cases (e.g. into a bonded zone)."""
        if not ctx.is_export:
            return
        for i, line in enumerate(ctx.doc.goods):
            if line.destination_country == "CHN":
                zh, en = goods_where(line.g_no)
                yield meta.finding(
                    f"goods[{i}].destination_country",
                    f"{zh}出口最终目的国为中国，请确认",
                    f"{en}export with destination China: please confirm",
                )
