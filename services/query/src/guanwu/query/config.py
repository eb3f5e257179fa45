from pydantic_settings import SettingsConfigDict

from guanwu.platform.settings import ServiceSettings


class QuerySettings(ServiceSettings):
    """Settings of the query service (env prefix GUANWU_QUERY_)."""

    model_config = SettingsConfigDict(env_prefix="GUANWU_QUERY_", env_nested_delimiter="__", extra="ignore")
