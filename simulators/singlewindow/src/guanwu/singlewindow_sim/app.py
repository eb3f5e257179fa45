"""A minimal Single Window (单一窗口) simulator for tests and the demo.

It keeps receipts (回执) per enterprise and serves them as a feed that guanwu's sync service polls with a
cursor; tests and the demo inject receipts through `/sim/receipts`. It takes signed declarations (申报) at
`/sim/declarations`, answers `DecImportResponse` with a 统一编号 and appends the customs' receipts for them
to the enterprise's feed (入库成功 then 放行 unless told otherwise).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, FastAPI, Query, Request, Response
from pydantic import BaseModel

from guanwu.singlewindow_sim.declare import (
    Refusal,
    import_response,
    new_filing,
    read_signed_declaration,
    receipts_after_acceptance,
)
from guanwu.singlewindow_sim.state import (
    CHANNEL,
    DeclareBehaviour,
    Receipt,
    ReceiptFeed,
    ReceiptIn,
    SingleWindowState,
)

__all__ = ["Receipt", "ReceiptFeed", "ReceiptIn", "SingleWindowState", "build_router", "create_app"]

XML_MEDIA_TYPE = "application/xml; charset=utf-8"
Enterprise = Annotated[str, Query(min_length=1, max_length=64, description="The enterprise (guanwu tenant)")]


class FilingView(BaseModel):
    client_seq_no: str
    seq_no: str
    entry_id: str
    submissions: int
    distinct_messages: int


def receipt_routes(router: APIRouter, state: SingleWindowState) -> None:
    @router.post(
        "/receipts", response_model=Receipt, status_code=201, summary="Inject one receipt (tests/demo)"
    )
    async def inject(receipt: ReceiptIn) -> Receipt:
        return await state.add(receipt)

    @router.post(
        "/receipts/batch", response_model=list[Receipt], status_code=201, summary="Inject many receipts"
    )
    async def inject_many(receipts: list[ReceiptIn]) -> list[Receipt]:
        return [await state.add(r) for r in receipts]

    @router.get(
        "/receipts", response_model=ReceiptFeed, summary="Receipts feed polled by guanwu's sync service"
    )
    async def feed(
        enterprise: Enterprise,
        after: Annotated[int, Query(ge=0)] = 0,
        limit: Annotated[int, Query(ge=1, le=1000)] = 200,
    ) -> ReceiptFeed:
        return state.after(enterprise, after, limit)


def _channels(raw: str | None, behaviour: DeclareBehaviour) -> list[str]:
    return behaviour.receipts if raw is None else [c for c in raw.split(",") if c]


def declaration_routes(router: APIRouter, state: SingleWindowState) -> None:
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
        receipts: Annotated[
            str | None,
            Query(
                pattern=f"^({CHANNEL}(,{CHANNEL})*)?$",
                description="CHANNEL codes to answer with, e.g. `L,C` (查验) or `Z` (退回修改); default L,P",
            ),
        ] = None,
    ) -> Response:
        behaviour, now = state.behaviour(enterprise), datetime.now(UTC)
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
    async def filings(enterprise: Enterprise) -> list[FilingView]:
        return [
            FilingView(
                **{k: v for k, v in vars(f).items() if k != "accepted"}, distinct_messages=len(f.accepted)
            )
            for (owner, _), f in state.filings.items()
            if owner == enterprise
        ]

    @router.put(
        "/declarations/behaviour",
        response_model=DeclareBehaviour,
        summary="How the next declarations are answered (receipts, refusal)",
    )
    async def set_behaviour(behaviour: DeclareBehaviour) -> DeclareBehaviour:
        state.behaviours[behaviour.enterprise] = behaviour
        return behaviour


def build_router(state: SingleWindowState) -> APIRouter:
    router = APIRouter(prefix="/sim", tags=["single-window simulator"])
    receipt_routes(router, state)
    declaration_routes(router, state)
    return router


def operations_router() -> APIRouter:
    """The probes every guanwu process answers, so scripts and tests wait for the simulator the same way."""
    router = APIRouter(tags=["operations"])

    @router.get("/healthz", summary="Liveness: the process answers")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @router.get("/readyz", summary="Readiness: always ready once serving (its state is in memory)")
    async def readyz() -> dict[str, object]:
        return {"ready": True, "checks": {"state": True}}

    return router


def create_app() -> FastAPI:
    """The simulator served alone (`python -m guanwu.singlewindow_sim`)."""
    app = FastAPI(title="Single Window simulator (单一窗口模拟器)")
    app.include_router(operations_router())
    app.include_router(build_router(SingleWindowState()))
    return app
