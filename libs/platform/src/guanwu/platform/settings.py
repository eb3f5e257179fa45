"""Typed settings shared by every service. Each service subclasses `ServiceSettings` with its own env prefix,
e.g. `GUANWU_ANOMALY_BUS__KIND=kafka` (nested fields use `__`)."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

MIN_SECRET_LENGTH = 32


class BusSettings(BaseModel):
    kind: Literal["inprocess", "kafka"] = Field("inprocess", description="inprocess (embedded) or kafka")
    bootstrap_servers: str = Field(
        "127.0.0.1:9092", description="Kafka bootstrap servers, host:port[,host:port]"
    )
    topic_partitions: int = Field(3, ge=1, description="Partitions for topics this service creates")
    startup_timeout_seconds: float = Field(
        120.0, gt=0, description="How long to wait for the broker at start"
    )
    group_prefix: str | None = Field(
        None,
        pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]*$",
        description="Prefix of this deployment's consumer group ids (default: the deployment name); two "
        "deployments on one broker need different prefixes or they take each other's messages",
    )
    stall_seconds: float = Field(
        120.0, gt=0, description="A consumer on one message for longer than this is reported in /readyz"
    )
    max_message_bytes: int = Field(
        1_000_000,
        ge=16_384,
        description="Largest dead-letter copy written whole; a larger failed message is dead-lettered as a "
        "reference (size, SHA-256, first bytes, source partition and offset)",
    )


class StoreSettings(BaseModel):
    kind: Literal["sqlite", "mongo"] = Field("sqlite", description="sqlite (embedded) or mongo")
    data_dir: Path = Field(Path("data"), description="Folder of the SQLite store")
    mongo_url: str = Field("mongodb://127.0.0.1:27017/", description="MongoDB (or FerretDB) URL")
    database: str = Field("guanwu", description="Database name in MongoDB")


class AuthSettings(BaseModel):
    mode: Literal["local", "jwks"] = Field(
        "local", description="local: HS256 tokens from guanwu; jwks: OIDC issuer"
    )
    secret: SecretStr | None = Field(None, description="HS256 secret of the local issuer (>= 32 characters)")
    issuer: str = Field("guanwu-local", description="Expected `iss` claim")
    audience: str = Field("guanwu", description="Expected `aud` claim")
    jwks_url: str | None = Field(None, description="JWKS endpoint of the external issuer (mode=jwks)")
    token_ttl_seconds: int = Field(8 * 3600, gt=0, description="Lifetime of locally issued tokens")
    max_token_lifetime_seconds: int = Field(
        24 * 3600,
        gt=0,
        description="Tokens whose exp - iat exceeds this are refused, whoever issued them (exp and iat required)",
    )
    clock_skew_seconds: int = Field(
        60, ge=0, le=600, description="How far in the future a token's iat may be (the issuer's clock ahead)"
    )

    @model_validator(mode="after")
    def _refuse_missing_secrets(self) -> AuthSettings:
        if self.mode == "local":
            if self.secret is None or len(self.secret.get_secret_value()) < MIN_SECRET_LENGTH:
                raise ValueError(
                    f"auth.secret must be set and at least {MIN_SECRET_LENGTH} characters in local mode"
                )
            if self.token_ttl_seconds > self.max_token_lifetime_seconds:
                raise ValueError(
                    "auth.token_ttl_seconds must not exceed auth.max_token_lifetime_seconds: "
                    "the local issuer's tokens would be refused"
                )
        elif not self.jwks_url:
            raise ValueError("auth.jwks_url is required in jwks mode")
        return self


class HttpSettings(BaseModel):
    host: str = Field("127.0.0.1", description="Address the HTTP API listens on")
    port: int = Field(8000, ge=1, le=65535, description="Port of the HTTP API")


class ServiceSettings(BaseSettings):
    model_config = SettingsConfigDict(env_nested_delimiter="__", extra="ignore")

    deployment: str = Field(
        "guanwu",
        pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]*$",
        description="Name of this deployment: the default consumer group prefix",
    )

    bus: BusSettings = Field(default_factory=BusSettings)
    store: StoreSettings = Field(default_factory=StoreSettings)
    auth: AuthSettings
    http: HttpSettings = Field(default_factory=HttpSettings)
    log_level: str = Field("INFO", description="Log level")
    log_json: bool = Field(True, description="JSON log lines (false: human-readable console)")
