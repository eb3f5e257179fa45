"""The outcome of checking one identifier: valid, or the precise reason why not (Chinese and English)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class IdCheck:
    """`position` is the 1-based index of the offending character when there is one (the console marks it).

    Deliberately no `__bool__`: helpers chain `failure_a or failure_b or valid(v)` on None vs IdCheck, and a
    falsy failed check would silently fall through. Test `.ok`.
    """

    value: str
    reason_zh: str = ""
    reason_en: str = ""
    position: int | None = None

    @property
    def ok(self) -> bool:
        return not self.reason_en


def valid(value: str) -> IdCheck:
    return IdCheck(value)


def invalid(value: str, zh: str, en: str, position: int | None = None) -> IdCheck:
    return IdCheck(value, zh, en, position)


def check_length(value: str, label_zh: str, label_en: str, *lengths: int) -> IdCheck | None:
    """None when len(value) is one of `lengths`, else the failure."""
    if len(value) in lengths:
        return None
    expected = "或".join(str(n) for n in lengths)
    expected_en = " or ".join(str(n) for n in lengths)
    return invalid(
        value,
        f"{label_zh}应为{expected}位，实际{len(value)}位",
        f"{label_en} must have {expected_en} characters, got {len(value)}",
    )


def check_chars(
    value: str,
    allowed: str | frozenset[str],
    what_zh: str,
    what_en: str,
    label_zh: str,
    label_en: str,
    start: int = 0,
    stop: int | None = None,
) -> IdCheck | None:
    """None when every character of value[start:stop] is in `allowed`, else the first offender."""
    for index, char in enumerate(value[start:stop], start=start):
        if char not in allowed:
            return invalid(
                value,
                f"{label_zh}第{index + 1}位“{char}”无效：此处应为{what_zh}",
                f"{label_en}: character {index + 1} '{char}' is invalid here, expected {what_en}",
                index + 1,
            )
    return None


DIGITS = frozenset("0123456789")
UPPER = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZ")
ALNUM = DIGITS | UPPER
