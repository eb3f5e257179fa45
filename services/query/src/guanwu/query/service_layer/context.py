"""What the query service's entrypoints need, bound once by bootstrap."""

from __future__ import annotations

from dataclasses import dataclass

from guanwu.query.adapters.bonded_lists import BondedListReadModel
from guanwu.query.adapters.declarations import DeclarationReadModel
from guanwu.query.adapters.history import HistoryReadModel


@dataclass(frozen=True)
class QueryContext:
    read_model: DeclarationReadModel
    bonded_lists: BondedListReadModel
    history: HistoryReadModel
