"""The anomaly service's handlers: `records` for the records (新增, 修改, 变更状态, 删除, the 删单 receipt's
record, counts); other modules sit beside it. The names below are re-exported for the callers of the former
single module."""

SOURCE = "/guanwu/anomaly"
"""The CloudEvents `source` of every event the anomaly service publishes."""

from guanwu.anomaly.service_layer.handlers.records import (  # noqa: E402 (SOURCE first: records reads it)
    Caller,
    DeleteOutcome,
    change_anomaly_status,
    count_anomalies_by_type_and_status,
    delete_anomalies,
    delete_anomaly,
    edit_anomaly,
    register_anomalies_for_delete_receipts,
    register_anomaly,
)

__all__ = [
    "SOURCE",
    "Caller",
    "DeleteOutcome",
    "change_anomaly_status",
    "count_anomalies_by_type_and_status",
    "delete_anomalies",
    "delete_anomaly",
    "edit_anomaly",
    "register_anomalies_for_delete_receipts",
    "register_anomaly",
]
