"""报关单表体 DecList, one goods line (reference §1.3), with its licence write-offs DecGoodsLimit."""

from __future__ import annotations

from decimal import Decimal

from pydantic import Field

from guanwu.contracts.declaration._fields import CustomsModel, amount, integer, text

MAX_GOODS_LINES = 50
"""A declaration carries at most 50 goods lines (商品项)."""

# The reference gives one bound (≤2000) for the whole group of CIQ attributes; each gets that bound.
CIQ_ATTRIBUTE_LENGTH = 2000


class DecGoodsLimit(CustomsModel):
    """产品资质 (许可证核销) of one goods line: DecList/DecGoodsLimits/DecGoodsLimit."""

    goods_no: int | None = integer("GoodsNo", "商品序号", 2)
    lic_type_code: str | None = text("LicTypeCode", "许可证类别代码", 5)
    licence_no: str | None = text("LicenceNo", "许可证编号", 40)
    lic_wrtof_detail_no: str | None = text("LicWrtofDetailNo", "许可证核销明细序号", 4)
    lic_wrtof_qty: str | None = text("LicWrtofQty", "核销数量", 20)
    lic_wrtof_qty_unit: str | None = text("LicWrtofQtyUnit", "核销数量单位", 3)


class DecList(CustomsModel):
    """报关单商品项. Field order is the element order in the DecMessage."""

    g_no: int = Field(
        ge=1,
        le=MAX_GOODS_LINES,
        description="GNo 商品序号 (1..n in order)",
        json_schema_extra={"code": "GNo"},
    )
    code_ts: str | None = text("CodeTS", "商品编号 (HS 10位)", 10)
    ciq_code: str | None = text("CiqCode", "检验检疫编码 (3位监管类别)", 20)
    ciq_name: str | None = text("CiqName", "检验检疫名称", 50)
    g_name: str | None = text("GName", "商品名称", 255)
    g_model: str | None = text("GModel", "规格型号 (申报要素, '|' 分隔)", 255)
    decl_goods_ename: str | None = text("DeclGoodsEname", "商品英文名称", 100)
    g_qty: Decimal | None = amount("GQty", "成交数量", 19, 5)
    g_unit: str | None = text("GUnit", "成交计量单位", 3)
    first_qty: Decimal | None = amount("FirstQty", "法定第一数量", 19, 5)
    first_unit: str | None = text("FirstUnit", "法定第一计量单位", 3)
    second_qty: Decimal | None = amount("SecondQty", "法定第二数量", 19, 5)
    second_unit: str | None = text("SecondUnit", "法定第二计量单位", 3)
    decl_price: Decimal | None = amount("DeclPrice", "申报单价", 19, 4)
    decl_total: Decimal | None = amount("DeclTotal", "申报总价", 19, 4)
    trade_curr: str | None = text("TradeCurr", "成交币制", 3)
    origin_country: str | None = text("OriginCountry", "原产国(地区)", 3)
    destination_country: str | None = text("DestinationCountry", "最终目的国(地区)", 3)
    district_code: str | None = text("DistrictCode", "境内目的地(进口)/境内货源地(出口)", 5)
    dest_code: str | None = text("DestCode", "目的地代码", 8)
    orig_place_code: str | None = text("OrigPlaceCode", "原产地区代码", 50)
    duty_mode: str | None = text("DutyMode", "征免方式", 1)
    contr_item: int | None = integer("ContrItem", "备案序号", 9)
    exg_no: str | None = text("ExgNo", "货号", 30)
    exg_version: str | None = text("ExgVersion", "版本号", 8)
    use_to: str | None = text("UseTo", "用途", 2)
    work_usd: Decimal | None = amount("WorkUsd", "工缴费", 19, 4)
    factor: Decimal | None = amount("Factor", "申报计量单位与法定单位比例因子", 11, 3)
    purpose: str | None = text("Purpose", "用途 (检验检疫)", CIQ_ATTRIBUTE_LENGTH)
    goods_attr: str | None = text("GoodsAttr", "货物属性", CIQ_ATTRIBUTE_LENGTH)
    stuff: str | None = text("Stuff", "成分/原料/组份", CIQ_ATTRIBUTE_LENGTH)
    prod_valid_dt: str | None = text("ProdValidDt", "产品有效期", CIQ_ATTRIBUTE_LENGTH)
    prod_qgp: str | None = text("ProdQgp", "产品保质期", CIQ_ATTRIBUTE_LENGTH)
    goods_spec: str | None = text("GoodsSpec", "货物规格", CIQ_ATTRIBUTE_LENGTH)
    goods_model: str | None = text("GoodsModel", "货物型号", CIQ_ATTRIBUTE_LENGTH)
    goods_brand: str | None = text("GoodsBrand", "货物品牌", CIQ_ATTRIBUTE_LENGTH)
    produce_date: str | None = text("ProduceDate", "生产日期", CIQ_ATTRIBUTE_LENGTH)
    prod_batch_no: str | None = text("ProdBatchNo", "生产批号", CIQ_ATTRIBUTE_LENGTH)
    eng_man_ent_cnm: str | None = text("EngManEntCnm", "境外生产企业名称", CIQ_ATTRIBUTE_LENGTH)
    uncode: str | None = text("Uncode", "UN编码", 20)
    dang_name: str | None = text("DangName", "危险货物名称", 80)
    dang_pack_type: str | None = text("DangPackType", "危包类别", 4)
    dang_pack_spec: str | None = text("DangPackSpec", "危包规格", 24)
    no_dang_flag: str | None = text("NoDangFlag", "非危险化学品", 1)
    mnufctr_reg_no: str | None = text("MnufctrRegNo", "生产单位注册号 (出口)", 20)
    mnufctr_reg_name: str | None = text("MnufctrRegName", "生产单位名称 (出口)", 150)
    rcep_orig_place_code: str | None = text("RcepOrigPlaceCode", "优惠原产地", 3)
    control_explain_code: str | None = text("ControlExplainCode", "禁限管制识别码", 4)
    goods_limits: list[DecGoodsLimit] = Field(
        default_factory=list, description="DecGoodsLimits/DecGoodsLimit 产品资质 (许可证核销)"
    )
