"""Events published by the declaration service on `declaration.events.v1`."""

from __future__ import annotations

from typing import ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field

from guanwu.contracts import topics
from guanwu.contracts.declaration import DeclarationDocument
from guanwu.contracts.events.base import REGISTRY, Event, event_type_name
from guanwu.contracts.sync import ENTERPRISE_CATEGORY_NAMES, EnterpriseCategory

IEFlag = Literal["I", "E"]


class DeclarationSummary(Event):
    """The head fields every reader of declaration events needs (lists, filters, projections)."""

    declaration_id: str = Field(description="guanwu's id of the declaration (aggregate id)")
    version: int = Field(
        ge=1, description="Aggregate version after this change; projections keep the highest"
    )
    ie_flag: IEFlag = Field(description="IEFlag 进出口标志: I 进口, E 出口")
    kind: str = Field(
        default="declaration", description="报关单 / 备案清单 / 转关提前 ... (see the declaration model)"
    )
    status: str = Field(description="Lifecycle state (草稿, 暂存, 待审核, ...)")
    client_seq_no: str | None = Field(default=None, max_length=18, description="ClientSeqNo 客户端编号")
    seq_no: str | None = Field(default=None, max_length=18, description="SeqNo 统一编号")
    entry_id: str | None = Field(default=None, max_length=18, description="EntryId 海关编号")
    custom_master: str | None = Field(default=None, max_length=4, description="CustomMaster 申报地海关")
    trade_name: str | None = Field(default=None, max_length=100, description="TradeName 境内收发货人")
    bill_no: str | None = Field(default=None, max_length=32, description="BillNo 提运单号")
    prepared_by: str | None = Field(default=None, description="制单人 (user id)")
    document: DeclarationDocument | None = Field(
        default=None,
        description=(
            "The whole document after this change: always on DeclarationDrafted, DeclarationUpdated, "
            "DeclarationSubmittedForReview (what review reviews) and DeclarationSyncedIn, and on any other change "
            "that altered it (numbers a receipt wrote); absent when only the state moved. Readers keep the last "
            "one seen: read models, printing and review's comparisons need no call back to this service"
        ),
    )

    topic: ClassVar[str] = topics.DECLARATION_EVENTS
    owner: ClassVar[str] = "declaration"

    def aggregate_id(self) -> str:
        return self.declaration_id


@REGISTRY.register
class DeclarationDrafted(DeclarationSummary):
    """A new declaration draft exists."""

    event_type: ClassVar[str] = event_type_name("declaration", "DeclarationDrafted")


@REGISTRY.register
class DeclarationUpdated(DeclarationSummary):
    """A draft's document changed (暂存 again)."""

    event_type: ClassVar[str] = event_type_name("declaration", "DeclarationUpdated")


@REGISTRY.register
class DeclarationDeleted(DeclarationSummary):
    """A declaration was deleted before 申报; `status` is 已删除."""

    event_type: ClassVar[str] = event_type_name("declaration", "DeclarationDeleted")


@REGISTRY.register
class DeclarationSubmittedForReview(DeclarationSummary):
    """提交审核: the preparer handed the declaration to review (it had no error-level findings)."""

    event_type: ClassVar[str] = event_type_name("declaration", "DeclarationSubmittedForReview")


@REGISTRY.register
class DeclarationDeclareRequested(DeclarationSummary):
    """申报: the approved declaration went to be signed with the operator's card; `status` is 申报中.

    The same bytes travel to the card in the SignRequested command with the same `request_id`.
    """

    request_id: str = Field(min_length=1, max_length=64, description="The SignRequested.request_id sent")
    content_sm3: str = Field(
        min_length=64, max_length=64, description="SM3 of the canonical bytes to sign, hex (docs/signing.md)"
    )
    requested_by: str = Field(description="Who declared (user id)")
    message_b64: str = Field(
        max_length=700_000,
        description=(
            "The DecMessage without DecSign, base64: exactly the canonical bytes sent to be signed "
            "(docs/signing.md). Sync adds the signature from DeclarationSigned and sends it (F-43)."
        ),
    )
    send_id: str | None = Field(
        default=None,
        max_length=64,
        description="The ReviewSendRequested.send_id this 申报 answers (a reviewer's 发送); none for a preparer's",
    )

    event_type: ClassVar[str] = event_type_name("declaration", "DeclarationDeclareRequested")


