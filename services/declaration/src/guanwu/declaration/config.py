"""Settings of the declaration service (env prefix GUANWU_DECLARATION_, nested fields with `__`)."""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from guanwu.platform.settings import ServiceSettings


class DeclarationSettings(ServiceSettings):
    """Settings of the declaration service (env prefix GUANWU_DECLARATION_)."""

    model_config = SettingsConfigDict(
        env_prefix="GUANWU_DECLARATION_", env_nested_delimiter="__", extra="ignore"
    )

    reaction_attempts: int = Field(
        5,
        ge=1,
        description="How often a reaction to another service's event re-applies its lifecycle step when a "
        "concurrent edit of the declaration wins the write, before the event fails and the bus retries it",
    )
    metrics_refresh_seconds: float = Field(
        30.0,
        gt=0,
        description="How often the declarations are counted by status for the `guanwu_declaration_declarations` "
        "gauge (one indexed count per status)",
    )
