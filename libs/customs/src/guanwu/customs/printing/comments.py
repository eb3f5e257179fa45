"""The review sheet's 审核意见 pages: after the form, every marked field with its state, the reviewer's comment,
who and when — what the colours on the form cannot say."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from guanwu.customs.printing.draw import PAD, Pen
from guanwu.customs.printing.marks import MarkState, label
from guanwu.customs.printing.text import LEADING, fit, wrap

CHINA = timezone(timedelta(hours=8))
SIZE = 7.5
HEADER = 15.0
MIN_ROW = 15.0
# (heading, share of the width)
_STATES = frozenset(state.value for state in MarkState)
COLUMNS = (("字段", 0.27), ("标记", 0.08), ("审核意见", 0.43), ("审核人", 0.1), ("标记时间", 0.12))


@dataclass(frozen=True, slots=True)
class ReviewComment:
    """One marked field of a review: its path, state (ok / wrong / stale), comment, reviewer and time."""

    path: str
    state: str
    comment: str | None = None
    reviewer: str | None = None
    marked_at: datetime | None = None

    @property
    def mark(self) -> MarkState | None:
        return MarkState(self.state) if self.state in _STATES else None

    def cells(self) -> tuple[str, ...]:
        state = self.mark.label if self.mark else self.state
        when = self.marked_at
        if when is not None and when.tzinfo is not None:
            when = when.astimezone(CHINA)
        return (
            label(self.path),
            state,
            self.comment or "",
            self.reviewer or "",
            f"{when:%Y-%m-%d %H:%M}" if when else "",
        )


def _height(font: str, comment: ReviewComment, width: float) -> float:
    tallest = MIN_ROW
    for text, (_, share) in zip(comment.cells(), COLUMNS, strict=True):
        lines = len(wrap(text, font, SIZE, share * width - 2 * PAD))
        tallest = max(tallest, lines * SIZE * LEADING + 2 * PAD)
    return tallest


def paginate(
    font: str, comments: Sequence[ReviewComment], width: float, room: float
) -> list[list[tuple[ReviewComment, float]]]:
    """Comments per page with their row heights; none when there is no comment to print."""
    pages: list[list[tuple[ReviewComment, float]]] = []
    used = room
    for comment in comments:
        height = min(_height(font, comment, width), room - HEADER)
        if not pages or used + height > room:
            pages.append([])
            used = HEADER
        pages[-1].append((comment, height))
        used += height
    return pages


def draw(
    pen: Pen, rows: Sequence[tuple[ReviewComment, float]], left: float, top: float, width: float
) -> None:
    """One page's table under the heading 审核意见."""
    pen.text(left, top - 4, "审核意见", 10, bold=True)
    x = left
    for heading, share in COLUMNS:
        pen.rect(x, top, share * width, HEADER)
        pen.text(x + share * width / 2, top + HEADER / 2 + 2.6, heading, SIZE, align="center")
        x += share * width
    top += HEADER
    for comment, height in rows:
        x = left
        for column, (text, (_, share)) in enumerate(zip(comment.cells(), COLUMNS, strict=True)):
            w = share * width
            state = (
                MarkState(comment.state)
                if column == 1 and comment.state in MarkState.__members__.values()
                else None
            )
            pen.rect(x, top, w, height, state, line=0.3)
            pen.lines(
                x + PAD, top + PAD, w - 2 * PAD, fit(text, pen.font, w - 2 * PAD, height - 2 * PAD, size=SIZE)
            )
            x += w
        top += height
