"""Review marks on a printed form: field path → state, shown as the colour of the box that prints the field.

Paths are the review's and the logic checks' (`head.trade_mode`, `goods[2].g_qty`: 0-based line index).
A box names the paths it prints; a path names a box when it equals one of them or lies under it
(`licenses` covers `licenses[0].cert_code`). Marks on fields the form has no box for are listed in the
legend, so a printed review sheet loses none.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from enum import StrEnum

from reportlab.lib.colors import Color, HexColor


class MarkState(StrEnum):
    OK = "ok"
    WRONG = "wrong"
    STALE = "stale"
    """A mark carried from an earlier version whose value has changed since (review #15)."""

    @property
    def label(self) -> str:
        return _LABELS[self]


_LABELS = {MarkState.OK: "无误", MarkState.WRONG: "有误", MarkState.STALE: "已变更待复核"}

# Light fills keep the printed text readable in black; the border says it again in a darker tone.
FILL: dict[MarkState, Color] = {
    MarkState.OK: HexColor("#d8f0d2"),
    MarkState.WRONG: HexColor("#f6c9c9"),
    MarkState.STALE: HexColor("#fbe7b5"),
}
STROKE: dict[MarkState, Color] = {
    MarkState.OK: HexColor("#2e7d32"),
    MarkState.WRONG: HexColor("#c62828"),
    MarkState.STALE: HexColor("#b7791f"),
}
_SEVERITY = {MarkState.OK: 0, MarkState.STALE: 1, MarkState.WRONG: 2}

Marks = Mapping[str, MarkState]

_LINE = re.compile(r"^goods\[(\d+)\]\.(\w+)")


def normalise(marks: Mapping[str, str] | None) -> dict[str, MarkState]:
    """Keep the marks with a state the form shows (ok, wrong, stale); `unmarked` and unknown ones drop."""
    known = {state.value for state in MarkState}
    return {path: MarkState(state) for path, state in (marks or {}).items() if state in known}


def covers(field: str, path: str) -> bool:
    return path == field or path.startswith((field + "[", field + "."))


def state_of(fields: Iterable[str], marks: Marks) -> MarkState | None:
    """The most severe mark on any of `fields` (wrong over stale over ok), or None."""
    found = [state for path, state in marks.items() if any(covers(f, path) for f in fields)]
    return max(found, key=_SEVERITY.__getitem__) if found else None


def goods_marks(marks: Marks) -> dict[int, dict[str, MarkState]]:
    """Line index → {DecList attribute (or block under it) → state}."""
    lines: dict[int, dict[str, MarkState]] = {}
    for path, state in marks.items():
        match = _LINE.match(path)
        if match:
            lines.setdefault(int(match.group(1)), {})[match.group(2)] = state
    return lines


def unplaced(marks: Marks, placed: Iterable[str], goods_attrs: Iterable[str]) -> list[tuple[str, MarkState]]:
    """The marks no box and no goods cell shows, in path order."""
    fields = list(placed)
    attrs = set(goods_attrs)
    left = []
    for path, state in sorted(marks.items()):
        match = _LINE.match(path)
        if match and match.group(2) in attrs:
            continue
        if not match and any(covers(f, path) for f in fields):
            continue
        left.append((path, state))
    return left
