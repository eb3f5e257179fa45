from pydantic_settings import SettingsConfigDict

from guanwu.platform.settings import ServiceSettings


class DeclarationSettings(ServiceSettings):
    """Settings of the declaration service (env prefix GUANWU_DECLARATION_)."""

    model_config = SettingsConfigDict(
        env_prefix="GUANWU_DECLARATION_", env_nested_delimiter="__", extra="ignore"
    )
