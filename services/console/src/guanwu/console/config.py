from pydantic import Field
from pydantic_settings import SettingsConfigDict

from guanwu.platform.settings import ServiceSettings

_IN_PROCESS = "; unset: the service's routes in this same process (embedded default)"


class ConsoleSettings(ServiceSettings):
    """Settings of the web console (env prefix GUANWU_CONSOLE_).

    The console owns no data: it calls the services' public APIs, in the same process when a base URL is
    unset (embedded default), over HTTP otherwise (`guanwu serve console`)."""

    model_config = SettingsConfigDict(env_prefix="GUANWU_CONSOLE_", env_nested_delimiter="__", extra="ignore")

    auth_url: str | None = Field(
        None, description="Base URL serving POST /api/auth/token (local users)" + _IN_PROCESS
    )
    declaration_url: str | None = Field(None, description="Base URL of the declaration service" + _IN_PROCESS)
    review_url: str | None = Field(None, description="Base URL of the review service" + _IN_PROCESS)
    query_url: str | None = Field(None, description="Base URL of the query service" + _IN_PROCESS)
    anomaly_url: str | None = Field(None, description="Base URL of the anomaly service" + _IN_PROCESS)
    sync_url: str | None = Field(
        None, description="Base URL of the sync service (数据同步 jobs)" + _IN_PROCESS
    )
    page_size: int = Field(20, ge=1, le=200, description="Rows per page of the console's lists")
    api_timeout_seconds: float = Field(10.0, gt=0, description="Timeout of one call to a service's API")
    import_timeout_seconds: float = Field(
        600.0,
        gt=0,
        description="Timeout of an upload to 导入: the declaration service checks and writes the whole file before "
        "it answers (10,000 goods lines take tens of seconds)",
    )
