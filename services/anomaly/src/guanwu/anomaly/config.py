from pydantic_settings import SettingsConfigDict

from guanwu.platform.settings import ServiceSettings


class AnomalySettings(ServiceSettings):
    """Settings of the anomaly service (env prefix GUANWU_ANOMALY_)."""

    model_config = SettingsConfigDict(env_prefix="GUANWU_ANOMALY_", env_nested_delimiter="__", extra="ignore")
