"""The boxes of the 报关单 / 备案清单 form (post-2018 layout, customs-reference.md §7), filled from a document.

Pure: what each box says and which field paths it prints; drawing is `declaration.py`'s business. An
import form differs from an export one in its labels (境内收货人, 进境关别 …) and in two boxes it adds
(货物存放地点, 启运港).
"""

from __future__ import annotations

from guanwu.contracts.declaration import DecHead, DeclarationDocument
from guanwu.customs.codes import Table
from guanwu.customs.printing.model import Box, PrintNumbers, Row
from guanwu.customs.printing.values import Names, amount, join

PARTY_ROW = 30.0
"""Two value lines (code over name) under the label."""
PORTS_ROW = 24.0
FEES_ROW = 28.0
DOCUMENTS_ROW = 22.0
REMARKS_ROW = 34.0

# 40-foot class (L) containers count as two standard boxes (reference §4 集装箱规格).
_TWO_TEU = frozenset({"11", "12", "13", "32"})


def title(document: DeclarationDocument) -> str:
    export = document.head.ie_flag == "E"
    if document.kind.is_record_list:
        return "中华人民共和国海关" + ("出境货物备案清单" if export else "进境货物备案清单")
    return "中华人民共和国海关" + ("出口货物报关单" if export else "进口货物报关单")


def subtitle(document: DeclarationDocument) -> str:
    """两步申报 (DecHead.Type position 3: 5 概要申报, 6 完整申报) and 转关提前, beside the title."""
    step = (document.head.type or "").ljust(3)[2]
    parts = [{"5": "概要申报", "6": "完整申报"}.get(step, "")]
    if document.kind.is_transit:
        parts.append("转关提前")
    return "（" + "，".join(p for p in parts if p) + "）" if any(parts) else ""


def number_line(document: DeclarationDocument, numbers: PrintNumbers, names: Names) -> list[Box]:
    """预录入编号, 海关编号 and 申报地海关 above the grid (boxes without borders)."""
    head = document.head
    pre_entry = numbers.pre_entry_id or head.pre_entry_id or numbers.seq_no or head.seq_no or ""
    seq_no = numbers.seq_no or head.seq_no or ""
    boxes = [
        Box("预录入编号", pre_entry, ("head.pre_entry_id",)),
        Box("海关编号", numbers.entry_id or head.entry_id or "", ("head.entry_id",)),
        Box("申报地海关", names.coded(Table.CUSTOMS_DISTRICT, head.custom_master), ("head.custom_master",)),
    ]
    if seq_no and seq_no != pre_entry:
        boxes.insert(1, Box("统一编号", seq_no, ("head.seq_no",)))
    return boxes


def _party(code: str | None, scc: str | None, name: str | None) -> str:
    return join(join(scc, code, sep=" / "), name, sep="\n")


def _ports(head: DecHead, names: Names, export: bool) -> Row:
    country = "运抵国(地区)" if export else "启运国(地区)"
    return Row(
        PORTS_ROW,
        (
            Box("合同协议号", head.contr_no or "", ("head.contr_no",), 0.28),
            Box(
                "贸易国(地区)",
                names.coded(Table.COUNTRY, head.trade_area_code),
                ("head.trade_area_code",),
                0.18,
            ),
            Box(country, names.coded(Table.COUNTRY, head.trade_country), ("head.trade_country",), 0.14),
            Box("指运港" if export else "经停港", head.distinate_port or "", ("head.distinate_port",), 0.14),
            Box(
                "离境口岸" if export else "入境口岸",
                head.enty_port_code or "",
                ("head.enty_port_code",),
                0.26,
            ),
        ),
    )


def _parties_row(head: DecHead, names: Names, numbers: PrintNumbers, export: bool) -> Row:
    trader = "境内发货人" if export else "境内收货人"
    return Row(
        PARTY_ROW,
        (
            Box(
                trader,
                _party(head.trade_code, head.trade_co_scc, head.trade_name),
                ("head.trade_code", "head.trade_co_scc", "head.trade_name", "head.trade_ciq_code"),
                0.28,
            ),
            Box(
                "出境关别" if export else "进境关别",
                names.coded(Table.CUSTOMS_DISTRICT, head.ie_port),
                ("head.ie_port",),
                0.18,
            ),
            Box("出口日期" if export else "进口日期", head.ie_date or "", ("head.ie_date",), 0.14),
            Box("申报日期", numbers.declared_text(), (), 0.14),
            Box("备案号", head.manual_no or "", ("head.manual_no",), 0.26),
        ),
    )


