"""The declaration document every service speaks about (报关单, 备案清单, 转关提前, 核注清单).

Data only. Each wire field's official code is in its `json_schema_extra["code"]`; read it with `wire_code`.
"""

from guanwu.contracts.declaration._fields import CustomsModel, wire_code, wire_fields
from guanwu.contracts.declaration.blocks import (
    Container,
    DecCopLimit,
    DecCopPromise,
    DecFreeTxt,
    DecOtherPack,
    DecRequestCert,
    DecSign,
    DecUser,
    EdocRealation,
    LicenseDocu,
)
from guanwu.contracts.declaration.bonded_list import BondedList, InvtHead, InvtList
from guanwu.contracts.declaration.document import (
    RECORD_LIST_BILL_TYPES,
    RECORD_LIST_TYPE_PREFIXES,
    DeclarationDocument,
    DocumentKind,
    infer_kind,
)
from guanwu.contracts.declaration.goods import MAX_GOODS_LINES, DecGoodsLimit, DecList
from guanwu.contracts.declaration.head import DecHead, IEFlag
from guanwu.contracts.declaration.transit import (
    TransitBlock,
    TrnContaGoodsList,
    TrnContainer,
    TrnHead,
    TrnList,
)

__all__ = [
    "MAX_GOODS_LINES",
    "RECORD_LIST_BILL_TYPES",
    "RECORD_LIST_TYPE_PREFIXES",
    "BondedList",
    "Container",
    "CustomsModel",
    "DecCopLimit",
    "DecCopPromise",
    "DecFreeTxt",
    "DecGoodsLimit",
    "DecHead",
    "DecList",
    "DecOtherPack",
    "DecRequestCert",
    "DecSign",
    "DecUser",
    "DeclarationDocument",
    "DocumentKind",
    "EdocRealation",
    "IEFlag",
    "InvtHead",
    "InvtList",
    "LicenseDocu",
    "TransitBlock",
    "TrnContaGoodsList",
    "TrnContainer",
    "TrnHead",
    "TrnList",
    "infer_kind",
    "wire_code",
    "wire_fields",
]
