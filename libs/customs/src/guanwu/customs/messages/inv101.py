"""核注清单 messages (reference §2): build and read INV101 (申报), read INV201 (审核回执) and INV202
(生成报关单统一编号回执).

Element spellings are the customs' own: `BussinessData`, `DelcareFlag`. INV101 uses the PascalCase wire
codes of `InvtHead`/`InvtList`; INV201 spells the same fields camelCase (`bondInvtNo`) under
`BondInvtBsc`/`BondInvtDt`, and renames three of them (see `_INV201_RENAMES`).
"""

from __future__ import annotations

from enum import StrEnum

from lxml import etree
from pydantic import BaseModel, ConfigDict, Field

from guanwu.contracts.declaration import BondedList, InvtHead, InvtList
from guanwu.customs.messages._mapping import escape_text, read_fields, validated, write_block
from guanwu.customs.messages.safe_xml import DEFAULT_MAX_BYTES, MessageFormatError, local_name, parse_xml

XML_DECLARATION = b'<?xml version="1.0" encoding="UTF-8"?>\n'


class EnvelopInfo(BaseModel):
    """信封 of a 金二 message. Element names are the snake_case field names."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    version: str = "1.0"
    message_id: str = Field(min_length=1, max_length=64)
    file_name: str = Field(min_length=1, max_length=128)
    message_type: str = Field(default="INV101", max_length=16)
    sender_id: str = Field(min_length=1, max_length=32)
    receiver_id: str = Field(min_length=1, max_length=32)
    send_time: str = Field(description="As the sender writes it, e.g. 2024-07-27T07:20:37")


class Inv101Message(BaseModel):
    """One INV101: the 核注清单 plus how it is sent."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    envelope: EnvelopInfo
    declare: bool = Field(description="DelcareFlag: True 1 申报, False 0 暂存")
    sys_id: str | None = Field(default=None, max_length=4, description="SysId 子系统代码")
    oper_cus_reg_code: str | None = Field(
        default=None, max_length=10, description="OperCusRegCode 操作企业海关编码"
    )
    bonded_list: BondedList


def _element(out: list[str], tag: str, value: str | None) -> None:
    if value is not None:
        out.append(f"<{tag}>{escape_text(value)}</{tag}>")


def build_inv101(message: Inv101Message) -> bytes:
    out: list[str] = ["<Signature><Object><Package><EnvelopInfo>"]
    for name, value in message.envelope.model_dump().items():
        _element(out, name, value)
    out.append("</EnvelopInfo><DataInfo><BussinessData>")
    _element(out, "DelcareFlag", "1" if message.declare else "0")
    out.append("<InvtMessage>")
    _element(out, "SysId", message.sys_id)
    _element(out, "OperCusRegCode", message.oper_cus_reg_code)
    write_block(out, "InvtHeadType", message.bonded_list.head)
    for line in message.bonded_list.goods:
        write_block(out, "InvtListType", line)
    out.append("</InvtMessage></BussinessData></DataInfo></Package></Object></Signature>")
    return XML_DECLARATION + "".join(out).encode("utf-8")


def _find(root: etree._Element, tag: str) -> etree._Element | None:
    if local_name(root) == tag:
        return root
    return next(root.iter(f"{{*}}{tag}"), None)


def _require(root: etree._Element, tag: str, message: str) -> etree._Element:
    element = _find(root, tag)
    if element is None:
        raise MessageFormatError(f"{message} has no {tag}")
    return element


def _texts(element: etree._Element) -> dict[str, str]:
    return {local_name(child): child.text for child in element if child.text}


def _namespace(element: etree._Element) -> str:
    return etree.QName(element).namespace or ""


def _envelope(root: etree._Element, message: str) -> EnvelopInfo:
    return validated(EnvelopInfo, _texts(_require(root, "EnvelopInfo", message)), f"{message}/EnvelopInfo")


def parse_inv101(data: bytes, *, max_bytes: int = DEFAULT_MAX_BYTES) -> Inv101Message:
    root = parse_xml(data, max_bytes=max_bytes)
    business = _require(root, "BussinessData", "INV101")
    invt = _require(business, "InvtMessage", "INV101")
    flags = _texts(business)
    if flags.get("DelcareFlag") not in ("0", "1"):
        raise MessageFormatError(f"INV101 DelcareFlag must be 0 or 1, found {flags.get('DelcareFlag')!r}")
    header = _texts(invt)
    head = _require(invt, "InvtHeadType", "INV101")
    namespace = _namespace(head)
    bonded = {
        "head": read_fields(head, InvtHead, namespace),
        "goods": [
            read_fields(child, InvtList, namespace) for child in invt if local_name(child) == "InvtListType"
        ],
    }
    return validated(
        Inv101Message,
        {
            "envelope": _envelope(root, "INV101"),
            "declare": flags["DelcareFlag"] == "1",
            "sys_id": header.get("SysId"),
            "oper_cus_reg_code": header.get("OperCusRegCode"),
            "bonded_list": bonded,
        },
        "INV101",
    )


