"""What a logic check reports: a finding with a rule code, a field path, a severity and two messages."""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum, StrEnum


class Level(IntEnum):
    """When a rule applies. A STAGE rule also applies at DECLARE (申报 checks everything 暂存 checks)."""

    STAGE = 1  # 暂存
    DECLARE = 2  # 申报

    @property
    def label_zh(self) -> str:
        return "暂存" if self is Level.STAGE else "申报"


class Severity(StrEnum):
    ERROR = "error"  # blocks 申报
    WARNING = "warning"  # shown to the reviewer


@dataclass(frozen=True, slots=True)
class Finding:
    """`field_path` names the model field, e.g. `head.ie_port` or `goods[3].decl_total` (0-based list index,
    as in the JSON document the console edits); messages name the goods line by its 商品序号 instead."""

    rule_code: str
    field_path: str
    severity: Severity
    message_zh: str
    message_en: str

    @property
    def blocks_declare(self) -> bool:
        return self.severity is Severity.ERROR
