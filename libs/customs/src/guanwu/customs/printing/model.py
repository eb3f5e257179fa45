"""What a printed form is made of: boxes with a label, the printed value and the field paths they show."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime


@dataclass(frozen=True, slots=True)
class PrintNumbers:
    """Numbers and dates the form prints that the document itself may not hold yet.

    Each defaults to the document's own value where it has one (DecHead.PreEntryId, SeqNo, EntryId);
    `declared_on` (申报日期) is known only to whoever saw the declaration declared: the query read model
    passes its 申报日期."""

    pre_entry_id: str | None = None
    seq_no: str | None = None
    entry_id: str | None = None
    declared_on: date | datetime | str | None = None

    def declared_text(self) -> str:
        value = self.declared_on
        if value is None:
            return ""
        if isinstance(value, datetime | date):
            return value.strftime("%Y%m%d")
        return value


@dataclass(frozen=True, slots=True)
class Box:
    """One box of the form. `weight` is its share of the row's width; `fields` the paths whose marks colour it."""

    label: str
    value: str
    fields: tuple[str, ...] = ()
    weight: float = 1.0


@dataclass(frozen=True, slots=True)
class Row:
    height: float
    boxes: tuple[Box, ...]
