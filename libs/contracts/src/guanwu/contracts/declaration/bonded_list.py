"""核注清单 (金关二期 bonded verification list, reference §2): InvtHead and InvtList.

Wire codes are the INV101 element names (PascalCase, e.g. `BondInvtNo`); the INV201 receipt spells the same
fields in camelCase and renames a few, which guanwu.customs.messages.inv101 maps.

Lengths: the reference gives few for 金二 fields. Where it gives none the bound is generous (names 512,
remarks 4000) so that the model never refuses a real value; the customs' own check is the authority.
Country and currency codes here are the legacy 3-digit numeric ones (142 中国, 502 USD), not ISO.
"""

from __future__ import annotations

from decimal import Decimal

from pydantic import Field

from guanwu.contracts.declaration._fields import CustomsModel, amount, integer, text

NAME_LENGTH = 512
REMARK_LENGTH = 4000
# INV101 sends dates as yyyyMMdd, but the INV201 receipt returns "yyyy-MM-dd HH:mm:ss" in the same fields.
DATE_LENGTH = 19


class InvtHead(CustomsModel):
    """核注清单表头 InvtHeadType."""

    seq_no: str | None = text("SeqNo", "预录入统一编号", 18)
    bond_invt_no: str | None = text("BondInvtNo", "核注清单编号 (QD+关区+年+I/E+9位)", 18)
    chg_tms_cnt: int | None = integer("ChgTmsCnt", "变更次数", 4)
    etps_inner_invt_no: str | None = text("EtpsInnerInvtNo", "企业内部清单编号", 64)
    putrec_no: str | None = text("PutrecNo", "备案编号 (手/账册号)", 12)
    dcl_typecd: str | None = text("DclTypecd", "申报类型: 1 备案申请, 2 变更申请, 3 删除申请", 1)
    invt_type: str | None = text("InvtType", "清单类型", 1)
    list_stat: str | None = text("ListStat", "清单状态: 0 审核通过, 1 申报, 2 退单, 3 删单", 1)
    bizop_etps_sccd: str | None = text("BizopEtpsSccd", "经营企业统一社会信用代码", 18)
    bizop_etpsno: str | None = text("BizopEtpsno", "经营企业编号", 10)
    bizop_etps_nm: str | None = text("BizopEtpsNm", "经营企业名称", NAME_LENGTH)
    dcl_etps_sccd: str | None = text("DclEtpsSccd", "申报企业统一社会信用代码", 18)
    dcl_etpsno: str | None = text("DclEtpsno", "申报企业编号", 10)
    dcl_etps_nm: str | None = text("DclEtpsNm", "申报企业名称", NAME_LENGTH)
    rvsngd_etps_sccd: str | None = text("RvsngdEtpsSccd", "收发货企业统一社会信用代码", 18)
    rcvgd_etpsno: str | None = text("RcvgdEtpsno", "收发货企业编号", 10)
    rcvgd_etps_nm: str | None = text("RcvgdEtpsNm", "收发货企业名称", NAME_LENGTH)
    input_credit_code: str | None = text("InputCreditCode", "录入单位统一社会信用代码", 18)
    input_code: str | None = text("InputCode", "录入单位编号", 10)
    input_name: str | None = text("InputName", "录入单位名称", NAME_LENGTH)
    input_time: str | None = text("InputTime", "录入日期 (yyyyMMdd)", DATE_LENGTH)
    invt_dcl_time: str | None = text("InvtDclTime", "清单申报日期 (yyyyMMdd)", DATE_LENGTH)
    entry_dcl_time: str | None = text("EntryDclTime", "报关单申报日期 (yyyyMMdd)", DATE_LENGTH)
    impexp_markcd: str | None = text("ImpexpMarkcd", "进出口标记: I 进口, E 出口", 1)
    mtpck_endprd_markcd: str | None = text("MtpckEndprdMarkcd", "料件成品标记: I 料件, E 成品", 1)
    supv_modecd: str | None = text("SupvModecd", "监管方式", 4)
    trsp_modecd: str | None = text("TrspModecd", "运输方式", 1)
    impexp_portcd: str | None = text("ImpexpPortcd", "进出境关别", 4)
    dcl_plc_cuscd: str | None = text("DclPlcCuscd", "主管海关 (申报地关区)", 4)
    stship_trsarv_natcd: str | None = text("StshipTrsarvNatcd", "起运/运抵国(地区) (3位数字)", 3)
    dclcus_flag: str | None = text("DclcusFlag", "是否报关: 1 报关, 2 非报关", 1)
    gen_dec_flag: str | None = text("GenDecFlag", "是否生成报关单: 1 生成, 2 不生成", 1)
    dec_type: str | None = text("DecType", "报关单类型", 1)
    dclcus_typecd: str | None = text("DclcusTypecd", "报关类型: 1 关联报关, 2 对应报关", 1)
    entry_no: str | None = text("EntryNo", "对应报关单编号", 18)
    corr_entry_dcl_etps_sccd: str | None = text(
        "CorrEntryDclEtpsSccd", "对应报关单申报单位统一社会信用代码", 18
    )
    corr_entry_dcl_etps_no: str | None = text("CorrEntryDclEtpsNo", "对应报关单申报单位编号", 10)
    corr_entry_dcl_etps_nm: str | None = text("CorrEntryDclEtpsNm", "对应报关单申报单位名称", NAME_LENGTH)
    rlt_invt_no: str | None = text("RltInvtNo", "关联清单编号", 18)
    rlt_putrec_no: str | None = text("RltPutrecNo", "关联备案编号", 12)
    rlt_entry_no: str | None = text("RltEntryNo", "关联报关单编号", 18)
    rlt_entry_bizop_etps_sccd: str | None = text(
        "RltEntryBizopEtpsSccd", "关联报关单境内收发货人信用代码", 18
    )
    rlt_entry_bizop_etpsno: str | None = text("RltEntryBizopEtpsno", "关联报关单境内收发货人编号", 10)
    rlt_entry_bizop_etps_nm: str | None = text(
        "RltEntryBizopEtpsNm", "关联报关单境内收发货人名称", NAME_LENGTH
    )
    rlt_entry_rvsngd_etps_sccd: str | None = text(
        "RltEntryRvsngdEtpsSccd", "关联报关单生产销售(消费使用)单位信用代码", 18
    )
    rlt_entry_rcvgd_etpsno: str | None = text(
        "RltEntryRcvgdEtpsno", "关联报关单生产销售(消费使用)单位编号", 10
    )
    rlt_entry_rcvgd_etps_nm: str | None = text(
        "RltEntryRcvgdEtpsNm", "关联报关单生产销售(消费使用)单位名称", NAME_LENGTH
    )
    rlt_entry_dcl_etps_sccd: str | None = text("RltEntryDclEtpsSccd", "关联报关单申报单位信用代码", 18)
    rlt_entry_dcl_etpsno: str | None = text("RltEntryDclEtpsno", "关联报关单申报单位编号", 10)
    rlt_entry_dcl_etps_nm: str | None = text("RltEntryDclEtpsNm", "关联报关单申报单位名称", NAME_LENGTH)
    vrfded_markcd: str | None = text("VrfdedMarkcd", "核扣标记: 0 未核扣, 1 预核扣, 2 已核扣, 3 已核销", 1)
    entry_stucd: str | None = text("EntryStucd", "报关状态: 0 未放行, 1 已放行", 1)
    ic_card_no: str | None = text("IcCardNo", "申报人IC卡号", 20)
    apply_no: str | None = text("ApplyNo", "申请编号", 64)
    rmk: str | None = text("Rmk", "备注", REMARK_LENGTH)
    levy_bl_amt: Decimal | None = amount("LevyBlAmt", "计征金额", 19, 5)


