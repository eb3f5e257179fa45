from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from guanwu.platform.clock import Clock
from guanwu.review.service_layer.advanced import AdvancedContext
from guanwu.review.service_layer.unit_of_work import ReviewUnitOfWork


@dataclass(frozen=True)
class ReviewContext:
    """What the review service's routes and consumers are given by bootstrap."""

    new_uow: Callable[[], ReviewUnitOfWork]
    clock: Clock
    advanced: AdvancedContext | None = None
    """高级审核, 发送, settings and audit (bound by bootstrap)."""
