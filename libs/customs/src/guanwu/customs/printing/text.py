"""Fitting text into a box: wrap by width (CJK at any character, Latin words kept whole where they fit) and
shrink the size until the lines fit the height. Measures with the embedded font's own metrics."""

from __future__ import annotations

from dataclasses import dataclass

from reportlab.pdfbase.pdfmetrics import stringWidth

LEADING = 1.18
"""Line height as a multiple of the font size."""

_BREAK_AFTER = frozenset(" |/,;:，；、。）)")


@dataclass(frozen=True, slots=True)
class Fitted:
    lines: tuple[str, ...]
    size: float
    truncated: bool = False

    @property
    def height(self) -> float:
        return len(self.lines) * self.size * LEADING


def width(text: str, font: str, size: float) -> float:
    return float(stringWidth(text, font, size))


def wrap(text: str, font: str, size: float, max_width: float) -> list[str]:
    """Lines of `text` no wider than `max_width` (a single glyph wider than that still gets its own line).
    Explicit newlines are kept."""
    lines: list[str] = []
    for paragraph in text.split("\n"):
        lines.extend(_wrap_paragraph(paragraph, font, size, max_width))
    return lines


def _wrap_paragraph(text: str, font: str, size: float, max_width: float) -> list[str]:
    lines: list[str] = []
    line = ""
    for char in text:
        if line and width(line + char, font, size) > max_width:
            head, tail = _split_at_break(line, char)
            lines.append(head.rstrip())
            line = tail.lstrip(" ") + char if char != " " or tail else ""
            continue
        line += char
    lines.append(line.rstrip())
    return lines


def _split_at_break(line: str, next_char: str) -> tuple[str, str]:
    """Where to end `line` when `next_char` does not fit: after the last break character if the overflow is in
    the middle of a Latin word or number, so "MAERSK" is not cut into "MAER" + "SK"."""
    if not (next_char.isascii() and next_char.isalnum()):
        return line, ""
    for index in range(len(line) - 1, 0, -1):
        char = line[index]
        if char in _BREAK_AFTER or not char.isascii():
            # Keep at least a third of the line: a break near the start would waste the width.
            return (line[: index + 1], line[index + 1 :]) if index + 1 >= len(line) // 3 else (line, "")
    return line, ""


def fit(
    text: str, font: str, max_width: float, max_height: float, *, size: float, min_size: float = 4.5
) -> Fitted:
    """`text` wrapped at the largest size from `size` down to `min_size` (half-point steps) whose lines fit
    `max_height`; at `min_size` the lines that do not fit are dropped and the last ends with "…"."""
    current = size
    while True:
        lines = wrap(text, font, current, max_width)
        if len(lines) * current * LEADING <= max_height + 1e-6 or current <= min_size:
            break
        current = max(min_size, current - 0.5)
    keep = max(1, int(max_height / (current * LEADING) + 1e-6))
    if len(lines) <= keep:
        return Fitted(tuple(lines), current)
    last = lines[keep - 1]
    while last and width(last + "…", font, current) > max_width:
        last = last[:-1]
    return Fitted((*lines[: keep - 1], last + "…"), current, truncated=True)
