"""F-07: a draft declaration from a pre-approved 核注清单 (“预审批通过”的清单 → 生成报关单). Pure.

The 核注清单 speaks 金关二期: legacy numeric country and currency codes (142, 502) and its own field names;
the declaration speaks the 单一窗口 DecMessage (ISO codes, DecHead/DecList names). The tables below are the
whole translation; a code without an ISO counterpart is kept as is and the logic checks flag it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import Any

from pydantic import BaseModel, ValidationError

from guanwu.contracts.declaration import BondedList, DeclarationDocument, DocumentKind
from guanwu.customs.codes import CodeTables
from guanwu.customs.codes.registry import Table
from guanwu.declaration.domain.errors import NotApproved, Unmappable
from guanwu.platform.refusal import field_path

APPROVED = "0"  # ListStat / InvtStucd 0 = 审核通过
RECORD_LIST_DEC_TYPES = frozenset({"3", "4", "5", "6"})  # 进/出境备案清单, 两单一审
TRANSIT_RECORD_LIST_DEC_TYPES = frozenset({"B", "C"})  # 转关提前进/出境备案清单

HEAD_FIELDS = {
    # DecHead field: InvtHead field
    "ie_flag": "impexp_markcd",
    "custom_master": "dcl_plc_cuscd",
    "ie_port": "impexp_portcd",
    "trade_mode": "supv_modecd",
    "traf_mode": "trsp_modecd",
    "manual_no": "putrec_no",
    "trade_co_scc": "bizop_etps_sccd",
    "trade_code": "bizop_etpsno",
    "trade_name": "bizop_etps_nm",
    "owner_code_scc": "rvsngd_etps_sccd",
    "owner_code": "rcvgd_etpsno",
    "owner_name": "rcvgd_etps_nm",
    "agent_code_scc": "dcl_etps_sccd",
    "agent_code": "dcl_etpsno",
    "agent_name": "dcl_etps_nm",
    "trade_country": "stship_trsarv_natcd",
}
GOODS_FIELDS = {
    # DecList field: InvtList field
    "code_ts": "gdecd",
    "g_name": "gds_nm",
    "g_model": "gds_spcf_model_desc",
    "g_qty": "dcl_qty",
    "g_unit": "dcl_unitcd",
    "first_qty": "lawf_qty",
    "first_unit": "lawf_unitcd",
    "second_qty": "secd_lawf_qty",
    "second_unit": "secd_lawf_unitcd",
    "decl_price": "dcl_uprc_amt",
    "decl_total": "dcl_total_amt",
    "trade_curr": "dcl_currcd",
    "origin_country": "natcd",
    "destination_country": "destination_natcd",
    "duty_mode": "lvyrlf_modecd",
    "contr_item": "putrec_seqno",
    "exg_no": "gds_mtno",
}
LEGACY_CODES = {
    # Declaration fields whose 核注清单 value is a legacy code, and the table that knows its ISO code.
    "trade_country": Table.COUNTRY,
    "trade_curr": Table.CURRENCY,
    "origin_country": Table.COUNTRY,
    "destination_country": Table.COUNTRY,
}


def declaration_from_bonded_list(bonded: BondedList, tables: CodeTables) -> DeclarationDocument:
    head = bonded.head
    if head.list_stat not in (None, APPROVED):
        raise NotApproved(head.list_stat)
    try:
        return _document(bonded, tables)
    except ValidationError as exc:
        raise Unmappable(
            [
                {"field": field_path(tuple(err["loc"])), "type": err["type"], "message_en": err["msg"]}
                for err in exc.errors()
            ]
        ) from exc


def _document(bonded: BondedList, tables: CodeTables) -> DeclarationDocument:
    head = _mapped(bonded.head, HEAD_FIELDS, tables)
    head["gross_wet"] = _total(item.gross_wt for item in bonded.goods)
    head["net_wt"] = _total(item.net_wt for item in bonded.goods)
    goods = [
        {"g_no": g_no, **_mapped(item, GOODS_FIELDS, tables)} for g_no, item in enumerate(bonded.goods, 1)
    ]
    return DeclarationDocument.model_validate(
        {"kind": _kind(bonded.head.dec_type), "head": head, "goods": goods}
    )


def _mapped(source: BaseModel, fields: Mapping[str, str], tables: CodeTables) -> dict[str, Any]:
    values = {ours: getattr(source, theirs) for ours, theirs in fields.items()}
    for field, table in LEGACY_CODES.items():
        if field in values:
            values[field] = _iso(table, values[field], tables)
    return values


def _iso(table: Table, legacy: str | None, tables: CodeTables) -> str | None:
    if legacy is None:
        return None
    entry = tables[table].from_legacy(legacy)
    return entry.code if entry else legacy


def _total(values: Iterable[Decimal | None]) -> Decimal | None:
    present = [v for v in values if v is not None]
    return sum(present, Decimal(0)) if present else None


def _kind(dec_type: str | None) -> DocumentKind:
    if dec_type in RECORD_LIST_DEC_TYPES:
        return DocumentKind.RECORD_LIST
    if dec_type in TRANSIT_RECORD_LIST_DEC_TYPES:
        return DocumentKind.TRANSIT_RECORD_LIST
    return DocumentKind.DECLARATION