def _overseas(head: DecHead, export: bool) -> Box:
    if export:
        value = join(head.overseas_consignee_code, head.overseas_consignee_ename, sep="\n")
        return Box(
            "境外收货人", value, ("head.overseas_consignee_code", "head.overseas_consignee_ename"), 0.28
        )
    value = join(
        head.overseas_consignor_code,
        join(head.overseas_consignor_cname, head.overseas_consignor_ename),
        head.overseas_consignor_addr,
        sep="\n",
    )
    fields = ("code", "cname", "ename", "addr")
    return Box("境外发货人", value, tuple(f"head.overseas_consignor_{f}" for f in fields), 0.28)


def _transport_row(document: DeclarationDocument, names: Names, export: bool) -> Row:
    head = document.head
    voyage = document.free_text.voy_no if document.free_text else None
    boxes = [
        _overseas(head, export),
        Box("运输方式", names.coded(Table.TRANSPORT_MODE, head.traf_mode), ("head.traf_mode",), 0.18),
        Box(
            "运输工具名称及航次号",
            join(head.traf_name, voyage, sep="/"),
            ("head.traf_name", "free_text.voy_no"),
            0.28 if export else 0.2,
        ),
        Box("提运单号", head.bill_no or "", ("head.bill_no",), 0.26 if export else 0.14),
    ]
    if not export:
        boxes.append(Box("货物存放地点", head.goods_place or "", ("head.goods_place",), 0.2))
    return Row(PARTY_ROW, tuple(boxes))


def _owner_row(head: DecHead, names: Names, export: bool) -> Row:
    boxes = [
        Box(
            "生产销售单位" if export else "消费使用单位",
            _party(head.owner_code, head.owner_code_scc, head.owner_name),
            ("head.owner_code", "head.owner_code_scc", "head.owner_name", "head.owner_ciq_code"),
            0.28,
        ),
        Box("监管方式", names.coded(Table.TRADE_MODE, head.trade_mode), ("head.trade_mode",), 0.18),
        Box("征免性质", names.coded(Table.LEVY_KIND, head.cut_mode), ("head.cut_mode",), 0.14),
        Box("许可证号", head.license_no or "", ("head.license_no",), 0.40 if export else 0.2),
    ]
    if not export:
        boxes.append(Box("启运港", head.desp_port_code or "", ("head.desp_port_code",), 0.2))
    return Row(PARTY_ROW, tuple(boxes))


def _packing(document: DeclarationDocument, names: Names) -> str:
    others = "；".join(
        join(names.coded(Table.WRAP_TYPE, p.pack_type), f"({p.pack_qty})" if p.pack_qty else None)
        for p in document.other_packs
    )
    return join(
        names.coded(Table.WRAP_TYPE, document.head.wrap_type),
        f"其他包装：{others}" if others else None,
        sep="\n",
    )


def _fees_row(document: DeclarationDocument, names: Names) -> Row:
    head = document.head
    return Row(
        FEES_ROW,
        (
            Box(
                "包装种类",
                _packing(document, names),
                ("head.wrap_type", "other_packs", "head.no_other_pack"),
                0.28,
            ),
            Box("件数", amount(head.pack_no), ("head.pack_no",), 0.09),
            Box("毛重(千克)", amount(head.gross_wet), ("head.gross_wet",), 0.09),
            Box("净重(千克)", amount(head.net_wt), ("head.net_wt",), 0.09),
            Box("成交方式", names.coded(Table.TRANSACTION_MODE, head.trans_mode), ("head.trans_mode",), 0.09),
            Box("运费", names.fee(head.fee_mark, head.fee_curr, head.fee_rate), _fee_fields("fee"), 0.12),
            Box(
                "保费",
                names.fee(head.insur_mark, head.insur_curr, head.insur_rate),
                _fee_fields("insur"),
                0.12,
            ),
            Box(
                "杂费",
                names.fee(head.other_mark, head.other_curr, head.other_rate),
                _fee_fields("other"),
                0.12,
            ),
        ),
    )


def _fee_fields(prefix: str) -> tuple[str, ...]:
    return tuple(f"head.{prefix}_{part}" for part in ("mark", "curr", "rate"))


