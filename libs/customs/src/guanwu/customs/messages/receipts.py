"""Receipts for a DecMessage (reference §1.1 and §5): the synchronous `DecImportResponse` and the
business receipt `DEC_RESULT` with its CHANNEL code."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from lxml import etree
from pydantic import BaseModel, ConfigDict, Field

from guanwu.customs.messages.safe_xml import DEFAULT_MAX_BYTES, MessageFormatError, local_name, parse_xml


class ReceiptStatus(StrEnum):
    """回执 CHANNEL codes, merged from the reference's sources (§5). The value is the wire code."""

    QP_UPLOAD_RECEIVED = "2"
    UPLOADED = "3"
    UPLOAD_FAILED = "4"
    QP_DECLARE_RECEIVED = "6"
    DECLARED = "7"
    UPLOADED_NOT_DECLARED = "8"
    UPLOAD_DECLARE_FAILED = "9"
    DELETED_BEFORE_RELEASE = "A"
    GUARANTEE_RELEASED = "B"
    INSPECTION_NOTICE = "C"
    DELETED = "D"
    RETURNED = "E"
    RELEASED_HANDOVER = "F"
    CONCLUDED = "G"
    SUSPENDED = "H"
    PAPERLESS_RELEASED = "I"
    PAPERLESS_CONCLUDED = "J"
    PAPERLESS_GUARANTEE_RELEASED = "K"
    ACCEPTED = "L"
    REVIEWED_AGAIN = "M"
    RESEND = "N"
    GATE_ENTRY_ALLOWED = "O"
    RELEASED = "P"
    VALUATION_FEEDBACK = "Q"
    CLOSED = "R"
    CIQ_INSPECTION = "S"
    TAX_DUE = "T"
    TO_VALUATION_POST = "V"
    PAPERLESS_CONCLUDED_NOTICE = "W"
    PORT_ENTRY_ALLOWED = "X"
    DECLARE_FAILED = "Y"
    RETURNED_FOR_CHANGE = "Z"
    UNKNOWN = "?"
    """Any CHANNEL not listed above; the raw code stays on `DecReceipt.channel`."""

    @classmethod
    def from_channel(cls, channel: str) -> ReceiptStatus:
        code = channel.strip()
        # ODOO writes 退回修改 as lower-case `v` where HXT writes `Z` (reference §5, open question 7).
        if code == "v":
            return cls.RETURNED_FOR_CHANGE
        try:
            return cls(code)
        except ValueError:
            return cls.UNKNOWN

    @property
    def label(self) -> str:
        return _LABELS[self]

    @property
    def is_deleted(self) -> bool:
        """删单: D 海关删单, and A 放行前删除 (the reference's suggested trigger)."""
        return self in (ReceiptStatus.DELETED, ReceiptStatus.DELETED_BEFORE_RELEASE)

    @property
    def is_returned(self) -> bool:
        """退单: E 海关退单/不受理, Z 退回修改, and Y 申报失败 (the reference groups it with 退单)."""
        return self in (
            ReceiptStatus.RETURNED,
            ReceiptStatus.RETURNED_FOR_CHANGE,
            ReceiptStatus.DECLARE_FAILED,
        )

    @property
    def is_inspection(self) -> bool:
        """查验: C 查验通知 and S 施检."""
        return self in (ReceiptStatus.INSPECTION_NOTICE, ReceiptStatus.CIQ_INSPECTION)

    @property
    def is_released(self) -> bool:
        """放行: P 海关已放行, B/K 担保放行, I 无纸放行, F 放行交单. (R 结关 is `is_closed`.)"""
        return self in _RELEASED

    @property
    def is_closed(self) -> bool:
        """结关: R."""
        return self is ReceiptStatus.CLOSED


_RELEASED = frozenset(
    {
        ReceiptStatus.RELEASED,
        ReceiptStatus.GUARANTEE_RELEASED,
        ReceiptStatus.PAPERLESS_GUARANTEE_RELEASED,
        ReceiptStatus.PAPERLESS_RELEASED,
        ReceiptStatus.RELEASED_HANDOVER,
    }
)

_LABELS = {
    ReceiptStatus.QP_UPLOAD_RECEIVED: "QP接收成功，上载发往数据中心",
    ReceiptStatus.UPLOADED: "上载成功",
    ReceiptStatus.UPLOAD_FAILED: "上载失败",
    ReceiptStatus.QP_DECLARE_RECEIVED: "QP接收成功，申报发往数据中心",
    ReceiptStatus.DECLARED: "申报成功",
    ReceiptStatus.UPLOADED_NOT_DECLARED: "上载未申报（无申报权限）",
    ReceiptStatus.UPLOAD_DECLARE_FAILED: "上载申报失败",
    ReceiptStatus.DELETED_BEFORE_RELEASE: "放行前删除或异常处理",
    ReceiptStatus.GUARANTEE_RELEASED: "担保放行",
    ReceiptStatus.INSPECTION_NOTICE: "查验通知",
    ReceiptStatus.DELETED: "海关删单",
    ReceiptStatus.RETURNED: "海关退单",
    ReceiptStatus.RELEASED_HANDOVER: "放行交单",
    ReceiptStatus.CONCLUDED: "报关单已审结",
    ReceiptStatus.SUSPENDED: "海关挂起，需手工申报",
    ReceiptStatus.PAPERLESS_RELEASED: "无纸放行通知",
    ReceiptStatus.PAPERLESS_CONCLUDED: "通关无纸化审结",
    ReceiptStatus.PAPERLESS_GUARANTEE_RELEASED: "通关无纸化担保放行",
    ReceiptStatus.ACCEPTED: "海关入库成功",
    ReceiptStatus.REVIEWED_AGAIN: "报关单重审",
    ReceiptStatus.RESEND: "重传文件",
    ReceiptStatus.GATE_ENTRY_ALLOWED: "准予进卡",
    ReceiptStatus.RELEASED: "海关已放行",
    ReceiptStatus.VALUATION_FEEDBACK: "验估岗处理反馈",
    ReceiptStatus.CLOSED: "已结关",
    ReceiptStatus.CIQ_INSPECTION: "施检",
    ReceiptStatus.TAX_DUE: "需交税费",
    ReceiptStatus.TO_VALUATION_POST: "转现场验估岗",
    ReceiptStatus.PAPERLESS_CONCLUDED_NOTICE: "无纸验放通知（审结）",
    ReceiptStatus.PORT_ENTRY_ALLOWED: "准予进港",
    ReceiptStatus.DECLARE_FAILED: "申报失败",
    ReceiptStatus.RETURNED_FOR_CHANGE: "退回修改",
    ReceiptStatus.UNKNOWN: "未知回执代码",
}


