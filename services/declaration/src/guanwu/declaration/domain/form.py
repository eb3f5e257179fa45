"""Form metadata (F-03): which blocks and fields apply for a 申报地海关 and a kind, so the console shows and
hides them. Pure: decided from the code tables, the same ones the logic checks use."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

from guanwu.contracts.declaration import DocumentKind
from guanwu.customs.codes import CodeTables
from guanwu.customs.codes.registry import Table
from guanwu.declaration.domain.errors import UnknownDistrict

Presence = Literal["required", "optional", "hidden"]


class FieldRule(BaseModel):
    presence: Presence
    allowed: list[str] | None = Field(None, description="Allowed codes, when the form should offer a choice")
    hint_zh: str | None = None


class FormMetadata(BaseModel):
    custom_master: str
    district_name: str
    mode: Literal["southern", "northern"] = Field(description="南方模式 (广东关区) or 北方模式")
    kind: DocumentKind
    fields: dict[str, FieldRule] = Field(description="Field path → how the form treats it")


def form_metadata(custom_master: str, kind: DocumentKind, tables: CodeTables) -> FormMetadata:
    district = tables[Table.CUSTOMS_DISTRICT].get(custom_master)
    if district is None:
        raise UnknownDistrict(custom_master)
    southern = custom_master[:2] + "00" in tables[Table.SOUTHERN_MODE_DISTRICT]
    transit = kind.is_transit
    hidden = FieldRule(presence="hidden")
    fields: dict[str, FieldRule] = {
        "transit": FieldRule(presence="required") if transit else hidden,
        "head.decl_trn_rel": FieldRule(presence="required", allowed=["1"] if transit else ["0"]),
        "head.edi_id": FieldRule(presence="required", allowed=_edi_ids(transit, southern)),
        # The 载货清单号 exists only in the southern mode (seed: 南方模式…该字段才能显示).
        "transit.head.trans_no": FieldRule(presence="required", hint_zh="南方模式的载货清单号")
        if transit and southern
        else hidden,
        "head.bill_type": FieldRule(presence="optional") if _is_record_list(kind) else hidden,
    }
    return FormMetadata(
        custom_master=custom_master,
        district_name=district.name_zh,
        mode="southern" if southern else "northern",
        kind=kind,
        fields=fields,
    )


def _edi_ids(transit: bool, southern: bool) -> list[str]:
    # 1 普通报关; 3 北方转关提前; 5 南方转关提前; 6 南方H2000直转 (reference §1.2, EdiId)
    if not transit:
        return ["1", "6"] if southern else ["1"]
    return ["5"] if southern else ["3"]


def _is_record_list(kind: DocumentKind) -> bool:
    return kind in (DocumentKind.RECORD_LIST, DocumentKind.TRANSIT_RECORD_LIST)
