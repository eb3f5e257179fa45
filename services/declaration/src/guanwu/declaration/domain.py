"""The declaration aggregate (报关单制单). Pure: no I/O."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from guanwu.contracts.events import DeclarationDrafted


class DeclarationKind(StrEnum):
    DECLARATION = "declaration"  # 报关单
    RECORD_LIST = "record_list"  # 备案清单
    TRANSIT_DECLARATION = "transit_declaration"  # 转关提前报关单
    TRANSIT_RECORD_LIST = "transit_record_list"  # 转关提前备案清单


class Status(StrEnum):
    DRAFT = "草稿"


class DraftHead(BaseModel):
    """The head fields a first draft may carry (the full DecHead comes with the customs kernel)."""

    model_config = ConfigDict(extra="forbid")

    client_seq_no: str | None = Field(None, max_length=18, description="ClientSeqNo 客户端编号")
    custom_master: str | None = Field(None, pattern=r"^\d{4}$", description="CustomMaster 申报地海关")
    trade_name: str | None = Field(None, max_length=100, description="TradeName 境内收发货人名称")
    bill_no: str | None = Field(None, max_length=32, description="BillNo 提运单号")


class DraftDeclaration(BaseModel):
    """Command: create a draft."""

    model_config = ConfigDict(extra="forbid")

    ie_flag: Literal["I", "E"] = Field(description="IEFlag 进出口标志: I 进口, E 出口")
    kind: DeclarationKind = Field(DeclarationKind.DECLARATION, description="单证类型")
    head: DraftHead = Field(default_factory=DraftHead)


class Declaration(BaseModel):
    declaration_id: str
    tenant: str
    version: int
    ie_flag: Literal["I", "E"]
    kind: DeclarationKind
    status: Status
    head: DraftHead
    created_at: datetime
    created_by: str

    def drafted_event(self) -> DeclarationDrafted:
        return DeclarationDrafted(
            declaration_id=self.declaration_id,
            version=self.version,
            ie_flag=self.ie_flag,
            kind=self.kind.value,
            status=self.status.value,
            client_seq_no=self.head.client_seq_no,
            custom_master=self.head.custom_master,
            trade_name=self.head.trade_name,
            bill_no=self.head.bill_no,
            prepared_by=self.created_by,
        )


def draft(
    command: DraftDeclaration, *, declaration_id: str, tenant: str, user_id: str, now: datetime
) -> Declaration:
    return Declaration(
        declaration_id=declaration_id,
        tenant=tenant,
        version=1,
        ie_flag=command.ie_flag,
        kind=command.kind,
        status=Status.DRAFT,
        head=command.head,
        created_at=now,
        created_by=user_id,
    )
