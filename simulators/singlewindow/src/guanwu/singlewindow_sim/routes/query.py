"""The Single Window's own endpoints a sync job pages through: log in, then query 报关单 and 核注清单 by ticket
(按票) or by day (按天), a keyset page at a time."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Header, Query
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field

from guanwu.singlewindow_sim.errors import REFUSALS, WireRoute
from guanwu.singlewindow_sim.faults import ActiveFaults
from guanwu.singlewindow_sim.queries import BondedListQuery, DeclarationQuery, decode_cursor, encode_cursor
from guanwu.singlewindow_sim.records import EnterpriseRecords, Kind, Selection
from guanwu.singlewindow_sim.routes.depends import Simulator
from guanwu.singlewindow_sim.state import SingleWindowState
from guanwu.singlewindow_sim.wire import bonded_list_item, declaration_item

router = APIRouter(route_class=WireRoute)
Authorization = Annotated[str | None, Header(description="Bearer <token> from POST /sim/session")]


class SessionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    enterprise: str = Field(min_length=1, max_length=64, description="The enterprise (guanwu tenant)")


class SessionOut(BaseModel):
    token: str
    expires_at: datetime


class ReceiptView(BaseModel):
    channel: str = Field(description="CHANNEL (报关单) or 清单状态 (核注清单)")
    notice_date: datetime
    note: str


class DeclarationItem(BaseModel):
    seq_no: str
    entry_id: str | None
    client_seq_no: str | None
    version: int
    updated_at: datetime
    channel: str | None
    receipts: list[ReceiptView]
    xml: str = Field(description="The kernel's DecMessage (no DecSign)")


class DeclarationPage(BaseModel):
    items: list[DeclarationItem]
    next_cursor: str | None
    total: int = Field(description="Records matching the filters, in all pages")


class BondedListItem(BaseModel):
    seq_no: str
    bond_invt_no: str | None
    list_stat: str
    data_source: str
    version: int
    updated_at: datetime
    receipts: list[ReceiptView]
    xml: str = Field(description="The kernel's INV101 message")


class BondedListPage(BaseModel):
    items: list[BondedListItem]
    next_cursor: str | None
    total: int


@router.post(
    "/session", response_model=SessionOut, responses=REFUSALS, summary="Log in (会话): a bearer token"
)
async def login(body: SessionIn, state: Simulator) -> SessionOut:
    await state.disturb(body.enterprise)
    ttl = state.faults_of(body.enterprise).faults.session_ttl_seconds
    token, session = state.sessions.open(body.enterprise, ttl, state.clock())
    return SessionOut(token=token, expires_at=session.expires_at)


async def _admitted(
    state: SingleWindowState, enterprise: str, authorization: str | None
) -> EnterpriseRecords:
    await state.disturb(enterprise)
    every = state.faults_of(enterprise).faults.expire_session_every
    state.sessions.admit(authorization, enterprise, state.clock(), every)
    return state.records.get(enterprise) or EnterpriseRecords.empty()


ItemOf = Callable[[EnterpriseRecords, int, ActiveFaults], dict[str, Any]]


def _page(
    state: SingleWindowState,
    records: EnterpriseRecords,
    kind: Kind,
    selection: Selection,
    query: DeclarationQuery | BondedListQuery,
    item: ItemOf,
) -> JSONResponse:
    index = records.of(kind)
    page = index.page(selection, decode_cursor(query.cursor, selection.fingerprint), query.limit)
    faults = state.faults_of(query.enterprise)
    return JSONResponse(
        {
            "items": [item(records, i, faults) for i in page.indices],
            "next_cursor": encode_cursor(selection.fingerprint, page.next_key)
            if page.next_key is not None
            else None,
            "total": page.total,
        }
    )


@router.get(
    "/query/declarations",
    response_model=DeclarationPage,
    responses=REFUSALS,
    summary="报关数据: by ticket (seq_no, enterprise_category, entry_kind) or by day (updated_from, updated_to, "
    "enterprise_category, trade_name)",
)
async def declarations(
    query: Annotated[DeclarationQuery, Query()], state: Simulator, authorization: Authorization = None
) -> JSONResponse:
    records = await _admitted(state, query.enterprise, authorization)
    return _page(state, records, "declarations", query.select(records), query, declaration_item)


@router.get(
    "/query/bonded-lists",
    response_model=BondedListPage,
    responses=REFUSALS,
    summary="核注清单: by ticket (number, enterprise_type, data_source, ie_flag) or by day (updated_from, "
    "updated_to, data_status, enterprise_type, data_source, ie_flag)",
)
async def bonded_lists(
    query: Annotated[BondedListQuery, Query()], state: Simulator, authorization: Authorization = None
) -> JSONResponse:
    records = await _admitted(state, query.enterprise, authorization)
    return _page(state, records, "bonded_lists", query.select(records), query, bonded_list_item)
