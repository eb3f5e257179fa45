"""申报 at the simulated Single Window (a signed DecMessage in, DecImportResponse out) and what tests see of it."""

from __future__ import annotations

from datetime import UTC
from typing import Annotated

from fastapi import APIRouter, Query, Request, Response
from pydantic import BaseModel

from guanwu.singlewindow_sim.declare import (
    Refusal,
    import_response,
    new_filing,
    read_signed_declaration,
    receipts_after_acceptance,
)
from guanwu.singlewindow_sim.errors import SimulatorError, error_response
from guanwu.singlewindow_sim.routes.depends import Enterprise, Simulator
from guanwu.singlewindow_sim.state import CHANNEL, DeclareBehaviour

XML_MEDIA_TYPE = "application/xml; charset=utf-8"

router = APIRouter()


class FilingView(BaseModel):
    client_seq_no: str
    seq_no: str
    entry_id: str
    submissions: int
    distinct_messages: int


def _channels(raw: str | None, behaviour: DeclareBehaviour) -> list[str]:
    return behaviour.receipts if raw is None else [c for c in raw.split(",") if c]


@router.post(
    "/declarations",
    summary="申报: a signed DecMessage in, DecImportResponse out (XML)",
    response_class=Response,
    openapi_extra={
        "requestBody": {"required": True, "content": {"application/xml": {"schema": {"type": "string"}}}}
    },
)
async def declare(
    request: Request,
    enterprise: Enterprise,
    state: Simulator,
    receipts: Annotated[
        str | None,
        Query(
            pattern=f"^({CHANNEL}(,{CHANNEL})*)?$",
            description="CHANNEL codes to answer with, e.g. `L,C` (查验) or `Z` (退回修改); default L,P",
        ),
    ] = None,
) -> Response:
    try:
        await state.disturb(enterprise)
    except SimulatorError as fault:
        return error_response(fault.status, fault.code, fault.message, fault.headers)
    behaviour, now = state.behaviour(enterprise), state.clock().astimezone(UTC)
    try:
        declaration = read_signed_declaration(await request.body())
        if behaviour.reject_with:
            raise Refusal("5", behaviour.reject_with, "refused by the simulator's configured behaviour")
    except Refusal as refusal:
        body = import_response(refusal.code, refusal.message)
        return Response(body, status_code=refusal.http_status, media_type=XML_MEDIA_TYPE)
    receipts_for = receipts_after_acceptance(enterprise, declaration, _channels(receipts, behaviour), now)
    filing = await state.file(
        enterprise, new_filing(enterprise, declaration, now), declaration.key, receipts_for
    )
    body = import_response("0", client_seq_no=filing.client_seq_no, seq_no=filing.seq_no)
    return Response(body, media_type=XML_MEDIA_TYPE)


@router.get("/declarations", response_model=list[FilingView], summary="Declarations filed (tests/demo)")
async def filings(enterprise: Enterprise, state: Simulator) -> list[FilingView]:
    return [
        FilingView(**{k: v for k, v in vars(f).items() if k != "accepted"}, distinct_messages=len(f.accepted))
        for (owner, _), f in state.filings.items()
        if owner == enterprise
    ]


@router.put(
    "/declarations/behaviour",
    response_model=DeclareBehaviour,
    summary="How the next declarations are answered (receipts, refusal)",
)
async def set_behaviour(behaviour: DeclareBehaviour, state: Simulator) -> DeclareBehaviour:
    state.behaviours[behaviour.enterprise] = behaviour
    return behaviour