class DecImportResponse(BaseModel):
    """导入响应: the Single Window client's synchronous answer to an imported DecMessage."""

    model_config = ConfigDict(frozen=True)

    response_code: str = Field(description="ResponseCode: 0 导入成功, else failure")
    error_message: str | None = Field(default=None, description="ErrorMessage 错误信息")
    client_seq_no: str | None = Field(default=None, description="ClientSeqNo 客户端编号")
    seq_no: str | None = Field(default=None, description="SeqNo 数据中心统一编号")
    trn_pre_id: str | None = Field(default=None, description="TrnPreId 转关单统一编号 (empty unless 转关)")

    @property
    def succeeded(self) -> bool:
        return self.response_code == "0"


class DecReceipt(BaseModel):
    """One DEC_RESULT business receipt."""

    model_config = ConfigDict(frozen=True)

    channel: str = Field(description="CHANNEL 回执代码 as received")
    status: ReceiptStatus = Field(description="The typed meaning of `channel`")
    seq_no: str | None = Field(default=None, description="CUS_CIQ_NO 统一编号")
    entry_id: str | None = Field(default=None, description="ENTRY_ID 海关编号")
    notice_date: datetime | None = Field(
        default=None, description="NOTICE_DATE 通知时间 (yyyy-MM-ddTHH:mm:ss)"
    )
    note: str | None = Field(default=None, description="NOTE 回执说明")
    custom_master: str | None = Field(default=None, description="CUSTOM_MASTER 申报地海关")
    ie_date: str | None = Field(default=None, description="I_E_DATE 进出口日期")
    d_date: str | None = Field(default=None, description="D_DATE 申报日期")

    @property
    def is_inspection(self) -> bool:
        """查验 by code, or a 无纸验放/放行 notice whose note announces 查验 (reference §5)."""
        if self.status.is_inspection:
            return True
        paperless = (ReceiptStatus.PAPERLESS_CONCLUDED_NOTICE, ReceiptStatus.PAPERLESS_RELEASED)
        return self.status in paperless and "查验" in (self.note or "")


def _children_text(element: etree._Element) -> dict[str, str]:
    return {local_name(child): child.text.strip() for child in element if child.text and child.text.strip()}


def parse_dec_import_response(data: bytes, *, max_bytes: int = DEFAULT_MAX_BYTES) -> DecImportResponse:
    root = parse_xml(data, max_bytes=max_bytes)
    if local_name(root) != "DecImportResponse":
        raise MessageFormatError(f"expected DecImportResponse, found {local_name(root)!r}")
    values = _children_text(root)
    if "ResponseCode" not in values:
        raise MessageFormatError("DecImportResponse has no ResponseCode")
    return DecImportResponse(
        response_code=values["ResponseCode"],
        error_message=values.get("ErrorMessage"),
        client_seq_no=values.get("ClientSeqNo"),
        seq_no=values.get("SeqNo"),
        trn_pre_id=values.get("TrnPreId"),
    )


def _parse_notice_date(raw: str | None) -> datetime | None:
    if raw is None:
        return None
    try:
        return datetime.fromisoformat(raw)
    except ValueError as exc:
        raise MessageFormatError(f"DEC_RESULT NOTICE_DATE is not yyyy-MM-ddTHH:mm:ss: {raw!r}") from exc


def parse_dec_result(data: bytes, *, max_bytes: int = DEFAULT_MAX_BYTES) -> DecReceipt:
    """Read a DEC_RESULT receipt, as the root or as a child of the root (e.g. `<DEC_DATA>`)."""
    root = parse_xml(data, max_bytes=max_bytes)
    result = (
        root
        if local_name(root) == "DEC_RESULT"
        else next((child for child in root if local_name(child) == "DEC_RESULT"), None)
    )
    if result is None:
        raise MessageFormatError(f"no DEC_RESULT in a {local_name(root)!r} message")
    values = _children_text(result)
    channel = values.get("CHANNEL")
    if channel is None:
        raise MessageFormatError("DEC_RESULT has no CHANNEL")
    return DecReceipt(
        channel=channel,
        status=ReceiptStatus.from_channel(channel),
        seq_no=values.get("CUS_CIQ_NO"),
        entry_id=values.get("ENTRY_ID"),
        notice_date=_parse_notice_date(values.get("NOTICE_DATE")),
        note=values.get("NOTE"),
        custom_master=values.get("CUSTOM_MASTER"),
        ie_date=values.get("I_E_DATE"),
        d_date=values.get("D_DATE"),
    )
