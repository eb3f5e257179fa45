from pydantic_settings import SettingsConfigDict

from guanwu.platform.settings import ServiceSettings


class ReviewSettings(ServiceSettings):
    """Settings of the review service (env prefix GUANWU_REVIEW_): the auth and logging every service has.

    Review has no tunable of its own: its limits (page size, comment length, marks per task) are part of its
    HTTP schema, and its consumer group and topics are names, not knobs."""

    model_config = SettingsConfigDict(env_prefix="GUANWU_REVIEW_", env_nested_delimiter="__", extra="ignore")
