from pydantic import Field
from pydantic_settings import SettingsConfigDict

from guanwu.platform.settings import ServiceSettings


class ReviewSettings(ServiceSettings):
    """Settings of the review service (env prefix GUANWU_REVIEW_): the auth and logging every service has, and
    where the declaration service's API is (发送, the template of 高级审核).

    Its limits (page size, comment length, marks per task) are part of its HTTP schema, and its consumer
    groups and topics are names, not knobs."""

    model_config = SettingsConfigDict(env_prefix="GUANWU_REVIEW_", env_nested_delimiter="__", extra="ignore")

    declaration_url: str | None = Field(
        None,
        description="Base URL of the declaration service (发送 calls its declare command, 高级审核 reads the "
        "template); unset: its routes in this same process (embedded default)",
    )
    api_timeout_seconds: float = Field(
        10.0, gt=0, description="Timeout of one call to the declaration service"
    )
