"""A code table: code → Chinese name (+ English where known), with provenance kept beside the data."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
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