@REGISTRY.register
class DeclarationSendRefused(Event):
    """A reviewer's 发送 (ReviewSendRequested) was not carried out: the declaration is not in a state to declare
    at the version review approved. Nothing about the declaration changed."""

    declaration_id: str = Field(min_length=1, max_length=64, description="guanwu's declaration id")
    review_id: str = Field(min_length=1, max_length=64, description="The review task that asked")
    send_id: str = Field(min_length=1, max_length=64, description="The ReviewSendRequested.send_id refused")
    code: str = Field(
        min_length=1, max_length=100, description="The refusal's code, as the declare API gives it"
    )
    message_zh: str = Field(min_length=1, max_length=1000, description="Why, in Chinese")
    message_en: str = Field(min_length=1, max_length=1000, description="Why, in English")

    topic: ClassVar[str] = topics.DECLARATION_EVENTS
    owner: ClassVar[str] = "declaration"
    event_type: ClassVar[str] = event_type_name("declaration", "DeclarationSendRefused")

    def aggregate_id(self) -> str:
        return self.declaration_id


@REGISTRY.register
class DeclarationStatusChanged(DeclarationSummary):
    """The lifecycle moved because of something outside the preparer's edits: review, signing, receipts."""

    previous_status: str | None = Field(default=None, description="Status before the change")
    cause: str | None = Field(default=None, max_length=200, description="What moved it, e.g. 删单回执 R…")
    abandoned_request_id: str | None = Field(
        default=None,
        max_length=64,
        description="The signing request this change gives up (签名超时): nothing is sent for it, even when its "
        "signature still comes",
    )

    event_type: ClassVar[str] = event_type_name("declaration", "DeclarationStatusChanged")


@REGISTRY.register
class DeclarationSyncedIn(DeclarationSummary):
    """A declaration made outside guanwu arrived from the Single Window (数据同步) and is now known here, in the
    state its receipts put it in (暂存 when the Single Window holds it undeclared)."""

    sw_version: int = Field(ge=1, description="The Single Window's version of the record it was made from")
    job_id: str | None = Field(default=None, max_length=64, description="The sync job that brought it")
    enterprise_category: EnterpriseCategory | None = Field(
        default=None,
        description="企业类别 the tenant plays in it, as the sync job asked: "
        + str(ENTERPRISE_CATEGORY_NAMES),
    )

    event_type: ClassVar[str] = event_type_name("declaration", "DeclarationSyncedIn")


class JobOrderDeclaration(BaseModel):
    """One declaration a 接单 links, with the numbers staff look it up by."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    declaration_id: str = Field(min_length=1, max_length=64)
    seq_no: str | None = Field(default=None, max_length=18, description="SeqNo 统一编号")
    entry_id: str | None = Field(default=None, max_length=18, description="EntryId 海关编号")
    bill_no: str | None = Field(default=None, max_length=32, description="BillNo 提运单号")


@REGISTRY.register
class JobOrderCreated(Event):
    """生成接单 (F-34): a job order (接单) for a client, linking the declarations it covers.

    Owned by the declaration service, which owns the declarations it links.
    """

    job_order_id: str = Field(min_length=1, max_length=64, description="The 接单's id")
    client_name: str = Field(min_length=1, max_length=100, description="委托客户 (client)")
    bill_no: str | None = Field(default=None, max_length=32, description="提运单号")
    tracking_no: str | None = Field(default=None, max_length=64, description="运单/跟踪号")
    note: str | None = Field(default=None, max_length=500, description="备注")
    declarations: list[JobOrderDeclaration] = Field(min_length=1, max_length=500)
    created_by: str = Field(min_length=1, max_length=64, description="Who created it (user id)")

    event_type: ClassVar[str] = event_type_name("declaration", "JobOrderCreated")
    topic: ClassVar[str] = topics.DECLARATION_EVENTS
    owner: ClassVar[str] = "declaration"

    def aggregate_id(self) -> str:
        return self.job_order_id
