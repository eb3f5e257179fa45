"""A Single Window (单一窗口) simulator: the test device guanwu's sync service talks to (README.md).

It keeps receipts (回执) per enterprise and serves them as a feed of the customs' XML messages; tests and the
demo inject receipts through `/sim/receipts` and `/sim/bonded-list-receipts`. It takes signed declarations
(申报) at `/sim/declarations`, answers `DecImportResponse` with a 统一编号 and appends the customs' receipts
for them (入库成功 then 放行 unless told otherwise). It serves seeded records (`/sim/datasets`) through a
session (`/sim/session`) and keyset-paged queries (`/sim/query/…`), with faults on demand (`/sim/faults`).
"""

from __future__ import annotations

from fastapi import APIRouter, Depends, FastAPI, Request

from guanwu.singlewindow_sim.routes import datasets, declarations, faults, query, receipts
from guanwu.singlewindow_sim.routes.depends import STATE_ATTRIBUTE
from guanwu.singlewindow_sim.state import Receipt, ReceiptFeed, ReceiptIn, SingleWindowState

__all__ = ["Receipt", "ReceiptFeed", "ReceiptIn", "SingleWindowState", "build_router", "create_app"]


def build_router(state: SingleWindowState) -> APIRouter:
    """Every /sim route, bound to `state`: each app that includes it (alone, embedded, a test) has its own."""

    def bind(request: Request) -> None:
        setattr(request.state, STATE_ATTRIBUTE, state)

    router = APIRouter(prefix="/sim", tags=["single-window simulator"], dependencies=[Depends(bind)])
    # The faults' routes come last: a fuzzer that walks the routes in order (the no-5xx tests) meets the
    # faults it set only on the routes that set them.
    for part in (
        query.router,
        receipts.wire,
        receipts.injection,
        receipts.control,
        declarations.router,
        datasets.control,
        datasets.wire,
        faults.router,
    ):
        router.include_router(part)
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


def create_app(state: SingleWindowState | None = None) -> FastAPI:
    """The simulator served alone (`python -m guanwu.singlewindow_sim`)."""
    app = FastAPI(title="Single Window simulator (单一窗口模拟器)")
    app.include_router(operations_router())
    app.include_router(build_router(state or SingleWindowState()))
    return app
