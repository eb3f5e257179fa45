from typing import Literal

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from guanwu.platform.settings import ServiceSettings

AttachmentType = Literal["pdf", "png", "jpeg", "xlsx", "docx", "txt", "csv"]
ATTACHMENT_TYPES: tuple[AttachmentType, ...] = ("pdf", "png", "jpeg", "xlsx", "docx", "txt", "csv")

DEFAULT_AUTO_REGISTRATION: dict[str, dict[str, str]] = {
    "DEC_RESULT": {"D": "删单", "E": "退单", "C": "查验", "S": "查验"},
    "INV201": {"3": "删单", "2": "退单"},
}
"""Which receipts register which anomaly type, until a tenant stores its own rules (PUT /api/anomaly/rules):
DEC_RESULT by CHANNEL (D 海关删单, E 海关退单, C 查验通知, S 检验检疫查验) → 报关单异常; 核注清单 INV201 by 清单状态
(3 删单, 2 退单) → 核注清单异常."""


class AnomalySettings(ServiceSettings):
    """Settings of the anomaly service (env prefix GUANWU_ANOMALY_)."""

    model_config = SettingsConfigDict(env_prefix="GUANWU_ANOMALY_", env_nested_delimiter="__", extra="ignore")

    metrics_refresh_seconds: float = Field(
        30.0,
        gt=0,
        description="How often the records are counted by type and handling status for the "
        "`guanwu_anomaly_records` gauge (one indexed count per pair)",
    )
    auto_registration: dict[str, dict[str, str]] = Field(
        default_factory=lambda: {kind: dict(codes) for kind, codes in DEFAULT_AUTO_REGISTRATION.items()},
        description="Auto-registration (F-22) for tenants without rules of their own: {receipt kind: {code: "
        "anomaly type}}; kinds DEC_RESULT (code: CHANNEL) and INV201 (code: 清单状态); a code not named "
        "registers nothing. Checked at start (an unknown kind, code or type stops it)",
    )
    attachment_max_bytes: int = Field(
        20 * 1024 * 1024,
        gt=0,
        le=1024 * 1024 * 1024,
        description="附件: the largest file accepted, in bytes (refused with 413 at the byte that crosses it)",
    )
    attachment_types: list[AttachmentType] = Field(
        default_factory=lambda: list(ATTACHMENT_TYPES),
        min_length=1,
        description="附件: the types accepted, each checked from the file's content (magic bytes; xlsx/docx "
        "by their zip members; txt/csv as UTF-8 or GB18030 text without NUL bytes), not from its name",
    )
    attachments_per_record: int = Field(20, ge=1, le=1000, description="附件: at most this many per record")
    statistics: Literal["embedded", "stream"] = Field(
        "embedded",
        description="Who counts 异常统计分析: `embedded`, this service (a subscription to anomaly.events.v1, "
        "shards in its store); `stream`, the statistics stream process (`guanwu serve anomaly-statistics`, "
        "faust tables), whose snapshots in this service's store the API then reads",
    )


class AnomalyStatisticsSettings(ServiceSettings):
    """Settings of the statistics stream process (`guanwu serve anomaly-statistics`, env prefix
    GUANWU_ANOMALY_STATISTICS_). Its store is the anomaly service's (it writes the snapshots the API reads)."""

    model_config = SettingsConfigDict(
        env_prefix="GUANWU_ANOMALY_STATISTICS_", env_nested_delimiter="__", extra="ignore"
    )

    snapshot_seconds: float = Field(
        1.0, gt=0, description="How often the counts that changed are written to the store for the API"
    )
