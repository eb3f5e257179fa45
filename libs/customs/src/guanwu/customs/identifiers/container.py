"""ISO 6346 container numbers: 3-letter owner code + category (U, J, Z) + 6-digit serial + check digit.

Check digit = (Σ value·2^i mod 11) mod 10, letters valued A=10 and upwards skipping multiples of 11.
Proven blind spots of the scheme (documented, not hidden by the tests):
1. two owner letters whose values differ by 11 or 22 (A↔K↔U, B↔L↔V, …) have the same weight mod 11, so
   swapping one for the other keeps the number valid;
2. the remainder 10 is written as 0, so a substitution that moves the remainder between 0 and 10 goes
   unnoticed. ISO 6346 therefore recommends not issuing serials whose remainder is 10; `generate_container_no`
   never does, but the validator accepts them because such boxes are in service.
"""

from __future__ import annotations

import random

from guanwu.customs.identifiers.result import (
    DIGITS,
    UPPER,
    IdCheck,
    check_chars,
    check_length,
    invalid,
    valid,
)

CATEGORIES = frozenset("UJZ")
_ZH, _EN = "集装箱号", "Container number"


def _letter_values() -> dict[str, int]:
    values: dict[str, int] = {}
    value = 10
    for letter in "ABCDEFGHIJKLMNOPQRSTUVWXYZ":
        if value % 11 == 0:
            value += 1
        values[letter] = value
        value += 1
    return values


CHAR_VALUE = {**{d: int(d) for d in "0123456789"}, **_letter_values()}


def container_remainder(first10: str) -> int:
    return sum(CHAR_VALUE[c] << i for i, c in enumerate(first10)) % 11


def container_check_digit(first10: str) -> str:
    return str(container_remainder(first10) % 10)


def validate_container_no(value: str) -> IdCheck:
    failure = (
        check_length(value, _ZH, _EN, 11)
        or check_chars(value, UPPER, "大写字母(箱主代码)", "a capital letter (owner code)", _ZH, _EN, 0, 3)
        or check_chars(value, CATEGORIES, "设备识别码U、J或Z", "category U, J or Z", _ZH, _EN, 3, 4)
        or check_chars(value, DIGITS, "数字(箱号及校验位)", "a digit (serial or check digit)", _ZH, _EN, 4)
    )
    if failure:
        return failure
    expected = container_check_digit(value[:10])
    if value[10] != expected:
        return invalid(
            value,
            f"{_ZH}校验位错误：第11位应为“{expected}”，实际为“{value[10]}”(或前10位有误)",
            f"{_EN} check digit wrong: position 11 should be '{expected}', got '{value[10]}' "
            "(or one of the first 10 characters is wrong)",
            11,
        )
    return valid(value)


def generate_container_no(rng: random.Random, owner: str = "GWU", category: str = "U") -> str:
    """A valid container number whose remainder is not 10 (as ISO 6346 recommends)."""
    while True:
        first10 = owner + category + f"{rng.randrange(1_000_000):06d}"
        if container_remainder(first10) != 10:
            return first10 + container_check_digit(first10)
