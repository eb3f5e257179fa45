"""A code table: code → Chinese name (+ English where known), with provenance kept beside the data."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from types import MappingProxyType


@dataclass(frozen=True, slots=True)
class CodeEntry:
    """One row of a code table.

    `legacy` is the 3-digit numeric code that 金关二期 (核注清单) still uses for currencies and countries.
    `confidence` records how sure the data file is (src, 2src, infer, mem, unsure, official, enterprise).
    """

    code: str
    name_zh: str
    name_en: str = ""
    legacy: str = ""
    confidence: str = ""
    extra: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))


class Likely(StrEnum):
    """Why an unknown value probably means a known code."""

    CASE = "case"  # "cny" for CNY
    LEGACY = "legacy"  # the 3-digit customs code 金关二期 still uses, e.g. currency 142 for CNY
    ALIAS = "alias"  # a name people write that is not the code, e.g. RMB for CNY (column `aliases`)


@dataclass(frozen=True, slots=True)
class Suggestion:
    entry: CodeEntry
    why: Likely


@dataclass(frozen=True, slots=True)
class CodeTable:
    """An immutable code table: an override builds a new one, so a running check keeps a consistent view."""

    name: str
    entries: Mapping[str, CodeEntry]
    provenance: tuple[str, ...] = ()

    @classmethod
    def of(cls, name: str, entries: Iterable[CodeEntry], provenance: Iterable[str] = ()) -> CodeTable:
        return cls(name, MappingProxyType({e.code: e for e in entries}), tuple(provenance))

    def __contains__(self, code: object) -> bool:
        return code in self.entries

    def __len__(self) -> int:
        return len(self.entries)

    def __iter__(self) -> Iterator[CodeEntry]:
        return iter(self.entries.values())

    def get(self, code: str) -> CodeEntry | None:
        return self.entries.get(code)

    def name_of(self, code: str) -> str:
        """Chinese name, or "" for an unknown code (display code, never raise in a UI path)."""
        entry = self.entries.get(code)
        return entry.name_zh if entry else ""

    def codes(self) -> frozenset[str]:
        return frozenset(self.entries)

    def from_legacy(self, legacy: str) -> CodeEntry | None:
        """The entry whose legacy numeric code is `legacy` (e.g. currency 502 → USD)."""
        for entry in self.entries.values():
            if entry.legacy == legacy:
                return entry
        return None

    def suggest(self, value: str) -> Suggestion | None:
        """The code an unknown `value` most likely means ("did you mean"), or None. Call it for values that
        are not codes of the table: it scans the table, which is fine on a failure path only."""
        upper = value.strip().upper()
        if upper != value and upper in self.entries:
            return Suggestion(self.entries[upper], Likely.CASE)
        entry = self.from_legacy(value.strip()) if value.strip() else None
        if entry is not None:
            return Suggestion(entry, Likely.LEGACY)
        for entry in self.entries.values():
            if upper in entry.extra.get("aliases", "").split("|"):
                return Suggestion(entry, Likely.ALIAS)
        return None

    def to_legacy(self, code: str) -> str | None:
        entry = self.entries.get(code)
        return entry.legacy or None if entry else None

    def merged(
        self, entries: Iterable[CodeEntry], *, replace: bool, provenance: Iterable[str] = ()
    ) -> CodeTable:
        """A new table: `entries` replace the whole table (`replace=True`) or add/overwrite single codes."""
        base = {} if replace else dict(self.entries)
        base.update({e.code: e for e in entries})
        kept = () if replace else self.provenance
        return CodeTable(self.name, MappingProxyType(base), (*kept, *provenance))
