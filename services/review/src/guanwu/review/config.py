from pydantic_settings import SettingsConfigDict

from guanwu.platform.settings import ServiceSettings


class ReviewSettings(ServiceSettings):
    """Settings of the review service (env prefix GUANWU_REVIEW_)."""

    model_config = SettingsConfigDict(env_prefix="GUANWU_REVIEW_", env_nested_delimiter="__", extra="ignore")
