"""Settings of the card signer (env prefix GUANWU_CARD_SIGNER_, nested fields with `__`)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, SecretStr
from pydantic_settings import SettingsConfigDict

from guanwu.platform.settings import ServiceSettings


class CardSignerSettings(ServiceSettings):
    """Which signer, where its secrets come from, and how the card queue behaves."""

    model_config = SettingsConfigDict(
        env_prefix="GUANWU_CARD_SIGNER_", env_nested_delimiter="__", extra="ignore"
    )

    tenants: list[Annotated[str, Field(min_length=1, max_length=64)]] = Field(
        min_length=1,
        description=(
            "Tenants (enterprises) the card signs for, a JSON list: the enterprise that holds the card and, for "
            "a broker's (报关行) card, its named clients. Required: other tenants' requests are refused "
            "(SignFailed tenant_not_served, HTTP 403)"
        ),
    )
    signer: Literal["pcsc", "soft"] = Field("pcsc", description="pcsc: the operator's card; soft: a key file")
    reader: str = Field("", description="Use the first PC/SC reader whose name contains this text")
    pin: SecretStr | None = Field(None, description="Card PIN (prefer pin_file); never logged")
    pin_file: Path | None = Field(None, description="File holding the card PIN; re-read at each login")
    pin_min_retries_to_try: int = Field(
        2, ge=2, le=15, description="Try the PIN only with at least this many tries left (>= 2: never block)"
    )
    soft_token_path: Path = Field(Path("data/soft-token.json"), description="Soft token file (signer=soft)")
    soft_passphrase: SecretStr | None = Field(None, description="Soft token passphrase (prefer the file)")
    soft_passphrase_file: Path | None = Field(None, description="File holding the soft token passphrase")
    soft_create_if_missing: bool = Field(False, description="Create a new soft token at start if none exists")
    queue_max_pending: int = Field(256, ge=1, description="Requests waiting for the card before `busy`")
    timeout_seconds: float = Field(30.0, gt=0, description="Deadline of one request, queue wait included")
    status_poll_seconds: float = Field(10.0, gt=0, description="How often the card's state is refreshed")
