"""What the query service's entrypoints need, bound once by bootstrap."""

from __future__ import annotations

from dataclasses import dataclass

from guanwu.query.adapters import DeclarationReadModel


@dataclass(frozen=True)
class QueryContext:
    read_model: DeclarationReadModel
