"""转关 rules (§6) and references between blocks (containers → goods)."""

from __future__ import annotations

from collections.abc import Iterator

from guanwu.customs.codes import Table
from guanwu.customs.identifiers import validate_container_no
from guanwu.customs.rules.finding import Finding, Level, Severity
from guanwu.customs.rules.registry import Context, RuleMeta, RuleSet

TRANSIT_EDI_IDS = frozenset({"3", "5"})  # 3 北方转关提前, 5 南方转关提前
SOUTHERN_EDI_IDS = frozenset({"5", "6"})  # 5 南方转关提前, 6 南方H2000直转
H2000_MARK = "◎"


def _goods_numbers(text: str) -> list[str]:
    return [part.strip() for part in text.replace("，", ",").split(",") if part.strip()]


def register(rules: RuleSet) -> None:
    @rules.rule(
        "DEC-TRN-Block",
        title_zh="转关信息仅且必须随转关提前报关单",
        title_en="Transit block present iff DeclTrnRel = 1",
        level=Level.STAGE,
        group="transit",
    )
    def transit_block_iff_flag(ctx: Context, meta: RuleMeta) -> Iterator[Finding]:
        """DeclTrnRel = 1 (转关提前) needs the TrnHead… blocks; any other value must not carry them."""
        transit_flag = ctx.doc.head.decl_trn_rel == "1"
        if transit_flag and ctx.doc.transit is None:
            yield meta.finding(
                "transit", "转关提前报关单须填写转关信息", "A transit declaration needs the transit block"
            )
        elif not transit_flag and ctx.doc.transit is not None:
            yield meta.finding(
                "transit",
                "非转关提前报关单不能带转关信息",
                "Only a transit declaration (DeclTrnRel = 1) may carry a transit block",
            )

    @rules.rule(
        "DEC-TRN-EdiId",
        title_zh="报关标志与转关关系标志一致",
        title_en="EdiId agrees with DeclTrnRel",
        group="transit",
    )
    def edi_id_matches(ctx: Context, meta: RuleMeta) -> Iterator[Finding]:
        """DeclTrnRel = 1 ⇔ EdiId 3 (北方) or 5 (南方) 转关提前."""
        head = ctx.doc.head
        if head.edi_id is None or head.decl_trn_rel is None:
            return
        if (head.decl_trn_rel == "1") != (head.edi_id in TRANSIT_EDI_IDS):
            yield meta.finding(
                "head.edi_id",
                f"报关标志{head.edi_id}与转关关系标志{head.decl_trn_rel}不符",
                f"EdiId {head.edi_id} contradicts DeclTrnRel {head.decl_trn_rel}",
            )

    @rules.rule(
        "DEC-TRN-SouthDistrict",
        title_zh="南方模式只用于广东关区",
        title_en="Southern mode only with a Guangdong district",
        level=Level.STAGE,
        group="transit",
    )
    def southern_district(ctx: Context, meta: RuleMeta) -> Iterator[Finding]:
        """EdiId 5/6 (南方模式, 广东省内汽车转关) needs a 申报地海关 under a southern-mode 直属海关."""
        head = ctx.doc.head
        if head.edi_id in SOUTHERN_EDI_IDS and head.custom_master:
            southern = ctx.tables[Table.SOUTHERN_MODE_DISTRICT]
            if head.custom_master[:2] + "00" not in southern:
                yield meta.finding(
                    "head.custom_master",
                    f"南方模式报关标志不能用于关区{head.custom_master}",
                    f"Southern-mode EdiId {head.edi_id} needs a Guangdong district, not {head.custom_master}",
                )

    @rules.rule(
        "DEC-TRN-SouthManifest",
        title_zh="南方转关提前须填载货清单号",
        title_en="Southern transit needs the manifest number",
        group="transit",
    )
    def southern_manifest(ctx: Context, meta: RuleMeta) -> Iterator[Finding]:
        """EdiId 5 works off the road 载货清单: TrnHead.TransNo is required."""
        transit = ctx.doc.transit
        if ctx.doc.head.edi_id == "5" and transit is not None and not transit.head.trans_no:
            yield meta.finding(
                "transit.head.trans_no",
                "南方转关提前报关须填写载货清单号",
                "Southern-mode transit needs the cargo manifest number (TransNo)",
            )

    @rules.rule(
        "DEC-TRN-H2000Name",
        title_zh="南方H2000直转运输工具名称以◎开头",
        title_en="H2000 direct transit: TrafName starts with ◎",
        severity=Severity.WARNING,
        group="transit",
    )
    def h2000_name(ctx: Context, meta: RuleMeta) -> Iterator[Finding]:
        """EdiId 6 is defined by a 运输工具名称 starting with '◎' (reference §1.2)."""
        head = ctx.doc.head
        if head.edi_id == "6" and not (head.traf_name or "").startswith(H2000_MARK):
            yield meta.finding(
                "head.traf_name",
                "报关标志6要求运输工具名称以“◎”开头",
                "EdiId 6 requires the means-of-transport name to start with '◎'",
            )

    @rules.rule(
        "DEC-CONT-GoodsRef",
        title_zh="集装箱商品项号须存在",
        title_en="Container goods references exist",
        group="references",
    )
    def container_goods_exist(ctx: Context, meta: RuleMeta) -> Iterator[Finding]:
        """Container.GoodsNo ("1,3") and TrnContaGoodsList.GNo name existing goods lines; TrnContaGoodsList
        names a container of the transit block."""
        numbers = {str(line.g_no) for line in ctx.doc.goods}
        for i, box in enumerate(ctx.doc.containers):
            for ref in _goods_numbers(box.goods_no or ""):
                if ref not in numbers:
                    yield meta.finding(
                        f"containers[{i}].goods_no",
                        f"集装箱{box.container_id or i + 1}关联的商品项{ref}不存在",
                        f"Container {box.container_id or i + 1} refers to missing goods line {ref}",
                    )
        transit = ctx.doc.transit
        if transit is None:
            return
        boxes = {c.conta_no for c in transit.containers}
        for i, row in enumerate(transit.conta_goods):
            if row.g_no is not None and str(row.g_no) not in numbers:
                yield meta.finding(
                    f"transit.conta_goods[{i}].g_no",
                    f"转关装箱商品项{row.g_no}不存在",
                    f"Transit container goods refers to missing goods line {row.g_no}",
                )
            if row.conta_no and row.conta_no not in boxes:
                yield meta.finding(
                    f"transit.conta_goods[{i}].conta_no",
                    f"转关装箱集装箱{row.conta_no}不存在",
                    f"Transit container goods refers to missing container {row.conta_no}",
                )

    @rules.rule(
        "DEC-CONT-FMT-Number",
        title_zh="集装箱号符合ISO 6346",
        title_en="Container numbers follow ISO 6346",
        level=Level.STAGE,
        severity=Severity.WARNING,
        group="references",
    )
    def container_numbers(ctx: Context, meta: RuleMeta) -> Iterator[Finding]:
        """11 characters with a valid check digit; a failure is most likely a typo (warning: non-ISO boxes exist)."""
        pairs = [(f"containers[{i}].container_id", c.container_id) for i, c in enumerate(ctx.doc.containers)]
        if ctx.doc.transit is not None:
            pairs += [
                (f"transit.containers[{i}].conta_no", c.conta_no)
                for i, c in enumerate(ctx.doc.transit.containers)
            ]
        for path, number in pairs:
            if number:
                check = validate_container_no(number)
                if not check.ok:
                    yield meta.finding(path, check.reason_zh, check.reason_en)
