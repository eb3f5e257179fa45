"""The anomaly service's domain (pure: no I/O). `records`: the 异常状态登记 records themselves; other modules
(rules, statistics, attachments) sit beside it. The names below are re-exported for the callers of the former
single module."""

from guanwu.anomaly.domain.records import (
    Anomaly,
    AnomalyCategory,
    AnomalyInput,
    AnomalySearch,
    AnomalyType,
    HandlingStatus,
    anomaly_entered,
    anomaly_for_delete_receipt,
    anomaly_id_for_receipt,
    new_anomaly_id,
    registered,
    registered_event_id,
)

__all__ = [
    "Anomaly",
    "AnomalyCategory",
    "AnomalyInput",
    "AnomalySearch",
    "AnomalyType",
    "HandlingStatus",
    "anomaly_entered",
    "anomaly_for_delete_receipt",
    "anomaly_id_for_receipt",
    "new_anomaly_id",
    "registered",
    "registered_event_id",
]