class InvtStatus(StrEnum):
    """清单状态 InvtStucd / ListStat."""

    APPROVED = "0"
    DECLARED = "1"
    RETURNED = "2"
    DELETED = "3"

    @property
    def label(self) -> str:
        return {"0": "审核通过", "1": "申报", "2": "退单", "3": "删单"}[self.value]


class HdeApprResult(BaseModel):
    """审核回执信息."""

    model_config = ConfigDict(frozen=True)

    etps_preent_no: str | None = Field(default=None, description="etpsPreentNo 企业预录入编号")
    business_id: str | None = Field(default=None, description="businessId 业务编号")
    tms_cnt: str | None = Field(default=None, description="tmsCnt 变更/报核次数")
    typecd: str | None = Field(default=None, description="typecd 业务类型")
    manage_result: str | None = Field(default=None, description="manageResult 处理结果")
    manage_date: str | None = Field(default=None, description="manageDate 处理日期")
    rmk: str | None = Field(default=None, description="rmk 备注")


class Inv201Receipt(BaseModel):
    """INV201 核注清单审核回执."""

    model_config = ConfigDict(frozen=True)

    envelope: EnvelopInfo
    appr_result: HdeApprResult | None = None
    bonded_list: BondedList
    vrfded_modecd: str | None = Field(
        default=None, description="vrfdedModecd 核扣方式: D 正扣, F 反扣, N 不扣 …"
    )

    @property
    def status(self) -> InvtStatus | None:
        stat = self.bonded_list.head.list_stat
        if stat is None or stat not in InvtStatus._value2member_map_:
            return None
        return InvtStatus(stat)

    @property
    def is_deleted(self) -> bool:
        return self.status is InvtStatus.DELETED

    @property
    def is_returned(self) -> bool:
        return self.status is InvtStatus.RETURNED


# (INV201 tag, INV101 wire code) where the receipt's name is not the camelCase of the wire code.
_INV201_RENAMES = (("invtPreentNo", "SeqNo"), ("bondInvtTypecd", "InvtType"), ("invtStucd", "ListStat"))

_APPR_FIELDS = {
    "etpsPreentNo": "etps_preent_no",
    "businessId": "business_id",
    "tmsCnt": "tms_cnt",
    "typecd": "typecd",
    "manageResult": "manage_result",
    "manageDate": "manage_date",
    "rmk": "rmk",
}


def parse_inv201(data: bytes, *, max_bytes: int = DEFAULT_MAX_BYTES) -> Inv201Receipt:
    root = parse_xml(data, max_bytes=max_bytes)
    inv201 = _require(root, "INV201", "INV201 receipt")
    head = _require(inv201, "BondInvtBsc", "INV201")
    namespace = _namespace(head)
    goods = [
        read_fields(child, InvtList, namespace, lower_first=True, renames=_INV201_RENAMES)
        for child in inv201
        if local_name(child) in ("BondInvtDt", "BondInvtDtl")
    ]
    appr = _find(inv201, "HdeApprResult")
    appr_values = (
        {_APPR_FIELDS[k]: v for k, v in _texts(appr).items() if k in _APPR_FIELDS}
        if appr is not None
        else None
    )
    return validated(
        Inv201Receipt,
        {
            "envelope": _envelope(root, "INV201"),
            "appr_result": appr_values,
            "bonded_list": {
                "head": read_fields(head, InvtHead, namespace, lower_first=True, renames=_INV201_RENAMES),
                "goods": goods,
            },
            "vrfded_modecd": _texts(head).get("vrfdedModecd"),
        },
        "INV201",
    )


class Inv202Receipt(BaseModel):
    """INV202 核注清单生成报关单统一编号回执."""

    model_config = ConfigDict(frozen=True)

    envelope: EnvelopInfo
    inv_preent_no: str | None = Field(default=None, description="invPreentNo 核注清单统一编号")
    business_id: str | None = Field(default=None, description="businessId 核注清单编号")
    entry_seq_no: str | None = Field(default=None, description="entrySeqNo 报关单统一编号")
    manage_result: str | None = Field(default=None, description="manageResult 1 生成成功, 2 生成失败")
    create_date: str | None = Field(default=None, description="createDate 生成日期")
    reason: str | None = Field(default=None, description="reason 生成失败原因")

    @property
    def succeeded(self) -> bool:
        return self.manage_result == "1"


def parse_inv202(data: bytes, *, max_bytes: int = DEFAULT_MAX_BYTES) -> Inv202Receipt:
    root = parse_xml(data, max_bytes=max_bytes)
    result = _texts(_require(root, "InvApprResult", "INV202 receipt"))
    return validated(
        Inv202Receipt,
        {
            "envelope": _envelope(root, "INV202"),
            "inv_preent_no": result.get("invPreentNo"),
            "business_id": result.get("businessId"),
            "entry_seq_no": result.get("entrySeqNo"),
            "manage_result": result.get("manageResult"),
            "create_date": result.get("createDate"),
            "reason": result.get("reason"),
        },
        "INV202",
    )
