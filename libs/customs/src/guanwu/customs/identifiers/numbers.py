"""Customs-assigned numbers (海关编号, 统一编号, 核注清单编号) and enterprise codes.

None of the customs-assigned numbers has a check digit (customs-reference §3), so these validators catch
structural errors only — a wrong digit inside a sequence number cannot be detected. Generators exist for
the Single Window simulator and for test data.
"""

from __future__ import annotations

from guanwu.customs.codes import CodeTable
from guanwu.customs.identifiers.result import (
    ALNUM,
    DIGITS,
    IdCheck,
    check_chars,
    check_length,
    invalid,
    valid,
)

IE_DIGIT = {"I": "1", "E": "0"}  # 海关编号 position 9: 1 进口, 0 出口 (reference §3, consistent with samples)
_YEARS = range(1990, 2100)


def _district_problem(
    value: str, start: int, districts: CodeTable | None, zh: str, en: str
) -> IdCheck | None:
    code = value[start : start + 4]
    # The bundled table lists every 直属海关 but only some sub-offices: accept a code whose XX00 is known.
    if districts is None or code in districts or code[:2] + "00" in districts:
        return None
    return invalid(
        value,
        f"{zh}第{start + 1}-{start + 4}位关区代码“{code}”不在关区代码表中",
        f"{en}: customs district '{code}' at positions {start + 1}-{start + 4} is not in the district table",
        start + 1,
    )


def _year_problem(value: str, year: int, position: int, zh: str, en: str) -> IdCheck | None:
    if year in _YEARS:
        return None
    return invalid(value, f"{zh}中的年份“{year}”不合理", f"{en}: implausible year '{year}'", position)


def validate_entry_id(value: str, districts: CodeTable | None = None, ie_flag: str | None = None) -> IdCheck:
    """海关编号 EntryId: 4 关区 + 4 年 + 1 进出口 (1 进口, 0 出口) + 9 序号."""
    zh, en = "海关编号", "Entry id (海关编号)"
    failure = (
        check_length(value, zh, en, 18)
        or check_chars(value, DIGITS, "数字", "a digit", zh, en)
        or _district_problem(value, 0, districts, zh, en)
        or _year_problem(value, int(value[4:8]), 5, zh, en)
    )
    if failure:
        return failure
    if value[8] not in "01":
        return invalid(
            value, f"{zh}第9位应为1(进口)或0(出口)", f"{en}: position 9 must be 1 (import) or 0 (export)", 9
        )
    if ie_flag in IE_DIGIT and value[8] != IE_DIGIT[ie_flag]:
        return invalid(
            value,
            f"{zh}第9位“{value[8]}”与进出口标志“{ie_flag}”不符",
            f"{en}: position 9 '{value[8]}' contradicts IEFlag '{ie_flag}'",
            9,
        )
    return valid(value)


def generate_entry_id(district: str, year: int, ie_flag: str, sequence: int) -> str:
    return f"{district}{year:04d}{IE_DIGIT[ie_flag]}{sequence:09d}"


def validate_seq_no(value: str) -> IdCheck:
    """统一编号 SeqNo: I/E + 4-digit year + 13 digits, or the older 18-digit form (reference §3)."""
    zh, en = "统一编号", "Unified number (统一编号)"
    failure = check_length(value, zh, en, 18)
    if failure:
        return failure
    if value[0] in "IE":
        return (
            check_chars(value, DIGITS, "数字", "a digit", zh, en, 1)
            or _year_problem(value, int(value[1:5]), 2, zh, en)
            or valid(value)
        )
    return check_chars(value, DIGITS, "I、E或数字", "I, E or a digit", zh, en) or valid(value)


def generate_seq_no(ie_flag: str, year: int, sequence: int) -> str:
    return f"{ie_flag}{year:04d}{sequence:013d}"


def validate_bond_invt_no(value: str, districts: CodeTable | None = None) -> IdCheck:
    """核注清单编号 BondInvtNo: QD + 4 关区 + 2 年 + I/E + 9 序号 (e.g. QD311124I000065378)."""
    zh, en = "核注清单编号", "Bonded list number (核注清单编号)"
    failure = check_length(value, zh, en, 18)
    if failure:
        return failure
    if not value.startswith("QD"):
        return invalid(value, f"{zh}应以“QD”开头", f"{en} must start with 'QD'", 1)
    return (
        check_chars(value, DIGITS, "数字", "a digit", zh, en, 2, 8)
        or check_chars(value, frozenset("IE"), "I或E", "I or E", zh, en, 8, 9)
        or check_chars(value, DIGITS, "数字", "a digit", zh, en, 9)
        or _district_problem(value, 2, districts, zh, en)
        or valid(value)
    )


def generate_bond_invt_no(district: str, year: int, ie_flag: str, sequence: int) -> str:
    return f"QD{district}{year % 100:02d}{ie_flag}{sequence:09d}"


def validate_customs_code(value: str) -> IdCheck:
    """海关注册编码 (AgentCode/TradeCode): 10 digits or capital letters. Its inner structure is not
    reliably documented (reference §3), so only length and characters are checked."""
    zh, en = "海关注册编码", "Customs registration code (海关注册编码)"
    return (
        check_length(value, zh, en, 10)
        or check_chars(value, ALNUM, "数字或大写字母", "a digit or capital letter", zh, en)
        or valid(value)
    )


def validate_owner_code(value: str) -> IdCheck:
    """OwnerCode 消费使用/生产销售单位: 10-char 海关注册编码, 9-char 组织机构代码, or "NO" (none)."""
    if value == "NO":
        return valid(value)
    zh, en = "消费使用/生产销售单位编码", "Owner code"
    return (
        check_length(value, zh, en, 10, 9)
        or check_chars(value, ALNUM, "数字或大写字母", "a digit or capital letter", zh, en)
        or valid(value)
    )


_ORG_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)


def organization_check_char(body: str) -> str:
    """GB 11714 check character of an 8-character 组织机构代码 body (10 → X, 11 → 0)."""
    total = sum((int(c) if c.isdigit() else ord(c) - 55) * w for c, w in zip(body, _ORG_WEIGHTS, strict=True))
    check = 11 - total % 11
    return {10: "X", 11: "0"}.get(check, str(check))


def validate_organization_code(value: str) -> IdCheck:
    """组织机构代码 (CopCode, 9): 8 digits/capitals + GB 11714 check character."""
    zh, en = "组织机构代码", "Organisation code (组织机构代码)"
    failure = (
        check_length(value, zh, en, 9)
        or check_chars(value, ALNUM, "数字或大写字母", "a digit or capital letter", zh, en, 0, 8)
        or check_chars(value, DIGITS | {"X"}, "数字或X", "a digit or X", zh, en, 8)
    )
    if failure:
        return failure
    expected = organization_check_char(value[:8])
    if value[8] != expected:
        return invalid(
            value,
            f"{zh}校验位错误：第9位应为“{expected}”，实际为“{value[8]}”",
            f"{en} check character wrong: position 9 should be '{expected}', got '{value[8]}'",
            9,
        )
    return valid(value)
