"""Fitting text into a box: wrapping (CJK anywhere, Latin words whole), shrinking, the ellipsis of last resort."""

from __future__ import annotations

import pytest

from guanwu.customs.printing.fonts import font_name
from guanwu.customs.printing.text import LEADING, fit, width, wrap

pytestmark = pytest.mark.unit


@pytest.fixture(scope="module")
def font() -> str:
    return font_name()


def test_latin_words_stay_whole_and_chinese_breaks_anywhere(font: str) -> None:
    room = width("MAERSK KENSIN", font, 8)
    assert wrap("MAERSK KENSINGTON/428E", font, 8, room) == ["MAERSK", "KENSINGTON/", "428E"]
    lines = wrap("宁波远帆进出口有限公司" * 3, font, 8, width("宁波远帆进", font, 8))
    assert all(len(line) == 5 for line in lines[:-1]) and "".join(lines) == "宁波远帆进出口有限公司" * 3


def test_explicit_newlines_are_kept(font: str) -> None:
    assert wrap("中国\n(CHN)", font, 7, 100) == ["中国", "(CHN)"]


def test_text_that_fits_exactly_keeps_its_size_and_every_line(font: str) -> None:
    text = "第一行\n第二行\n第三行"
    fitted = fit(text, font, 100, 3 * 7 * LEADING, size=7)
    assert fitted.lines == ("第一行", "第二行", "第三行") and fitted.size == 7 and not fitted.truncated


def test_too_much_text_shrinks_then_ends_in_an_ellipsis(font: str) -> None:
    shrunk = fit("报关" * 30, font, 120, 30, size=8)
    assert shrunk.size < 8 and not shrunk.truncated and "".join(shrunk.lines) == "报关" * 30
    cut = fit("报关" * 300, font, 60, 20, size=8, min_size=4.5)
    assert cut.truncated and cut.size == 4.5 and cut.lines[-1].endswith("…")
    assert cut.height <= 20 and all(width(line, font, 4.5) <= 60 for line in cut.lines)