def _licences(document: DeclarationDocument, names: Names) -> str:
    return "；".join(
        join(names.coded(Table.LICENSE_DOCUMENT, licence.docu_code), licence.cert_code, sep="：")
        for licence in document.licenses
    )


def head_rows(document: DeclarationDocument, numbers: PrintNumbers, names: Names) -> list[Row]:
    """Rows 2–8 of the form: parties, transport, owner, ports, packing and fees, documents, remarks."""
    head = document.head
    export = head.ie_flag == "E"
    return [
        _parties_row(head, names, numbers, export),
        _transport_row(document, names, export),
        _owner_row(head, names, export),
        _ports(head, names, export),
        _fees_row(document, names),
        Row(DOCUMENTS_ROW, (Box("随附单证及编号", _licences(document, names), ("licenses",)),)),
        Row(
            REMARKS_ROW,
            (
                Box(
                    "标记唛码及备注",
                    remarks(document, names),
                    ("head.mark_no", "head.note_s", *_REMARK_BLOCKS),
                ),
            ),
        ),
    ]


_REMARK_BLOCKS = (
    "containers",
    "edocs",
    "cop_limits",
    "free_text.rel_id",
    "free_text.rel_man_no",
    "free_text.bon_no",
    "free_text.cus_fie",
)


def _containers(document: DeclarationDocument) -> str:
    if not document.containers:
        return ""
    teu = sum(2 if c.container_md in _TWO_TEU else 1 for c in document.containers)
    boxes = "，".join(
        join(c.container_id, f"(商品项 {c.goods_no})" if c.goods_no else None) for c in document.containers
    )
    return f"集装箱标箱数及号码：{teu}；{boxes}"


def remarks(document: DeclarationDocument, names: Names) -> str:
    """标记唛码及备注: the marks, the note, then what the form has no box of its own for (containers, 随附单据,
    企业资质, the related numbers of DecFreeTxt)."""
    head, free = document.head, document.free_text
    parts = [
        f"标记唛码：{head.mark_no}" if head.mark_no else "",
        f"备注：{head.note_s}" if head.note_s else "",
        _containers(document),
        "随附单据：" + "；".join(names.coded(Table.ATTACHED_DOCUMENT, e.edoc_code) for e in document.edocs)
        if document.edocs
        else "",
        "企业资质："
        + "；".join(join(q.ent_qualif_type_code, q.ent_qualif_no, sep=":") for q in document.cop_limits)
        if document.cop_limits
        else "",
    ]
    if free is not None:
        labels = (
            ("关联报关单", free.rel_id),
            ("关联备案", free.rel_man_no),
            ("监管仓号", free.bon_no),
            ("货场代码", free.cus_fie),
        )
        parts.extend(f"{label}：{value}" for label, value in labels if value)
    return "  ".join(p for p in parts if p)


_PROMISES = ("特殊关系确认", "价格影响确认", "支付特许权使用费确认", "公式定价确认", "暂定价格确认")


def confirmations(head: DecHead) -> list[Box]:
    """Line 10: the 价格说明 digits (1 是, 0 否, 9 or absent: blank) and 自报自缴 (Type starting with Z)."""
    digits = head.promise_itmes or ""
    answer = {"1": "是", "0": "否"}
    boxes = [
        Box(label, answer.get(digits[i : i + 1], ""), ("head.promise_itmes",))
        for i, label in enumerate(_PROMISES)
    ]
    self_assessed = "是" if (head.type or "").startswith("Z") else "否"
    boxes.append(Box("自报自缴", self_assessed, ("head.type",)))
    return boxes


def signatures(document: DeclarationDocument) -> dict[str, Box]:
    """The footer's boxes by place: who declares, their number and phone, the declaring unit."""
    head, free = document.head, document.free_text
    return {
        "declarant": Box("报关人员", head.declare_name or "", ("head.declare_name",)),
        "declarant_no": Box("报关人员证号", (free.dec_no if free else None) or "", ("free_text.dec_no",)),
        "phone": Box("电话", (free.dec_bp_no if free else None) or "", ("free_text.dec_bp_no",)),
        "agent": Box(
            "申报单位",
            join(join(head.agent_code_scc, head.agent_code, sep=" / "), head.agent_name),
            ("head.agent_code", "head.agent_code_scc", "head.agent_name", "head.decl_ciq_code"),
        ),
    }
