"""F-07: a draft declaration from a pre-approved 核注清单 (“预审批通过”的清单 → 生成报关单). Pure.

The 核注清单 speaks 金关二期: legacy numeric country and currency codes (142, 502) and its own field names;
the declaration speaks the 单一窗口 DecMessage (ISO codes, DecHead/DecList names). The mapping below is the
whole translation; a code without an ISO counterpart is kept as is and the logic checks flag it.
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from pydantic import ValidationError

from guanwu.contracts.declaration import BondedList, DeclarationDocument, DocumentKind, InvtList
from guanwu.customs.codes import CodeTables
from guanwu.customs.codes.registry import Table
from guanwu.platform.http.errors import field_path

APPROVED = "0"  # ListStat / InvtStucd 0 = 审核通过
RECORD_LIST_DEC_TYPES = frozenset({"3", "4", "5", "6"})  # 进/出境备案清单, 两单一审
TRANSIT_RECORD_LIST_DEC_TYPES = frozenset({"B", "C"})  # 转关提前进/出境备案清单


class NotApproved(ValueError):
    """The list is not (pre-)approved: customs would not accept a declaration generated from it."""


class Unmappable(ValueError):
    """The list lacks or carries values the declaration cannot take (e.g. no 进出口标志, a name too long)."""

    def __init__(self, fields: list[dict[str, str]]) -> None:
        super().__init__("; ".join(f"{f['field']}: {f['message_en']}" for f in fields))
        self.fields = fields


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
    head = bonded.head
    goods = [_line(n, item, tables) for n, item in enumerate(bonded.goods, start=1)]
    return DeclarationDocument.model_validate(
        {
            "kind": _kind(head.dec_type),
            "head": dict(
                ie_flag=head.impexp_markcd,
                custom_master=head.dcl_plc_cuscd,
                ie_port=head.impexp_portcd,
                trade_mode=head.supv_modecd,
                traf_mode=head.trsp_modecd,
                manual_no=head.putrec_no,
                trade_co_scc=head.bizop_etps_sccd,
                trade_code=head.bizop_etpsno,
                trade_name=head.bizop_etps_nm,
                owner_code_scc=head.rvsngd_etps_sccd,
                owner_code=head.rcvgd_etpsno,
                owner_name=head.rcvgd_etps_nm,
                agent_code_scc=head.dcl_etps_sccd,
                agent_code=head.dcl_etpsno,
                agent_name=head.dcl_etps_nm,
                trade_country=_iso(Table.COUNTRY, head.stship_trsarv_natcd, tables),
                gross_wet=_total(item.gross_wt for item in bonded.goods),
                net_wt=_total(item.net_wt for item in bonded.goods),
            ),
            "goods": goods,
        }
    )


def _line(g_no: int, item: InvtList, tables: CodeTables) -> dict[str, Any]:
    return dict(
        g_no=g_no,
        code_ts=item.gdecd,
        g_name=item.gds_nm,
        g_model=item.gds_spcf_model_desc,
        g_qty=item.dcl_qty,
        g_unit=item.dcl_unitcd,
        first_qty=item.lawf_qty,
        first_unit=item.lawf_unitcd,
        second_qty=item.secd_lawf_qty,
        second_unit=item.secd_lawf_unitcd,
        decl_price=item.dcl_uprc_amt,
        decl_total=item.dcl_total_amt,
        trade_curr=_iso(Table.CURRENCY, item.dcl_currcd, tables),
        origin_country=_iso(Table.COUNTRY, item.natcd, tables),
        destination_country=_iso(Table.COUNTRY, item.destination_natcd, tables),
        duty_mode=item.lvyrlf_modecd,
        contr_item=item.putrec_seqno,
        exg_no=item.gds_mtno,
    )


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
