"""Settings of the declaration service (env prefix GUANWU_DECLARATION_, nested fields with `__`)."""

from __future__ import annotations

from pydantic import BaseModel, Field
from pydantic_settings import SettingsConfigDict

from guanwu.platform.settings import ServiceSettings


class ImportLimits(BaseModel):
    """What an uploaded workbook may be (settings `imports`, env GUANWU_DECLARATION_IMPORTS__MAX_BYTES …)."""

    max_bytes: int = Field(
        16 * 1024 * 1024, gt=0, description="The largest file accepted, in bytes (413 at the byte past it)"
    )
    max_uncompressed_bytes: int = Field(
        64 * 1024 * 1024,
        gt=0,
        description="The most the zip's members may declare uncompressed, together (checked on the zip's "
        "directory before any member is read)",
    )
    max_compression_ratio: int = Field(
        200,
        gt=1,
        description="The most a member larger than 1 MB uncompressed may declare per compressed byte (a zip "
        "bomb's members declare thousands; a spreadsheet's XML compresses 5–50 times)",
    )
    max_zip_members: int = Field(1000, gt=0, description="The most members the zip may have")
    max_rows: int = Field(
        20_001,
        gt=1,
        description="The most rows a sheet may have, its header row included (20,000 goods lines)",
    )
    max_declarations: int = Field(
        1000, gt=0, description="The most declarations (表头 rows) one file may hold"
    )
    max_findings: int = Field(1000, gt=0, description="The most findings an answer lists (all are counted)")
    write_batch: int = Field(
        100,
        gt=0,
        description="How many drafts are written per store round trip (FerretDB: 100 take half the time of 20)",
    )


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
    signing_timeout_seconds: float = Field(
        900.0,
        gt=0,
        description="How long a declaration waits in 申报中 for the answer to its signing request (the card "
        "signer's DeclarationSigned or SignFailed) before it goes back to 审核通过 with the reason; an answer "
        "that comes later is ignored",
    )
    signing_timeout_sweep_seconds: float = Field(
        60.0,
        gt=0,
        description="How often the declarations in 申报中 are checked for a signing request unanswered for "
        "`signing_timeout_seconds`",
    )
    parked_receipt_ttl_seconds: float = Field(
        7 * 24 * 3600.0,
        gt=0,
        description="How long a receipt that names no declaration known here stays parked, waiting for the "
        "DeclarationSubmitted or the synced declaration that names it, before it is removed (with a warning "
        "in the log and `guanwu_declaration_parked_receipts_expired_total`)",
    )
    parked_receipt_sweep_seconds: float = Field(
        600.0,
        gt=0,
        description="How often parked receipts older than `parked_receipt_ttl_seconds` are removed",
    )
    imports: ImportLimits = Field(
        default_factory=ImportLimits,
        description="导入 (F-33): what an uploaded workbook may be (size, zip structure, rows, declarations)",
    )
