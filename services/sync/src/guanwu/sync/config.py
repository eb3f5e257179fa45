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
    single_window_requests_per_second: float = Field(
        20.0,
        gt=0,
        description="The most query requests (数据同步, log-ins included) one sync process sends the Single Window "
        "per second (aiolimiter; with several replicas the upstream sees the sum)",
    )
    single_window_attempts: int = Field(
        5,
        gt=0,
        description="How often a query to the Single Window is tried before its job fails (connection errors, "
        "timeouts, 5xx and 429 are tried again; another 4xx fails the job at once)",
    )
    single_window_backoff_seconds: float = Field(
        0.5, gt=0, description="First pause before a query is tried again; it doubles each time (with jitter)"
    )
    single_window_backoff_max_seconds: float = Field(
        10.0, gt=0, description="Longest pause between two tries of a query"
    )
    job_page_size: int = Field(
        500,
        gt=0,
        le=500,
        description="Records a sync job asks the Single Window for per page; each page is one write of its "
        "records, its quarantined items and the job's cursor (the Single Window serves at most 500)",
    )
    job_lease_seconds: float = Field(
        60.0,
        gt=0,
        description="How long a runner holds a job without writing a page; a job whose runner died is taken "
        "up again (from its cursor) once this has passed. Keep it above the longest page (tries × timeout)",
    )
    max_concurrent_jobs: int = Field(2, gt=0, description="Sync jobs one process runs at the same time")
    job_poll_interval_seconds: float = Field(
        1.0,
        gt=0,
        description="How often an idle runner looks for queued jobs and expired leases (a job created in "
        "this process starts at once)",
    )
    quarantine_payload_max_chars: int = Field(
        65536,
        ge=1024,
        description="The most characters of a quarantined item's raw payload that are kept (the rest is cut "
        "off; the entry says how long it was)",
    )
