"""普通审核 / 高级审核 (F-12): the 高级审核 view of one task — beside each field, the kernel's logic-check
findings (guanwu.customs.rules at 申报 level), the comparisons (`domain.comparisons`) and the field's mark.
Pure: no I/O."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from guanwu.customs.rules import Finding
from guanwu.review.domain.comparisons import Comparison
from guanwu.review.domain.tasks import ReviewTask

TemplateState = Literal["compared", "none", "deleted", "unavailable"]


class FindingNote(BaseModel):
    """A logic-check finding of the kernel; `error` blocks 申报, `warning` is for the reviewer to judge."""

    model_config = ConfigDict(frozen=True)

    rule_code: str
    field_path: str
    severity: str
    message_zh: str
    message_en: str

    @classmethod
    def of(cls, finding: Finding) -> FindingNote:
        return cls(
            rule_code=finding.rule_code,
            field_path=finding.field_path,
            severity=finding.severity.value,
            message_zh=finding.message_zh,
            message_en=finding.message_en,
        )


class FieldNotes(BaseModel):
    """Everything 高级审核 shows beside one field."""

    field_path: str
    mark: str | None = Field(None, description="ok | wrong, when the field is marked")
    mark_comment: str | None = None
    stale: bool = False
    findings: list[FindingNote] = Field(default_factory=list)
    comparisons: list[Comparison] = Field(default_factory=list)


class TemplateNote(BaseModel):
    state: TemplateState = Field(
        description="compared; none (not made from a template); deleted (the template is gone); unavailable"
    )
    template_id: str | None = None
    name: str | None = None
    message_zh: str
    message_en: str


TEMPLATE_NONE = TemplateNote(
    state="none", message_zh="本单未由单证模版生成", message_en="Not made from a template"
)


class AdvancedReview(BaseModel):
    review_id: str
    declaration_id: str
    declaration_version: int
    status: str
    consignee: str | None = Field(None, description="境内收发货人 as the history keys it")
    earlier_declarations: int = Field(description="The consignee's earlier declarations compared with")
    template: TemplateNote
    findings: list[FindingNote]
    comparisons: list[Comparison]
    fields: list[FieldNotes] = Field(
        description="Per field: mark, findings and comparisons (fields with any)"
    )
    red_fields: list[str] = Field(description="Fields marked wrong (approving needs an override_reason)")


def advanced_view(
    task: ReviewTask,
    *,
    findings: Sequence[Finding],
    comparisons: Sequence[Comparison],
    template: TemplateNote,
    consignee: str | None,
    earlier_declarations: int,
) -> AdvancedReview:
    notes: dict[str, FieldNotes] = {}

    def at(path: str) -> FieldNotes:
        return notes.setdefault(path, FieldNotes(field_path=path))

    shown = [FindingNote.of(f) for f in findings]
    for finding in shown:
        at(finding.field_path).findings.append(finding)
    for comparison in comparisons:
        at(comparison.field_path).comparisons.append(comparison)
    for mark in task.marks:
        field = at(mark.field_path)
        field.mark, field.mark_comment, field.stale = mark.verdict, mark.comment, mark.stale
    return AdvancedReview(
        review_id=task.review_id,
        declaration_id=task.declaration_id,
        declaration_version=task.declaration_version,
        status=task.status.value,
        consignee=consignee,
        earlier_declarations=earlier_declarations,
        template=template,
        findings=shown,
        comparisons=list(comparisons),
        fields=list(notes.values()),
        red_fields=sorted(m.field_path for m in task.marks if m.verdict == "wrong"),
    )
