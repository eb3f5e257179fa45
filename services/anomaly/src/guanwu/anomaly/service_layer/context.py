"""What the anomaly service's entrypoints need, bound once by bootstrap."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from guanwu.anomaly.config import DEFAULT_AUTO_REGISTRATION
from guanwu.anomaly.domain.rules import RegistrationRules, rules_from_settings
from guanwu.anomaly.service_layer.handlers.attachments import Attachments
from guanwu.anomaly.service_layer.handlers.statistics import StatisticsReading
from guanwu.anomaly.service_layer.unit_of_work import AnomalyUnitOfWork
from guanwu.platform.clock import Clock


@dataclass(frozen=True)
class AnomalyContext:
    new_uow: Callable[[], AnomalyUnitOfWork]
    clock: Clock
    default_rules: RegistrationRules = field(
        default_factory=lambda: rules_from_settings(DEFAULT_AUTO_REGISTRATION)
    )  # auto-registration for tenants without rules of their own (settings)
    statistics: StatisticsReading | None = None  # 异常统计分析: where the API reads the counts
    attachments: Attachments | None = None  # 附件: the blob store and what it accepts
