"""统一社会信用代码 USCC (GB 32100-2015): 18 characters with a mod-31 check character.

Layout: 1 登记管理部门 + 1 机构类别 + 6 行政区划 (digits) + 9 主体标识码 + 1 check, over the alphabet
0-9 A-H J-N P-R T U W-Y (no I O S V Z). Check = alphabet[(31 - Σ value·weight mod 31) mod 31] with weights
3^(i-1) mod 31.

Choice: python-stdnum's `stdnum.cn.uscc` computes the same check character (the tests use it as an
independent oracle) but refuses letters in positions 1–2, which GB 32100 allows (e.g. 登记管理部门 Y 其他,
N 农业), and silently strips spaces and lower-case; guanwu needs the exact reason for a refusal, so the
validation is done here. Every single-character substitution is detected: all weights are non-zero modulo
the prime 31 and two alphabet values differ by less than 31.
"""

from __future__ import annotations

import random

from guanwu.customs.identifiers.result import DIGITS, IdCheck, check_chars, check_length, invalid, valid

ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_VALUE = {c: i for i, c in enumerate(ALPHABET)}
_WEIGHTS = tuple(pow(3, i, 31) for i in range(17))
_ALLOWED = frozenset(ALPHABET)
_ZH, _EN = "统一社会信用代码", "USCC"


def uscc_check_char(body: str) -> str:
    """The 18th character for the first 17."""
    total = sum(_VALUE[c] * w for c, w in zip(body, _WEIGHTS, strict=True))
    return ALPHABET[(31 - total % 31) % 31]


def validate_uscc(value: str) -> IdCheck:
    failure = (
        check_length(value, _ZH, _EN, 18)
        or check_chars(
            value,
            _ALLOWED,
            "数字或大写字母(不含I、O、S、V、Z)",
            "a digit or capital letter other than I, O, S, V, Z",
            _ZH,
            _EN,
        )
        or check_chars(value, DIGITS, "行政区划数字", "a digit of the region code", _ZH, _EN, 2, 8)
    )
    if failure:
        return failure
    expected = uscc_check_char(value[:17])
    if value[17] != expected:
        return invalid(
            value,
            f"{_ZH}校验位错误：第18位应为“{expected}”，实际为“{value[17]}”(或前17位有误)",
            f"{_EN} check character wrong: position 18 should be '{expected}', got '{value[17]}' "
            "(or one of the first 17 characters is wrong)",
            18,
        )
    return valid(value)


def generate_uscc(rng: random.Random, department: str = "9", kind: str = "1", region: str = "440300") -> str:
    """A valid USCC for test data (default: 工商 9, 企业 1, 深圳 440300, random 主体标识码)."""
    subject = "".join(rng.choice(ALPHABET) for _ in range(9))
    body = department + kind + region + subject
    return body + uscc_check_char(body)
