"""What sync's entrypoints (routes, consumers, background loops) need, bound once by bootstrap."""

from __future__ import annotations

import os
import socket
from collections.abc import Callable
from dataclasses import dataclass, field

from guanwu.platform.clock import Clock
from guanwu.platform.ids import new_id
from guanwu.sync.adapters.single_window_query import NoSingleWindowQuery
from guanwu.sync.config import SyncSettings
from guanwu.sync.domain.query import SingleWindowQuery
from guanwu.sync.domain.single_window import SingleWindow
from guanwu.sync.service_layer.handlers.job_runner import JobWakeup
from guanwu.sync.service_layer.handlers.receipts import PolledTenants
from guanwu.sync.service_layer.job_observer import UNOBSERVED_JOBS, JobObserver
from guanwu.sync.service_layer.observer import UNOBSERVED, SyncObserver
from guanwu.sync.service_layer.unit_of_work import SyncUnitOfWork


def runner_name() -> str:
    """Names the leases this process takes (host and pid for people; a random part for uniqueness)."""
    return f"{socket.gethostname()}:{os.getpid()}:{new_id()[:8]}"


@dataclass(frozen=True)
class SyncContext:
    new_uow: Callable[[], SyncUnitOfWork]
    clock: Clock
    single_window: SingleWindow
    tenants: PolledTenants
    settings: SyncSettings
    observer: SyncObserver = UNOBSERVED
    # Sync jobs (数据同步): the Single Window's query screens, who this process's runner is, its wake-up call.
    query: SingleWindowQuery = field(default_factory=NoSingleWindowQuery)
    job_observer: JobObserver = UNOBSERVED_JOBS
    job_wakeup: JobWakeup = field(default_factory=JobWakeup)
    runner_id: str = field(default_factory=runner_name)

    @property
    def connected(self) -> bool:
        """A Single Window is configured (the background loops and job runner run only then)."""
        return self.settings.single_window_url is not None
