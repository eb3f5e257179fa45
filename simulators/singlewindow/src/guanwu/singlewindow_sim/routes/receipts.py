"""Receipts (回执): injected by tests and the demo (JSON), served in the feed as the customs' XML messages."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from guanwu.singlewindow_sim.errors import REFUSALS, ControlRoute, WireRoute
from guanwu.singlewindow_sim.routes.depends import Enterprise, Simulator
from guanwu.singlewindow_sim.state import (
    BondedListReceipt,
    BondedListReceiptIn,
    Receipt,
    ReceiptFeed,
    ReceiptIn,
)
from guanwu.singlewindow_sim.wire import feed_entries

injection = APIRouter()
control = APIRouter(route_class=ControlRoute)
wire = APIRouter(route_class=WireRoute)


@injection.post(
    "/receipts", response_model=Receipt, status_code=201, summary="Inject one receipt (tests/demo)"
)
async def inject(receipt: ReceiptIn, state: Simulator) -> Receipt:
    return await state.add(receipt)


@injection.post(
    "/receipts/batch", response_model=list[Receipt], status_code=201, summary="Inject many receipts"
)
async def inject_many(receipts: list[ReceiptIn], state: Simulator) -> list[Receipt]:
    return [await state.add(r) for r in receipts]


@control.post(
    "/bonded-list-receipts",
    response_model=BondedListReceipt,
    status_code=201,
    summary="Inject one 核注清单 receipt (INV201 审核回执 or INV202 生成报关单回执)",
)
async def inject_bonded(receipt: BondedListReceiptIn, state: Simulator) -> BondedListReceipt:
    return await state.add_bonded(receipt)


@wire.get(
    "/receipts",
    response_model=ReceiptFeed,
    responses={k: v for k, v in REFUSALS.items() if k in (400, 503, 504)},
    summary="Receipts feed (DEC_RESULT, INV201, INV202 XML) polled by guanwu's sync service",
)
async def feed(
    enterprise: Enterprise,
    state: Simulator,
    after: Annotated[int, Query(ge=0, le=2**62, description="next_position of the page before")] = 0,
    limit: Annotated[int, Query(ge=1, le=1000)] = 200,
) -> ReceiptFeed:
    await state.disturb(enterprise)
    page, next_position = state.after(enterprise, after, limit)
    return ReceiptFeed(receipts=feed_entries(page, state.faults_of(enterprise)), next_position=next_position)
