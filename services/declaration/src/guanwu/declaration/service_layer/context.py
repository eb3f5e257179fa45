"""What the declaration service's entrypoints need, bound once by bootstrap."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from guanwu.declaration.config import ImportLimits
from guanwu.declaration.service_layer.unit_of_work import DeclarationUnitOfWork
from guanwu.platform.clock import Clock


@dataclass(frozen=True)
class DeclarationContext:
    new_uow: Callable[[], DeclarationUnitOfWork]
    clock: Clock
    reaction_attempts: int
    """How often a reaction re-applies its step when a concurrent edit wins the write (settings)."""
    import_limits: ImportLimits = field(default_factory=ImportLimits)
    """What an uploaded import workbook may be (settings `imports`)."""
