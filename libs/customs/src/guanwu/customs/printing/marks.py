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

from pydantic import BaseModel
from reportlab.lib.colors import Color, HexColor

from guanwu.contracts.declaration import DecFreeTxt, DecHead, DecList


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


_BLOCK_MODELS: dict[str, type[BaseModel]] = {"head": DecHead, "free_text": DecFreeTxt, "goods": DecList}
_PATH = re.compile(r"^(\w+)(?:\[(\d+)\])?\.(\w+)$")


def label(path: str) -> str:
    """ "报关标志 head.edi_id", "第2项 商品名称 goods[1].g_name": the field's Chinese name (from the document
    model's description) before the path, so a reader of the legend need not know the paths."""
    match = _PATH.match(path)
    model = _BLOCK_MODELS.get(match.group(1)) if match else None
    field = model.model_fields.get(match.group(3)) if model and match else None
    if field is None or not field.description or match is None:
        return path
    # Descriptions read "EdiId 报关标志: 1 普通报关, …" — the wire code, the name, then details.
    name = re.split(r"[:：(（]", field.description.split(" ", 1)[-1], maxsplit=1)[0].strip()
    line = f"第{int(match.group(2)) + 1}项 " if match.group(2) is not None else ""
    return f"{line}{name} {path}"
