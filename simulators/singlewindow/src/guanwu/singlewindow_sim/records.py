"""One enterprise's seeded records at the simulated Single Window, kept as compact columns.

Memory: per record a 统一编号 key (8 bytes), its last change in milliseconds (8), its version (4), the codes
the queries filter on (1 byte each) and its place in the (updated_at, 统一编号) order (8): under 40 bytes a
record, about 4.5 MB for 100,000 declarations and 20,000 lists. Documents and XML are rendered on request
from (seed, index) by the kernel's `DataSet`; only `touch` changes a record, and only its time and version.

Paging is keyset paging over that order: a page starts after the (updated_at, 统一编号) of the last record of
the page before, so records are neither skipped nor repeated while nothing changes between pages.
"""

from __future__ import annotations

import bisect
from array import array
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Literal, NamedTuple

from guanwu.customs.fixtures.datasets import DataSet

Kind = Literal["declarations", "bonded_lists"]
Key = int
"""updated_at (ms since the epoch) and the 统一编号 (as a number that sorts like the text) in one integer:
`updated << 60 | seq_key`, ordered as the pair. One int per record sorts in a third of the memory of pairs."""
SEQ_BITS = 60  # every 统一编号 key is below 10^18 < 2^60

NO_RECORD = -1


def declaration_seq_key(seq_no: str) -> int:
    """统一编号 I/E + 17 digits as a number ordered like the text (E before I)."""
    return (10**17 if seq_no[0] == "I" else 0) + int(seq_no[1:])


def to_ms(moment: datetime) -> int:
    return int(moment.timestamp() * 1000)


@dataclass(frozen=True)
class Selection:
    """Which records one query asks for: by ticket the one record (`ticket`), by day those in `window`."""

    fingerprint: str
    keep: Callable[[int], bool]
    ticket: int | None = None
    window: tuple[int, int] | None = None


class Page(NamedTuple):
    indices: list[int]
    next_key: Key | None
    total: int


class RecordIndex:
    """The records of one kind, as columns indexed by the record's index in its data set."""

    def __init__(
        self, seq_keys: array[int], updated: array[int], versions: array[int], columns: dict[str, array[int]]
    ) -> None:
        self.seq_keys, self.updated, self.versions, self.columns = seq_keys, updated, versions, columns
        self.order = array("q", sorted(range(len(seq_keys)), key=self.key))
        self._totals: dict[str, int] = {}

    def __len__(self) -> int:
        return len(self.seq_keys)

    def key(self, index: int) -> Key:
        return self.updated[index] << SEQ_BITS | self.seq_keys[index]

    def _span(self, selection: Selection) -> range:
        """Positions in `order` the selection may hold."""
        if selection.window is None:
            return range(0)
        start, end = selection.window
        low = bisect.bisect_left(self.order, start << SEQ_BITS, key=self.key)
        return range(low, bisect.bisect_left(self.order, end << SEQ_BITS, key=self.key, lo=low))

    def count(self, selection: Selection) -> int:
        if selection.ticket is not None:
            return int(selection.ticket != NO_RECORD)
        total = self._totals.get(selection.fingerprint)
        if total is None:
            order, keep = self.order, selection.keep
            total = self._totals[selection.fingerprint] = sum(
                1 for p in self._span(selection) if keep(order[p])
            )
        return total

    def page(self, selection: Selection, after: Key | None, limit: int) -> Page:
        total = self.count(selection)
        if selection.ticket is not None:
            hit = selection.ticket != NO_RECORD and (after is None or self.key(selection.ticket) > after)
            return Page([selection.ticket] if hit else [], None, total)
        positions = self._span(selection)
        start = positions.start
        if after is not None:
            start = max(start, bisect.bisect_right(self.order, after, key=self.key))
        order, keep, found = self.order, selection.keep, list[int]()
        for position in range(start, positions.stop):
            index = order[position]
            if keep(index):
                if len(found) == limit:
                    return Page(found, self.key(found[-1]), total)
                found.append(index)
        return Page(found, None, total)

    def touch(self, count: int, now_ms: int) -> list[int]:
        """The `count` records changed longest ago get a new version, changed now; returns their indices."""
        touched = list(self.order[:count])
        for index in touched:
            self.updated[index] = now_ms
            self.versions[index] += 1
        self.order = array("q", sorted(self.order, key=self.key))
        self._totals.clear()
        return touched


class EnterpriseRecords:
    """One enterprise's data set: its declarations and bonded lists, each a `RecordIndex`."""

    def __init__(self, data: DataSet) -> None:
        self.data = data
        self.start_ms = int(data.start.timestamp()) * 1000
        self.declarations = self._declarations()
        self.bonded_lists = self._bonded_lists()
        self.touched: dict[Kind, int] = {"declarations": 0, "bonded_lists": 0}

    @classmethod
    def empty(cls) -> EnterpriseRecords:
        """What an enterprise without a data set holds: nothing."""
        return cls(DataSet(seed=0, start=datetime(2000, 1, 1, tzinfo=UTC)))

    def of(self, kind: Kind) -> RecordIndex:
        return self.declarations if kind == "declarations" else self.bonded_lists

    def _declarations(self) -> RecordIndex:
        # One pass, appending to the columns: a list of 100,000 facts would weigh ~100 MB for a moment.
        seq_keys, updated, versions = array("q"), array("q"), array("l")
        role, trade, entry_kind = array("B"), array("B"), array("B")
        for i in range(self.data.declarations):
            facts = self.data.declaration_facts(i)
            seq_keys.append(declaration_seq_key(facts.seq_no))
            updated.append(self.start_ms + facts.updated * 1000)
            versions.append(facts.version)
            role.append(int(facts.role))
            trade.append(facts.trade)
            entry_kind.append(int(facts.entry_kind))
        columns = {"role": role, "trade": trade, "entry_kind": entry_kind}
        return RecordIndex(seq_keys, updated, versions, columns)

    def _bonded_lists(self) -> RecordIndex:
        seq_keys, updated, versions = array("q"), array("q"), array("l")
        role, data_source, list_stat, ie = array("B"), array("B"), array("B"), array("B")
        for i in range(self.data.bonded_lists):
            facts = self.data.bonded_list_facts(i)
            seq_keys.append(int(facts.seq_no))
            updated.append(self.start_ms + facts.updated * 1000)
            versions.append(facts.version)
            role.append(int(facts.role))
            data_source.append(int(facts.data_source))
            list_stat.append(int(facts.list_stat))
            ie.append(facts.ie_flag == "I")
        columns = {"role": role, "data_source": data_source, "list_stat": list_stat, "ie": ie}
        return RecordIndex(seq_keys, updated, versions, columns)
