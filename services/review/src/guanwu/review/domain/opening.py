"""Opening a task for a submitted declaration version, with the previous task's marks carried over (F-11:
marks across versions). Pure: no I/O."""

from __future__ import annotations

from datetime import datetime

from guanwu.contracts.declaration import DeclarationDocument
from guanwu.contracts.events import DeclarationSubmittedForReview
from guanwu.review.domain.marks import value_at
from guanwu.review.domain.tasks import AuditEntry, Mark, ReviewStatus, ReviewTask

_SUMMARY = (
    "kind",
    "ie_flag",
    "client_seq_no",
    "seq_no",
    "entry_id",
    "bill_no",
    "custom_master",
    "trade_name",
)


def declare_mode(document: DeclarationDocument | None) -> str:
    """普通申报 0, 两步申报's 概要申报 5 / 完整申报 6: DecHead.Type position 3."""
    code = ((document.head.type if document else None) or "")[2:3]
    return code if code in ("5", "6") else "0"


def enterprise_categories(document: DeclarationDocument | None) -> list[str]:
    """企业类别 of a declaration drafted here: the tenant is the 境内收发货人 (1); also the 申报单位 (2) when its
    code is the 境内收发货人's, the 消费使用/生产销售单位 (3) when that one's is (guanwu keeps no registry of a
    tenant's customs codes yet)."""
    if document is None:
        return ["1"]
    head = document.head
    categories = ["1"]
    if head.trade_code and head.agent_code == head.trade_code:
        categories.append("2")
    if head.trade_code and head.owner_code == head.trade_code:
        categories.append("3")
    return categories


def _document_fields(document: DeclarationDocument | None) -> dict[str, object]:
    if document is None:
        return {"enterprise_categories": ["1"]}
    head = document.head
    return {
        "ie_port": head.ie_port,
        "trade_code": head.trade_code,
        "agent_code": head.agent_code,
        "agent_name": head.agent_name,
        "declaring_units": sorted({c for c in (head.agent_code, head.cop_code) if c}),
        "declare_mode": declare_mode(document),
        "enterprise_categories": enterprise_categories(document),
    }


def carry_marks(previous: ReviewTask, document: DeclarationDocument | None) -> list[Mark]:
    """The previous task's marks on this version: a field whose value is unchanged keeps its mark as it was
    (green stays green); one whose value changed is flagged stale and shows both values. Without either
    document the values cannot be compared and the marks are carried as they were."""
    if previous.document is None or document is None:
        return [m.model_copy(update={"carried_from": previous.review_id}) for m in previous.marks]
    carried = []
    for mark in previous.marks:
        then, now = value_at(previous.document, mark.field_path), value_at(document, mark.field_path)
        update: dict[str, object] = {"carried_from": previous.review_id}
        if then != now:
            update.update(stale=True, value=mark.value if mark.stale else then, value_now=now)
        carried.append(mark.model_copy(update=update))
    return carried


def open_task(
    event: DeclarationSubmittedForReview,
    *,
    review_id: str,
    tenant: str,
    submitted_at: datetime,
    correlation_id: str | None,
    previous: ReviewTask | None = None,
) -> ReviewTask:
    submitter = event.prepared_by or "system"
    marks = [] if previous is None else carry_marks(previous, event.document)
    return ReviewTask(
        review_id=review_id,
        tenant=tenant,
        version=1,
        status=ReviewStatus.PENDING,
        declaration_id=event.declaration_id,
        declaration_version=event.version,
        declaration_status=event.status,
        declaration_seen_version=event.version,
        correlation_id=correlation_id,
        prepared_by=event.prepared_by,
        **event.model_dump(include=set(_SUMMARY)),
        **_document_fields(event.document),
        submitted_at=submitted_at,
        updated_at=submitted_at,
        previous_review_id=None if previous is None else previous.review_id,
        document=event.document,
        marks=marks,
        audit=[AuditEntry(at=submitted_at, by=submitter, action="submitted", version=1)],
    )
