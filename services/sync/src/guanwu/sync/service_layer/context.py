"""What sync's entrypoints (routes, consumers, background loops) need, bound once by bootstrap."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from guanwu.platform.clock import Clock
from guanwu.sync.config import SyncSettings
from guanwu.sync.domain.single_window import SingleWindow
from guanwu.sync.service_layer.handlers.receipts import PolledTenants
from guanwu.sync.service_layer.observer import UNOBSERVED, SyncObserver
from guanwu.sync.service_layer.unit_of_work import SyncUnitOfWork


@dataclass(frozen=True)
class SyncContext:
    new_uow: Callable[[], SyncUnitOfWork]
    clock: Clock
    single_window: SingleWindow
    tenants: PolledTenants
    settings: SyncSettings
    observer: SyncObserver = UNOBSERVED
