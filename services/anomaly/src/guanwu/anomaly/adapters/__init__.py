"""The anomaly service's adapters. `records`: the records' repository; other modules sit beside it. The names
below are re-exported for the callers of the former single module."""

from guanwu.anomaly.adapters.records import AnomalyRepository, Registrations

__all__ = ["AnomalyRepository", "Registrations"]
