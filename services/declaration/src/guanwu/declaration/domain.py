"""The declaration aggregate (报关单制单). Pure: no I/O.

The document itself is the kernel's `DeclarationDocument` (every DecHead field, goods lines, containers, …);
this module adds what guanwu keeps around it: identity, tenant, lifecycle status, and who drafted it.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field

from guanwu.contracts.declaration import DeclarationDocument
from guanwu.contracts.events import DeclarationDrafted
from guanwu.customs.rules import Finding


class Status(StrEnum):
    DRAFT = "草稿"


class FindingView(BaseModel):
    """A logic-check finding as the API shows it (the console highlights `field_path`)."""

    model_config = ConfigDict(frozen=True)

    rule_code: str
    field_path: str
    severity: str
    message_zh: str
    message_en: str

    @classmethod
    def of(cls, finding: Finding) -> FindingView:
        return cls(
            rule_code=finding.rule_code,
            field_path=finding.field_path,
            severity=finding.severity.value,
            message_zh=finding.message_zh,
            message_en=finding.message_en,
        )


class Declaration(BaseModel):
    declaration_id: str
    tenant: str
    version: int
    status: Status
    document: DeclarationDocument
    created_at: datetime
    created_by: str
    findings: list[FindingView] = Field(default_factory=list, description="暂存-level logic-check findings")

    def drafted_event(self) -> DeclarationDrafted:
        head = self.document.head
        return DeclarationDrafted(
            declaration_id=self.declaration_id,
            version=self.version,
            ie_flag=head.ie_flag,
            kind=self.document.kind.value,
            status=self.status.value,
            seq_no=head.seq_no,
            entry_id=head.entry_id,
            custom_master=head.custom_master,
            trade_name=head.trade_name,
            bill_no=head.bill_no,
            prepared_by=self.created_by,
        )


def draft(
    document: DeclarationDocument,
    findings: list[Finding],
    *,
    declaration_id: str,
    tenant: str,
    user_id: str,
    now: datetime,
) -> Declaration:
    """暂存 saves whatever the preparer has: findings are reported, never a reason to refuse a draft."""
    return Declaration(
        declaration_id=declaration_id,
        tenant=tenant,
        version=1,
        status=Status.DRAFT,
        document=document,
        created_at=now,
        created_by=user_id,
        findings=[FindingView.of(f) for f in findings],
    )
