"""The whole declaration every service speaks about: `DeclarationDocument`."""

from __future__ import annotations

from enum import StrEnum

from pydantic import Field

from guanwu.contracts.declaration._fields import CustomsModel
from guanwu.contracts.declaration.blocks import (
    Container,
    DecCopLimit,
    DecCopPromise,
    DecFreeTxt,
    DecOtherPack,
    DecRequestCert,
    DecUser,
    EdocRealation,
    LicenseDocu,
)
from guanwu.contracts.declaration.goods import MAX_GOODS_LINES, DecList
from guanwu.contracts.declaration.head import DecHead
from guanwu.contracts.declaration.transit import TransitBlock


class DocumentKind(StrEnum):
    """Which of the four documents this is (单一窗口's 报关单类型 list without 出口二次转关)."""

    DECLARATION = "declaration"
    RECORD_LIST = "record_list"
    TRANSIT_DECLARATION = "transit_declaration"
    TRANSIT_RECORD_LIST = "transit_record_list"

    @property
    def label(self) -> str:
        return _KIND_LABELS[self]

    @property
    def is_transit(self) -> bool:
        return self in (DocumentKind.TRANSIT_DECLARATION, DocumentKind.TRANSIT_RECORD_LIST)

    @property
    def is_record_list(self) -> bool:
        return self in (DocumentKind.RECORD_LIST, DocumentKind.TRANSIT_RECORD_LIST)


_KIND_LABELS = {
    DocumentKind.DECLARATION: "报关单",
    DocumentKind.RECORD_LIST: "备案清单",
    DocumentKind.TRANSIT_DECLARATION: "转关提前报关单",
    DocumentKind.TRANSIT_RECORD_LIST: "转关提前备案清单",
}

RECORD_LIST_TYPE_PREFIXES = frozenset({"ML", "LY", "SM", "SL", "MK", "AL", "BL"})
"""DecHead.Type positions 1–2 that make a 备案清单 (reference §1.4)."""

RECORD_LIST_BILL_TYPES = frozenset({"1", "2", "3"})
"""DecHead.BillType values that are 备案清单 (4 分送集报报关单 is a 报关单)."""


def infer_kind(head: DecHead) -> DocumentKind:
    """The kind a DecMessage head implies: the message has no `kind` element, only these markers.

    转关提前 ⇐ DeclTrnRel = 1; 备案清单 ⇐ a 备案清单 Type prefix or BillType 1–3. A head without markers is a
    plain 报关单, so a fixture or form must set the markers that match the kind it claims.
    """
    transit = head.decl_trn_rel == "1"
    record_list = (head.type or "")[
        :2
    ] in RECORD_LIST_TYPE_PREFIXES or head.bill_type in RECORD_LIST_BILL_TYPES
    if transit:
        return DocumentKind.TRANSIT_RECORD_LIST if record_list else DocumentKind.TRANSIT_DECLARATION
    return DocumentKind.RECORD_LIST if record_list else DocumentKind.DECLARATION


class DeclarationDocument(CustomsModel):
    """One 报关单 / 备案清单 with every block of the DecMessage except DecSign (a per-transmission block)."""

    kind: DocumentKind = Field(
        default=DocumentKind.DECLARATION, description="报关单/备案清单/转关提前报关单/转关提前备案清单"
    )
    head: DecHead = Field(description="DecHead 表头")
    goods: list[DecList] = Field(
        default_factory=list, max_length=MAX_GOODS_LINES, description="DecLists/DecList 表体 (at most 50)"
    )
    containers: list[Container] = Field(default_factory=list, description="DecContainers/Container 集装箱")
    licenses: list[LicenseDocu] = Field(
        default_factory=list, description="DecLicenseDocus/LicenseDocu 随附单证"
    )
    request_certs: list[DecRequestCert] = Field(
        default_factory=list, description="DecRequestCerts/DecRequestCert 申请单证"
    )
    other_packs: list[DecOtherPack] = Field(
        default_factory=list, description="DecOtherPacks/DecOtherPack 其他包装"
    )
    cop_limits: list[DecCopLimit] = Field(
        default_factory=list, description="DecCopLimits/DecCopLimit 企业资质"
    )
    users: list[DecUser] = Field(default_factory=list, description="DecUsers/DecUser 使用人")
    cop_promises: list[DecCopPromise] = Field(
        default_factory=list, description="DecCopPromises/DecCopPromise 企业承诺"
    )
    free_text: DecFreeTxt | None = Field(default=None, description="DecFreeTxt 自由文本")
    edocs: list[EdocRealation] = Field(default_factory=list, description="EdocRealation 随附单据")
    transit: TransitBlock | None = Field(default=None, description="TrnHead… 转关 blocks (转关提前 only)")
