"""The declaration aggregate (报关单制单). Pure: no I/O.

The document itself is the kernel's `DeclarationDocument` (every DecHead field, goods lines, containers, …);
this module adds what guanwu keeps around it: identity, tenant, lifecycle status, and who drafted it.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from guanwu.contracts.declaration import DeclarationDocument
from guanwu.contracts.events import (
    DeclarationDrafted,
    DeclarationStatusChanged,
    DeclarationSubmittedForReview,
    DeclarationSummary,
    DeclarationSyncedIn,
    DeclarationUpdated,
)
from guanwu.customs.rules import Finding, Level, check
from guanwu.declaration.domain.errors import LifecycleError
from guanwu.declaration.domain.records import (
    ReceiptRecord,
    ReviewNote,
    SigningState,
    SubmissionFailure,
    SyncMark,
)
from guanwu.platform import ids

new_declaration_id = ids.new_id


def client_seq_no_of(tenant: str, declaration_id: str) -> str:
    """ClientSeqNo 客户端编号 of a declaration made here: 18 characters, the same for every 申报 of it.

    Derived exactly as sync derives the number it sends in DecSign (`client_seq_no_for`), and carried in every
    event of the declaration, so sync sends this one; kept on the declaration so that a DeclarationSynced naming
    it finds the declaration even before its 统一编号 is known here."""
    number = int(ids.deterministic_id("client-seq-no", tenant, declaration_id), 16) % 10**16
    return f"GW{number:016d}"


CARRIES_DOCUMENT: tuple[type[DeclarationSummary], ...] = (
    DeclarationDrafted,
    DeclarationUpdated,
    DeclarationSubmittedForReview,
    DeclarationSyncedIn,
)
"""The events that always carry the whole document (the contract's `DeclarationSummary.document`): what made
or changed it, what review reviews, what 数据同步 brought. Any other event carries it only when its change
altered the document (`Declaration.status_changed`)."""


class Origin(StrEnum):
    GUANWU = "guanwu"
    SINGLE_WINDOW = "single_window"  # made outside guanwu, brought by 数据同步 (DeclarationSynced)


class Status(StrEnum):
    DRAFT = "草稿"
    PENDING_REVIEW = "待审核"
    APPROVED = "审核通过"
    RETURNED = "审核退回"
    DECLARING = "申报中"
    DECLARE_FAILED = "申报失败"  # the Single Window refused it; nothing reached the customs
    DECLARED = "已申报"
    DELETED = "已删除"
    # States that customs receipts (回执) set:
    ACCEPTED = "入库成功"
    INSPECTION = "查验"
    RELEASED = "放行"
    CLOSED = "结关"
    RETURNED_BY_CUSTOMS = "退单"
    DELETED_BY_CUSTOMS = "删单"


EDITABLE = frozenset({Status.DRAFT, Status.RETURNED, Status.RETURNED_BY_CUSTOMS, Status.DECLARE_FAILED})
"""States in which the preparer may change the declaration: before review, after 审核退回, and after the
Single Window refused it or the customs returned it (申报失败, 退单), to be corrected and reviewed again."""


def ensure_editable(status: Status) -> None:
    if status not in EDITABLE:
        raise LifecycleError(
            "declaration.not_editable",
            f"报关单处于「{status.value}」状态，不能修改或删除",
            f"The declaration is {status.name.lower()} and can no longer be changed or deleted",
        )


class AuditEntry(BaseModel):
    """Who changed what, when: each changed field path with its value before and after."""

    model_config = ConfigDict(frozen=True)

    at: datetime
    by: str
    action: str
    version: int
    changes: list[dict[str, Any]] = Field(default_factory=list)


def changed_fields(before: Any, after: Any, path: str = "") -> list[dict[str, Any]]:
    """Leaf-level differences between two JSON values, as {field, before, after} (paths as the API names them)."""
    if isinstance(before, dict) and isinstance(after, dict):
        changes: list[dict[str, Any]] = []
        for key in sorted(before.keys() | after.keys()):
            child = f"{path}.{key}" if path else key
            changes += changed_fields(before.get(key), after.get(key), child)
        return changes
    if isinstance(before, list) and isinstance(after, list) and len(before) == len(after):
        return [
            c
            for i, (b, a) in enumerate(zip(before, after, strict=True))
            for c in changed_fields(b, a, f"{path}[{i}]")
        ]
    return [] if before == after else [{"field": path, "before": before, "after": after}]


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


def validate(document: DeclarationDocument, level: Level) -> list[Finding]:
    """逻辑校验 at 暂存 or 申报 level."""
    return check(document, level)


def refuse_blocking(findings: list[Finding], message_zh: str, message_en: str) -> None:
    """Refuse a step while error-level findings block it, naming them (so the console can take the preparer
    there); the messages say what is refused, with `{errors}` for how many findings block it."""
    errors = [f for f in findings if f.blocks_declare]
    if errors:
        raise LifecycleError(
            "declaration.has_errors",
            message_zh.format(errors=len(errors)),
            message_en.format(errors=len(errors)),
            findings=[FindingView.of(f) for f in errors],
        )


class Declaration(BaseModel):
    declaration_id: str
    tenant: str
    version: int
    status: Status
    document: DeclarationDocument
    created_at: datetime
    created_by: str
    origin: Origin = Field(
        Origin.GUANWU,
        description="Where it was made: guanwu, or single_window (outside guanwu, brought by 数据同步)",
    )
    client_seq_no: str | None = Field(None, description="ClientSeqNo 客户端编号 sent in DecSign")
    synced: SyncMark | None = Field(
        None, description="The Single Window's copy as 数据同步 last applied it (its version there)"
    )
    findings: list[FindingView] = Field(default_factory=list, description="暂存-level logic-check findings")
    updated_at: datetime | None = None
    template_id: str | None = Field(None, description="The 单证模版 the draft was made from")
    template_fields: list[str] = Field(default_factory=list, description="Field paths the template filled in")
    audit: list[AuditEntry] = Field(default_factory=list, description="Every change: who, when, before/after")
    review: ReviewNote | None = Field(None, description="The latest review decision (审核意见)")
    signing: SigningState | None = Field(None, description="The latest 申报: signing request and its answer")
    submission_failure: SubmissionFailure | None = Field(
        None, description="Why the Single Window refused the latest 申报 (申报失败)"
    )
    receipts: list[ReceiptRecord] = Field(
        default_factory=list, description="Customs receipts (回执), in order"
    )

    def summary(
        self, event_class: type[DeclarationSummary], *, with_document: bool = False, **extra: Any
    ) -> DeclarationSummary:
        """The event `event_class` for this declaration as it is now; `extra` fills the subclass's own fields.
        The whole document rides along on the events that always carry it, and with `with_document`."""
        head = self.document.head
        carries = with_document or issubclass(event_class, CARRIES_DOCUMENT)
        return event_class(
            **extra,
            document=self.document if carries else None,
            declaration_id=self.declaration_id,
            version=self.version,
            ie_flag=head.ie_flag,
            kind=self.document.kind.value,
            status=self.status.value,
            client_seq_no=self.client_seq_no,
            seq_no=head.seq_no,
            entry_id=head.entry_id,
            custom_master=head.custom_master,
            trade_name=head.trade_name,
            bill_no=head.bill_no,
            prepared_by=self.created_by,
        )

    def drafted_event(self) -> DeclarationSummary:
        return self.summary(DeclarationDrafted)

    def status_changed(self, before: Declaration, cause: str, **extra: Any) -> DeclarationSummary:
        """DeclarationStatusChanged from `before` to this version, carrying the document only when the change
        altered it (numbers a receipt or the Single Window wrote, a synced document)."""
        return self.summary(
            DeclarationStatusChanged,
            with_document=self.document != before.document,
            previous_status=before.status.value,
            cause=cause[:200],
            **extra,
        )


def draft(
    document: DeclarationDocument,
    findings: list[Finding],
    *,
    declaration_id: str,
    tenant: str,
    user_id: str,
    now: datetime,
    template: tuple[str, list[str]] | None = None,
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
        client_seq_no=client_seq_no_of(tenant, declaration_id),
        findings=[FindingView.of(f) for f in findings],
        audit=[AuditEntry(at=now, by=user_id, action="create", version=1)],
        template_id=template[0] if template else None,
        template_fields=template[1] if template else [],
    )


def revise(
    declaration: Declaration,
    document: DeclarationDocument,
    findings: list[Finding],
    *,
    user_id: str,
    now: datetime,
) -> Declaration:
    """暂存 again with a changed document; the audit names every field that changed."""
    ensure_editable(declaration.status)
    changes = changed_fields(
        declaration.document.model_dump(mode="json", exclude_none=True),
        document.model_dump(mode="json", exclude_none=True),
    )
    version = declaration.version + 1
    return declaration.model_copy(
        update={
            "document": document,
            "version": version,
            "findings": [FindingView.of(f) for f in findings],
            "updated_at": now,
            "audit": [
                *declaration.audit,
                AuditEntry(at=now, by=user_id, action="update", version=version, changes=changes),
            ],
        }
    )


def record(
    declaration: Declaration,
    *,
    action: str,
    user_id: str,
    now: datetime,
    update: dict[str, Any] | None = None,
    changes: list[dict[str, Any]] | None = None,
) -> Declaration:
    """One new version with `update` applied and an audit entry saying who did what."""
    version = declaration.version + 1
    entry = AuditEntry(at=now, by=user_id, action=action, version=version, changes=changes or [])
    return declaration.model_copy(
        update={**(update or {}), "version": version, "updated_at": now, "audit": [*declaration.audit, entry]}
    )


def transition(
    declaration: Declaration,
    to: Status,
    *,
    action: str,
    user_id: str,
    now: datetime,
    update: dict[str, Any] | None = None,
) -> Declaration:
    """Move to another state (and set `update`'s fields) as one new version with its audit entry."""
    return record(
        declaration,
        action=action,
        user_id=user_id,
        now=now,
        update={**(update or {}), "status": to},
        changes=[{"field": "status", "before": declaration.status.value, "after": to.value}],
    )


def submit_for_review(
    declaration: Declaration, declare_findings: list[Finding], *, user_id: str, now: datetime
) -> Declaration:
    """提交审核 only from an editable state and only without error-level findings at the 申报 level."""
    ensure_editable(declaration.status)
    refuse_blocking(
        declare_findings,
        "报关单还有 {errors} 个错误，不能提交审核",
        "The declaration still has {errors} error-level findings and cannot be submitted for review",
    )
    return transition(
        declaration, Status.PENDING_REVIEW, action="submit_for_review", user_id=user_id, now=now
    )


DELETABLE = frozenset({Status.DRAFT, Status.RETURNED, Status.DECLARE_FAILED})
"""Only declarations that never reached the customs can be deleted; one it returned (退单) stays on record."""


def delete(declaration: Declaration, *, user_id: str, now: datetime) -> Declaration:
    """Only before 申报; the record stays, marked 已删除, with its audit trail."""
    if declaration.status not in DELETABLE:
        raise LifecycleError(
            "declaration.not_deletable",
            f"报关单处于「{declaration.status.value}」状态，申报后不能删除",
            f"The declaration is {declaration.status.name.lower()}: only a declaration never declared can be deleted",
        )
    return transition(declaration, Status.DELETED, action="delete", user_id=user_id, now=now)


def copied_document(declaration: Declaration) -> DeclarationDocument:
    """复制: the same document for a new draft, minus what customs assigned to the original."""
    head = declaration.document.head.model_copy(update={"seq_no": None, "entry_id": None})
    return declaration.document.model_copy(update={"head": head})
