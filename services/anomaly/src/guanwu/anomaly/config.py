from pydantic import Field
from pydantic_settings import SettingsConfigDict

from guanwu.platform.settings import ServiceSettings


class AnomalySettings(ServiceSettings):
    """Settings of the anomaly service (env prefix GUANWU_ANOMALY_)."""

    model_config = SettingsConfigDict(env_prefix="GUANWU_ANOMALY_", env_nested_delimiter="__", extra="ignore")

    metrics_refresh_seconds: float = Field(
        30.0,
        gt=0,
        description="How often the records are counted by type and handling status for the "
        "`guanwu_anomaly_records` gauge (one indexed count per pair)",
    )
