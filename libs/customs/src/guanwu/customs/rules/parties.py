"""Identifier rules on the parties and numbers of a declaration (formats from guanwu.customs.identifiers)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from functools import lru_cache

from guanwu.customs.codes import Table
from guanwu.customs.identifiers import (
    IdCheck,
    validate_customs_code,
    validate_entry_id,
    validate_organization_code,
    validate_owner_code,
    validate_seq_no,
    validate_uscc,
)
from guanwu.customs.rules.finding import Finding, Level, Severity
from guanwu.customs.rules.registry import Context, RuleMeta, RuleSet

USCC_FIELDS = ("agent_code_scc", "trade_co_scc", "owner_code_scc", "cop_code_scc")
CUSTOMS_CODE_FIELDS = ("agent_code", "trade_code")


# Parties repeat across an enterprise's declarations: validating each distinct code once is cheaper.
_uscc = lru_cache(maxsize=4096)(validate_uscc)
_customs_code = lru_cache(maxsize=4096)(validate_customs_code)
_org_code = lru_cache(maxsize=4096)(validate_organization_code)


def _each(
    ctx: Context, meta: RuleMeta, attrs: tuple[str, ...], validate: Callable[[str], IdCheck]
) -> Iterator[Finding]:
    head = ctx.doc.head
    for attr in attrs:
        value = getattr(head, attr)
        if value:
            check = validate(value)
            if not check.ok:
                yield meta.finding(f"head.{attr}", check.reason_zh, check.reason_en)


def register(rules: RuleSet) -> None:
    @rules.rule(
        "DEC-HEAD-FMT-USCC",
        title_zh="统一社会信用代码格式与校验位 (GB 32100)",
        title_en="USCC format and check character (GB 32100)",
        level=Level.STAGE,
        group="identifiers",
    )
    def uscc_fields(ctx: Context, meta: RuleMeta) -> Iterator[Finding]:
        """AgentCodeScc, TradeCoScc, OwnerCodeScc, CopCodeScc: 18 characters with a valid check character."""
        return _each(ctx, meta, USCC_FIELDS, _uscc)

    @rules.rule(
        "DEC-HEAD-FMT-CustomsCode",
        title_zh="海关注册编码为10位数字或大写字母",
        title_en="Customs registration codes have 10 digits/capitals",
        level=Level.STAGE,
        group="identifiers",
    )
    def customs_codes(ctx: Context, meta: RuleMeta) -> Iterator[Finding]:
        """AgentCode and TradeCode hold the 10-character 海关注册编码 (the model allows 18 for TradeCode)."""
        return _each(ctx, meta, CUSTOMS_CODE_FIELDS, _customs_code)

    @rules.rule(
        "DEC-HEAD-FMT-OwnerCode",
        title_zh="消费使用/生产销售单位编码为10位、9位或NO",
        title_en="Owner code is 10 or 9 characters, or NO",
        level=Level.STAGE,
        group="identifiers",
    )
    def owner_code(ctx: Context, meta: RuleMeta) -> Iterator[Finding]:
        """OwnerCode: a 10-character 海关注册编码, a 9-character 组织机构代码, or "NO" when there is none."""
        return _each(ctx, meta, ("owner_code",), validate_owner_code)

    @rules.rule(
        "DEC-HEAD-FMT-CopCode",
        title_zh="录入单位组织机构代码校验位 (GB 11714)",
        title_en="Data-entry unit organisation code check (GB 11714)",
        level=Level.STAGE,
        severity=Severity.WARNING,
        group="identifiers",
    )
    def cop_code(ctx: Context, meta: RuleMeta) -> Iterator[Finding]:
        """CopCode is a 9-character 组织机构代码; a wrong check character is most likely a typo (warning:
        the reference does not confirm that the customs enforce GB 11714 here)."""
        return _each(ctx, meta, ("cop_code",), _org_code)

    @rules.rule(
        "DEC-HEAD-XF-CopCodeScc",
        title_zh="录入单位代码与其统一社会信用代码一致",
        title_en="CopCode matches positions 9-17 of CopCodeScc",
        level=Level.STAGE,
        severity=Severity.WARNING,
        group="identifiers",
    )
    def cop_code_in_uscc(ctx: Context, meta: RuleMeta) -> Iterator[Finding]:
        """A USCC embeds the organisation code in positions 9–17 (GB 32100), so both must agree."""
        head = ctx.doc.head
        if head.cop_code and head.cop_code_scc and len(head.cop_code_scc) == 18:
            embedded = head.cop_code_scc[8:17]
            if embedded != head.cop_code:
                yield meta.finding(
                    "head.cop_code",
                    f"录入单位代码“{head.cop_code}”与统一社会信用代码第9-17位“{embedded}”不一致",
                    f"CopCode '{head.cop_code}' differs from positions 9-17 of CopCodeScc ('{embedded}')",
                )

    @rules.rule(
        "DEC-HEAD-FMT-EntryId",
        title_zh="海关编号格式(关区+年份+进出口+序号)",
        title_en="Entry id layout (district + year + I/E + sequence)",
        level=Level.STAGE,
        group="identifiers",
    )
    def entry_id(ctx: Context, meta: RuleMeta) -> Iterator[Finding]:
        """EntryId, when the customs have assigned one: 18 digits, a known district, position 9 matching IEFlag."""
        head = ctx.doc.head
        if head.entry_id:
            check = validate_entry_id(head.entry_id, ctx.tables[Table.CUSTOMS_DISTRICT], head.ie_flag)
            if not check.ok:
                yield meta.finding("head.entry_id", check.reason_zh, check.reason_en)

    @rules.rule(
        "DEC-HEAD-FMT-SeqNo",
        title_zh="统一编号格式",
        title_en="Unified number (SeqNo) layout",
        level=Level.STAGE,
        group="identifiers",
    )
    def seq_no(ctx: Context, meta: RuleMeta) -> Iterator[Finding]:
        """SeqNo, when assigned: I/E + year + 13 digits, or the older 18-digit form."""
        return _each(ctx, meta, ("seq_no",), validate_seq_no)
