"""转关 blocks of a 转关提前 declaration (reference §1.5 and §6): TrnHead, TrnList, TrnContainers,
TrnContaGoodsList. Present only when `DeclarationDocument.kind` is a transit kind."""

from __future__ import annotations

from decimal import Decimal

from pydantic import BaseModel, Field

from guanwu.contracts.declaration._fields import CustomsModel, amount, integer, text


class TrnHead(CustomsModel):
    """转关单表头."""

    trn_pre_id: str | None = text("TrnPreId", "转关单统一编号", 18)
    trans_no: str | None = text("TransNo", "载货清单号 (南方模式)", 16)
    turn_no: str | None = text("TurnNo", "转关申报单号 (北方模式)", 16)
    native_traf_mode: str | None = text("NativeTrafMode", "境内运输方式", 1)
    traf_customs_no: str | None = text("TrafCustomsNo", "境内运输工具编号", 13)
    native_ship_name: str | None = text("NativeShipName", "境内运输工具名称", 30)
    native_voyage_no: str | None = text("NativeVoyageNo", "境内航次号", 32)
    contractor_name: str | None = text("ContractorName", "承运单位名称", 70)
    contractor_code: str | None = text("ContractorCode", "承运单位组织机构代码", 10)
    trans_flag: str | None = text("TransFlag", "转关类型: 1 提前, AA 出口二次转关, 1G/1T/1E/1P/1K ...", 2)
    valid_time: str | None = text("ValidTime", "预计运抵指运地时间 (yyyyMMdd)", 8)
    e_seal_flag: str | None = text("ESealFlag", "是否启用电子关锁: Y/N", 1)
    trn_type: str | None = text("TrnType", "转关单类型: 1 无纸, 0/空 有纸", 1)
    appl_code_scc: str | None = text("ApplCodeScc", "转关申报单位统一社会信用代码", 18)


class TrnList(CustomsModel):
    """转关单运输信息 (single TrnList element)."""

    traf_mode: str | None = text("TrafMode", "运输方式", 1)
    ship_id: str | None = text("ShipId", "运输工具编号", 32)
    ship_name_en: str | None = text("ShipNameEn", "运输工具名称", 255)
    voyage_no: str | None = text("VoyageNo", "航次号", 32)
    bill_no: str | None = text("BillNo", "提运单号", 32)
    ie_date: str | None = text("IEDate", "进出境日期 (yyyyMMdd)", 8)


class TrnContainer(CustomsModel):
    """转关集装箱 TrnContainers/TrnContainer."""

    conta_no: str | None = text("ContaNo", "集装箱号", 11)
    conta_sn: int | None = integer("ContaSn", "集装箱序号", 4)
    conta_model: str | None = text("ContaModel", "集装箱规格", 4)
    seal_no: str | None = text("SealNo", "封志号/电子关锁号", 128)
    trans_name: str | None = text("TransName", "运输工具名称", 32)
    trans_weight: Decimal | None = amount("TransWeight", "运输工具实际重量", 19, 5)
    seal_qty: int | None = integer("SealQty", "封志个数", 4)


class TrnContaGoodsList(CustomsModel):
    """集装箱商品装配 TrnContaGoodsList/TrnContaGoods: which goods line is in which container."""

    g_no: int | None = integer("GNo", "商品序号", 2)
    conta_no: str | None = text("ContaNo", "集装箱号", 11)
    conta_goods_count: Decimal | None = amount("ContaGoodsCount", "箱内商品件数", 19, 5)
    conta_goods_weight: Decimal | None = amount("ContaGoodsWeight", "箱内商品重量", 19, 5)


class TransitBlock(BaseModel):
    """The whole 转关 part of a DecMessage."""

    model_config = CustomsModel.model_config

    head: TrnHead = Field(description="TrnHead 转关单表头")
    trn_list: TrnList | None = Field(default=None, description="TrnList 转关运输信息")
    containers: list[TrnContainer] = Field(default_factory=list, description="TrnContainers 转关集装箱")
    conta_goods: list[TrnContaGoodsList] = Field(
        default_factory=list, description="TrnContaGoodsList 集装箱商品装配"
    )
