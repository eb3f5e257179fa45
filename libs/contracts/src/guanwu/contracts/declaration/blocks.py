"""The DecMessage's smaller blocks (reference §1.5). Field order is the element order in the message."""

from __future__ import annotations

from decimal import Decimal

from guanwu.contracts.declaration._fields import CustomsModel, amount, integer, text


class Container(CustomsModel):
    """集装箱 DecContainers/Container."""

    container_id: str | None = text("ContainerId", "集装箱号 (ISO 6346, 11位)", 32)
    container_md: str | None = text("ContainerMd", "集装箱规格", 32)
    goods_no: str | None = text("GoodsNo", "商品项号 (e.g. '1,3')", 255)
    lcl_flag: str | None = text("LclFlag", "拼箱标识: 1 是, 0 否", 1)
    goods_conta_wt: Decimal | None = amount("GoodsContaWt", "箱货重量", 19, 5)
    container_wt: Decimal | None = amount("ContainerWt", "集装箱自重", 18, 5)


class LicenseDocu(CustomsModel):
    """随附单证 DecLicenseDocus/LicenseDocu."""

    docu_code: str | None = text("DocuCode", "随附单证代码", 1)
    cert_code: str | None = text("CertCode", "随附单证编号", 32)


class DecRequestCert(CustomsModel):
    """申请单证 DecRequestCerts/DecRequestCert."""

    app_cert_code: str | None = text("AppCertCode", "申请单证代码", 50)
    appl_ori: int | None = integer("ApplOri", "申请单证正本数", 4)
    appl_copy_quan: int | None = integer("ApplCopyQuan", "申请单证副本数", 4)


class EdocRealation(CustomsModel):
    """随附单据 EdocRealation (repeated directly under the root; the customs' spelling)."""

    edoc_id: str | None = text("EdocID", "文件名 (申报口岸+类别+IM+18位流水号+.pdf)", 64)
    edoc_code: str | None = text("EdocCode", "随附单据类别代码", 8)
    edoc_fomat_type: str | None = text("EdocFomatType", "随附单据格式类型: S 结构化, US 非结构化", 2)
    edoc_size: str | None = text("EdocSize", "随附单据文件大小", 12)
    g_no_str: str | None = text("GNoStr", "关联商品项号", 150)


class DecOtherPack(CustomsModel):
    """其他包装 DecOtherPacks/DecOtherPack."""

    pack_qty: int | None = integer("PackQty", "包装件数", 9)
    pack_type: str | None = text("PackType", "包装材料种类", 2)


class DecCopLimit(CustomsModel):
    """企业资质 DecCopLimits/DecCopLimit."""

    ent_qualif_no: str | None = text("EntQualifNo", "企业资质编号", 40)
    ent_qualif_type_code: str | None = text("EntQualifTypeCode", "企业资质类别代码", 5)


class DecUser(CustomsModel):
    """使用人 DecUsers/DecUser."""

    use_org_person_code: str | None = text("UseOrgPersonCode", "使用单位联系人", 20)
    use_org_person_tel: str | None = text("UseOrgPersonTel", "使用单位联系电话", 20)


class DecCopPromise(CustomsModel):
    """企业承诺 DecCopPromises/DecCopPromise (进口 101040, 出口 102053)."""

    declaratio_material_code: str | None = text("DeclaratioMaterialCode", "证明/声明材料代码", 10)


class DecFreeTxt(CustomsModel):
    """自由文本 DecFreeTxt (single)."""

    bon_no: str | None = text("BonNo", "监管仓号", 32)
    cus_fie: str | None = text("CusFie", "货场代码", 8)
    dec_bp_no: str | None = text("DecBpNo", "报关员联系方式", 32)
    dec_no: str | None = text("DecNo", "报关员海关注册编码", 13)
    rel_id: str | None = text("RelId", "关联报关单", 18)
    rel_man_no: str | None = text("RelManNo", "关联备案", 12)
    voy_no: str | None = text("VoyNo", "航次号", 32)


class DecSign(CustomsModel):
    """签名信息 DecSign: who sends, how (OperType), and the IC card's signature.

    Not part of `DeclarationDocument`: it describes one transmission of the document, and the signature is
    computed over the document (see guanwu.customs.messages.canonical).
    """

    oper_type: str | None = text(
        "OperType",
        "操作类型: A 上载, B 报关单+转关单上载, C 申报, D 报关单+转关单申报, E 电子手册上载, G 暂存",
        1,
    )
    ic_code: str | None = text("ICCode", "操作员IC卡号", 13)
    oper_name: str | None = text("OperName", "操作员姓名", 30)
    cop_code: str | None = text("CopCode", "录入单位代码", 18)
    client_seq_no: str | None = text("ClientSeqNo", "客户端编号 (每票报关单唯一)", 18)
    sign: str | None = text("Sign", "数字签名", 200)
    sign_date: str | None = text("SignDate", "签名日期", 16)
    certificate: str | None = text("Certificate", "证书号", 20)
    domain_id: str | None = text("DomainId", "1 录入人, 2 申报人", 1)
    note: str | None = text("Note", "备注", 100)
    bill_seq_no: str | None = text("BillSeqNo", "对应清单统一编号", 18)
