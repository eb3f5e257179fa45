"""The one clock: handlers take a `Clock` parameter (tests pass a fixed one), bootstrap binds `utc_now`."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from guanwu.contracts.envelope import utc_now

Clock = Callable[[], datetime]

__all__ = ["Clock", "utc_now"]
