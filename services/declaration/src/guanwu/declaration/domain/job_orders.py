"""生成接单 (F-34): a job order (接单) for a client, linking declarations of the tenant. Pure: no I/O.

The declaration service owns it because it owns what it links: the declarations must exist in the tenant when
the order is made, and the order keeps the numbers staff look them up by (统一编号, 海关编号, 提运单号) as they were
then. It is announced once (JobOrderCreated) and never changed afterwards.

Idempotency: an order's id is the one the client gives (`job_order_id`), else derived from the tenant and the
`Idempotency-Key` header, else new. Asking again with the same id answers the order made the first time and
adds nothing; the same id with a different request is refused (409), since the client means another order.
"""

from __future__ import annotations

import hashlib
import json
from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, field_validator

from guanwu.contracts.events import JobOrderCreated, JobOrderDeclaration
from guanwu.declaration.domain.model import Declaration, Status
from guanwu.platform import ids
from guanwu.platform.refusal import NotFound, Noun, Refusal

JOB_ORDER = Noun("job_order", "接单", "job order")
MAX_DECLARATIONS = 500
ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._:-]{0,63}$"

DeclarationId = Annotated[str, Field(min_length=1, max_length=64)]


class JobOrderInput(BaseModel):
    """What 生成接单 asks for: the client, its numbers, and the declarations (selected rows of the list)."""

    model_config = ConfigDict(extra="forbid")

    job_order_id: str | None = Field(
        None,
        pattern=ID_PATTERN,
        description="The client's own id of the order (idempotent: asking again with it answers the same order)",
    )
    client_name: str = Field(min_length=1, max_length=100, description="委托客户")
    bill_no: str | None = Field(None, min_length=1, max_length=32, description="提运单号")
    tracking_no: str | None = Field(None, min_length=1, max_length=64, description="运单/跟踪号")
    note: str | None = Field(None, max_length=500, description="备注")
    declaration_ids: list[DeclarationId] = Field(
        min_length=1,
        max_length=MAX_DECLARATIONS,
        description=f"The declarations it links (1..{MAX_DECLARATIONS}, each of the caller's tenant)",
    )

    @field_validator("client_name")
    @classmethod
    def _not_blank(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("委托客户不能为空 client_name must not be blank")
        return value.strip()

    @field_validator("declaration_ids")
    @classmethod
    def _once_each(cls, value: list[str]) -> list[str]:
        return list(dict.fromkeys(value))  # a row selected twice is linked once, in the order first named

    def fingerprint(self) -> str:
        """What the request asks, whatever id it names: the same id with another fingerprint is another order."""
        asked = self.model_dump(mode="json", exclude={"job_order_id"})
        return hashlib.sha256(json.dumps(asked, sort_keys=True, ensure_ascii=False).encode()).hexdigest()


class JobOrder(BaseModel):
    model_config = ConfigDict(extra="ignore")  # stored documents carry `_id`, `_version`, `_outbox`

    job_order_id: str
    tenant: str
    version: int = 1
    client_name: str
    bill_no: str | None = None
    tracking_no: str | None = None
    note: str | None = None
    declarations: list[JobOrderDeclaration]
    created_by: str
    created_at: datetime
    fingerprint: str = Field(description="sha256 of the request that made it (idempotency check)")

    def created_event(self) -> JobOrderCreated:
        return JobOrderCreated(
            job_order_id=self.job_order_id,
            client_name=self.client_name,
            bill_no=self.bill_no,
            tracking_no=self.tracking_no,
            note=self.note,
            declarations=self.declarations,
            created_by=self.created_by,
        )


def job_order_id_for(tenant: str, asked: JobOrderInput, idempotency_key: str | None) -> str:
    """The client's id; else one derived from the Idempotency-Key (per tenant); else a new one."""
    if asked.job_order_id:
        return asked.job_order_id
    if idempotency_key:
        return ids.deterministic_id("job-order-idempotency-key", tenant, idempotency_key)
    return ids.new_id()


def storage_id(tenant: str, job_order_id: str) -> str:
    """The stored document's id: tenants choose their own order ids, which must not meet across tenants."""
    return ids.deterministic_id("job-order", tenant, job_order_id)


class DeclarationsNotFound(NotFound):
    """Declarations the order names that the tenant does not have (404, naming them)."""

    def __init__(self, missing: list[str]) -> None:
        shown = ", ".join(missing[:20]) + (" …" if len(missing) > 20 else "")
        Refusal.__init__(
            self,
            "declaration.job_order_declarations_not_found",
            f"以下报关单不存在：{shown}",
            f"No such declarations: {shown}",
            missing=missing,
        )
        self.missing = missing


class DeletedDeclarations(Refusal):
    """A job order links live declarations, not deleted drafts (409, naming them)."""

    def __init__(self, deleted: list[str]) -> None:
        shown = ", ".join(deleted[:20]) + (" …" if len(deleted) > 20 else "")
        super().__init__(
            "declaration.job_order_declarations_deleted",
            f"以下报关单已删除，不能生成接单：{shown}",
            f"Deleted declarations cannot be linked to a job order: {shown}",
            deleted=deleted,
        )
        self.deleted = deleted


class IdempotencyKeyReused(Refusal):
    """The id (or Idempotency-Key) names an order made from a different request (409)."""

    def __init__(self, job_order_id: str) -> None:
        super().__init__(
            "declaration.job_order_id_reused",
            f"接单 {job_order_id} 已存在且内容不同；新的接单请使用新的编号或 Idempotency-Key",
            f"Job order {job_order_id} exists with different content; use a new id or Idempotency-Key "
            "for a new order",
            job_order_id=job_order_id,
        )


def create_job_order(
    asked: JobOrderInput,
    found: dict[str, Declaration],
    *,
    job_order_id: str,
    tenant: str,
    user_id: str,
    now: datetime,
) -> JobOrder:
    """The order, when every declaration it names was `found` in the tenant and none is deleted."""
    missing = [i for i in asked.declaration_ids if i not in found]
    if missing:
        raise DeclarationsNotFound(missing)
    deleted = [i for i in asked.declaration_ids if found[i].status is Status.DELETED]
    if deleted:
        raise DeletedDeclarations(deleted)
    return JobOrder(
        job_order_id=job_order_id,
        tenant=tenant,
        client_name=asked.client_name,
        bill_no=asked.bill_no,
        tracking_no=asked.tracking_no,
        note=asked.note,
        declarations=[_linked(found[i]) for i in asked.declaration_ids],
        created_by=user_id,
        created_at=now,
        fingerprint=asked.fingerprint(),
    )


def _linked(declaration: Declaration) -> JobOrderDeclaration:
    head = declaration.document.head
    return JobOrderDeclaration(
        declaration_id=declaration.declaration_id,
        seq_no=head.seq_no,
        entry_id=head.entry_id,
        bill_no=head.bill_no,
    )


def same_request(existing: JobOrder, asked: JobOrderInput) -> JobOrder:
    """The order made the first time, when the same request asks again; refused when it asks something else."""
    if existing.fingerprint != asked.fingerprint():
        raise IdempotencyKeyReused(existing.job_order_id)
    return existing
