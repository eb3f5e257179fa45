"""报关单表头 DecHead (reference §1.2).

Every field but `ie_flag` is optional: a 暂存 (draft save) may be incomplete. Which fields 申报 requires is
the logic checks' business (guanwu.customs.rules), not the model's.

Dates stay strings in the wire format (`yyyyMMdd`): the message carries them so, drafts may hold partial
values, and a `date` would invent a time zone question the customs never asks.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Literal

from pydantic import Field

from guanwu.contracts.declaration._fields import CustomsModel, amount, integer, text

IEFlag = Literal["I", "E"]


class DecHead(CustomsModel):
    """报关单表头. Field order is the element order in the DecMessage."""

    seq_no: str | None = text("SeqNo", "数据中心统一编号 (empty on first import)", 18)
    ie_flag: IEFlag = Field(
        description="IEFlag 进出口标志: I 进口, E 出口", json_schema_extra={"code": "IEFlag"}
    )
    type: str | None = text("Type", "单据类型 (6 positions, reference §1.4)", 6)
    agent_code: str | None = text("AgentCode", "申报单位海关编码", 10)
    agent_name: str | None = text("AgentName", "申报单位名称", 100)
    agent_code_scc: str | None = text("AgentCodeScc", "申报单位统一社会信用代码", 18)
    trade_code: str | None = text("TradeCode", "境内收发货人海关编码", 18)
    trade_name: str | None = text("TradeName", "境内收发货人名称", 100)
    trade_co_scc: str | None = text("TradeCoScc", "境内收发货人统一社会信用代码", 18)
    owner_code: str | None = text("OwnerCode", "消费使用/生产销售单位海关编码 (10位或9位, 或NO)", 18)
    owner_name: str | None = text("OwnerName", "消费使用/生产销售单位名称", 100)
    owner_code_scc: str | None = text("OwnerCodeScc", "消费使用/生产销售单位统一社会信用代码", 18)
    cop_code: str | None = text("CopCode", "录入单位组织机构代码", 9)
    cop_name: str | None = text("CopName", "录入单位名称", 70)
    cop_code_scc: str | None = text("CopCodeScc", "录入单位统一社会信用代码", 18)
    custom_master: str | None = text("CustomMaster", "申报地海关 (关区代码)", 4)
    ie_port: str | None = text("IEPort", "进/出境关别 (关区代码)", 4)
    decl_trn_rel: str | None = text("DeclTrnRel", "报关/转关关系标志: 0 一般报关单, 1 转关提前报关单", 1)
    edi_id: str | None = text(
        "EdiId", "报关标志: 1 普通报关, 3 北方转关提前, 5 南方转关提前, 6 南方H2000直转", 1
    )
    entry_type: str | None = text(
        "EntryType", "报关单类型: 0 有纸, L 带清单, W 无纸, D 清单+无纸, M 无纸化通关", 1
    )
    bill_type: str | None = text("BillType", "备案清单类型", 1)
    entry_id: str | None = text("EntryId", "海关编号 (assigned by customs)", 18)
    # The reference's best source (CIT) says 9, others 18; the longer one keeps real numbers representable.
    pre_entry_id: str | None = text("PreEntryId", "预录入编号", 18)
    trade_mode: str | None = text("TradeMode", "监管方式", 4)
    cut_mode: str | None = text("CutMode", "征免性质", 3)
    traf_mode: str | None = text("TrafMode", "运输方式", 1)
    traf_name: str | None = text("TrafName", "运输工具代码及名称", 50)
    trans_mode: str | None = text("TransMode", "成交方式", 1)
    trade_country: str | None = text("TradeCountry", "启运国(进口)/运抵国(出口)", 3)
    trade_area_code: str | None = text("TradeAreaCode", "贸易国别(地区)", 3)
    distinate_port: str | None = text("DistinatePort", "经停港/指运港", 6)
    desp_port_code: str | None = text("DespPortCode", "启运港", 8)
    enty_port_code: str | None = text("EntyPortCode", "入境/离境口岸", 8)
    goods_place: str | None = text("GoodsPlace", "货物存放地点", 100)
    bill_no: str | None = text("BillNo", "提运单号", 32)
    contr_no: str | None = text("ContrNo", "合同协议号", 32)
    manual_no: str | None = text("ManualNo", "备案号 (手/账册)", 12)
    license_no: str | None = text("LicenseNo", "许可证编号", 20)
    appr_no: str | None = text("ApprNo", "批准文号", 32)
    fee_mark: str | None = text("FeeMark", "运费标记: 1 率, 2 单价, 3 总价", 1)
    fee_curr: str | None = text("FeeCurr", "运费币制", 3)
    fee_rate: Decimal | None = amount("FeeRate", "运费/率", 19, 5)
    insur_mark: str | None = text("InsurMark", "保险费标记: 1 率, 2 单价, 3 总价", 1)
    insur_curr: str | None = text("InsurCurr", "保险费币制", 3)
    insur_rate: Decimal | None = amount("InsurRate", "保险费/率", 19, 5)
    other_mark: str | None = text("OtherMark", "杂费标记: 1 率, 2 单价, 3 总价", 1)
    other_curr: str | None = text("OtherCurr", "杂费币制", 3)
    other_rate: Decimal | None = amount("OtherRate", "杂费/率", 19, 5)
    pack_no: int | None = integer("PackNo", "件数", 9)
    wrap_type: str | None = text("WrapType", "包装种类", 2)
    gross_wet: Decimal | None = amount("GrossWet", "毛重(千克)", 19, 5)
    net_wt: Decimal | None = amount("NetWt", "净重(千克)", 19, 5)
    ie_date: str | None = text("IEDate", "进出口日期 (yyyyMMdd)", 8)
    note_s: str | None = text("NoteS", "备注", 255)
    mark_no: str | None = text("MarkNo", "标记唛码", 400)
    inputer_name: str | None = text("InputerName", "录入员姓名", 32)
    typist_no: str | None = text("TypistNo", "录入员IC卡号", 30)
    declare_name: str | None = text("DeclareName", "申报人员姓名", 50)
    promise_itmes: str | None = text(
        "PromiseItmes", "价格说明 (特殊关系|价格影响|特许权使用费|公式定价|暂定价格: 1/0/9)", 32
    )
    chk_surety: str | None = text("ChkSurety", "担保验放: 1 是, 0 否", 1)
    check_flow: str | None = text("CheckFlow", "查验分流: 1 是, 0 否", 1)
    tax_aamin_mark: str | None = text("TaxAaminMark", "税收征管标记: 0 无, 1 有", 1)
    spec_decl_flag: str | None = text("SpecDeclFlag", "特种业务标识 (bit positions)", 10)
    data_source: str | None = text("DataSource", "扩展字段", 5)
    no_other_pack: str | None = text("NoOtherPack", "无其他包装", 1)
    overseas_consignor_code: str | None = text("OverseasConsignorCode", "境外发货人代码", 50)
    overseas_consignor_cname: str | None = text("OverseasConsignorCname", "境外发货人中文名称", 150)
    overseas_consignor_ename: str | None = text("OverseasConsignorEname", "境外发货人外文名称", 100)
    overseas_consignor_addr: str | None = text("OverseasConsignorAddr", "境外发货人地址", 100)
    overseas_consignee_code: str | None = text("OverseasConsigneeCode", "境外收货人代码", 50)
    overseas_consignee_ename: str | None = text("OverseasConsigneeEname", "境外收货人外文名称", 400)
    domestic_consignee_ename: str | None = text("DomesticConsigneeEname", "境内收发货人外文名称", 400)
    trade_ciq_code: str | None = text("TradeCiqCode", "境内收发货人检验检疫编码", 10)
    owner_ciq_code: str | None = text("OwnerCiqCode", "消费使用/生产销售单位检验检疫编码", 10)
    decl_ciq_code: str | None = text("DeclCiqCode", "申报单位检验检疫编码", 10)
    # The reference gives no length for the misc fields below; these are generous guesses so that a real
    # value is never refused by the model (the customs' own check is the authority).
    purp_org_code: str | None = text("PurpOrgCode", "目的地检验检疫机关", 10)
    desp_date: str | None = text("DespDate", "启运日期 (yyyyMMdd)", 8)
    cmpl_dschrg_dt: str | None = text("CmplDschrgDt", "卸毕日期 (yyyyMMdd)", 8)
    orig_box_flag: str | None = text("OrigBoxFlag", "原箱运输: 1 是, 0 否", 1)
    correlation_no: str | None = text("CorrelationNo", "关联号码", 500)
    correlation_reason_flag: str | None = text("CorrelationReasonFlag", "关联理由", 2)
    bl_no: str | None = text("BLNo", "B/L号", 50)
    edi_remark: str | None = text("EdiRemark", "备用字段1", 128)
    edi_remark2: str | None = text("EdiRemark2", "备用字段2", 128)
    partener_id: str | None = text("PartenerID", "申报人标识", 20)
    p_date: str | None = text("PDate", "打印日期", 20)
    risk: str | None = text("Risk", "风险参数 (上海专用)", 10)
    tgd_no: str | None = text("TgdNo", "通关单号", 18)