class InvtList(CustomsModel):
    """核注清单表体 InvtListType, one goods line."""

    seq_no: str | None = text("SeqNo", "中心统一编号", 18)
    gds_seqno: int = Field(ge=1, description="GdsSeqno 商品序号", json_schema_extra={"code": "GdsSeqno"})
    entry_gds_seqno: int | None = integer("EntryGdsSeqno", "报关单商品序号", 4)
    putrec_seqno: int | None = integer("PutrecSeqno", "备案序号", 9)
    gdecd: str | None = text("Gdecd", "商品编码 (HS)", 10)
    gds_mtno: str | None = text("GdsMtno", "商品料号", 32)
    gds_nm: str | None = text("GdsNm", "商品名称", NAME_LENGTH)
    gds_spcf_model_desc: str | None = text("GdsSpcfModelDesc", "规格型号", NAME_LENGTH)
    lawf_unitcd: str | None = text("LawfUnitcd", "法定计量单位", 3)
    lawf_qty: Decimal | None = amount("LawfQty", "法定数量", 19, 5)
    secd_lawf_unitcd: str | None = text("SecdLawfUnitcd", "第二法定计量单位", 3)
    secd_lawf_qty: Decimal | None = amount("SecdLawfQty", "第二法定数量", 19, 5)
    dcl_unitcd: str | None = text("DclUnitcd", "申报计量单位", 3)
    dcl_qty: Decimal | None = amount("DclQty", "申报数量", 19, 5)
    dcl_currcd: str | None = text("DclCurrcd", "申报币制 (3位数字, e.g. 502)", 3)
    dcl_uprc_amt: Decimal | None = amount("DclUprcAmt", "企业申报单价", 19, 4)
    dcl_total_amt: Decimal | None = amount("DclTotalAmt", "企业申报总价", 19, 2)
    usd_stat_total_amt: Decimal | None = amount("UsdStatTotalAmt", "美元统计总金额", 19, 5)
    natcd: str | None = text("Natcd", "原产国(地区) (3位数字)", 3)
    destination_natcd: str | None = text("DestinationNatcd", "最终目的国(地区) (3位数字)", 3)
    lvyrlf_modecd: str | None = text("LvyrlfModecd", "征免方式", 1)
    cly_markcd: str | None = text("ClyMarkcd", "危化品标志: 0 否, 1 是", 1)
    wt_sf_val: Decimal | None = amount("WtSfVal", "重量比例因子", 19, 5)
    fst_sf_val: Decimal | None = amount("FstSfVal", "第一比例因子", 19, 5)
    secd_sf_val: Decimal | None = amount("SecdSfVal", "第二比例因子", 19, 5)
    gross_wt: Decimal | None = amount("GrossWt", "毛重", 19, 5)
    net_wt: Decimal | None = amount("NetWt", "净重", 19, 5)
    ucns_verno: str | None = text("UcnsVerno", "单耗版本号", 8)
    use_cd: str | None = text("UseCd", "重点商品标识: 0–3", 1)
    apply_tb_seqno: int | None = integer("ApplyTbSeqno", "流转申报表序号", 9)
    modf_markcd: str | None = text("ModfMarkcd", "修改标志: 0 未修改, 1 修改, 2 删除, 3 增加", 1)
    rmk: str | None = text("Rmk", "备注", REMARK_LENGTH)


class BondedList(CustomsModel):
    """一票核注清单: head and goods lines."""

    head: InvtHead = Field(description="InvtHeadType 表头")
    goods: list[InvtList] = Field(default_factory=list, description="InvtListType 表体")
