from pydantic import Field
from pydantic_settings import SettingsConfigDict

from guanwu.platform.settings import ServiceSettings


class SyncSettings(ServiceSettings):
    """Settings of the sync service (env prefix GUANWU_SYNC_)."""

    model_config = SettingsConfigDict(env_prefix="GUANWU_SYNC_", env_nested_delimiter="__", extra="ignore")

    single_window_url: str | None = Field(
        "http://127.0.0.1:8100",
        description="Base URL of the Single Window (or simulator; `python -m guanwu.singlewindow_sim` listens "
        "on 8100 by default); null: no upstream, 申报 requests are kept unsent and nothing is polled",
    )
    tenants: list[str] = Field(
        default_factory=lambda: ["demo"],
        description="Enterprises whose receipts are always polled (a JSON list in the environment, e.g. "
        '\'["demo","acme"]\'); every tenant that declares through guanwu is followed too, without a restart',
    )
    poll_interval_seconds: float = Field(1.0, gt=0, description="Pause between polls when the feed is empty")
    resend_interval_seconds: float = Field(
        30.0, gt=0, description="How often declarations the Single Window could not take are sent again"
    )
    receipt_page_size: int = Field(200, gt=0, description="Receipts asked of the Single Window per request")
    resend_batch_size: int = Field(
        50, gt=0, description="Declarations the resend sweep sends at most per round (the rest wait a round)"
    )
    write_attempts: int = Field(
        20,
        gt=0,
        description="How often a 申报 record write that met a concurrent one is tried again (the request and "
        "the signature may arrive at the same moment)",
    )
    single_window_timeout_seconds: float = Field(
        10.0, gt=0, description="How long a request to the Single Window may take before it counts as failed"
    )
