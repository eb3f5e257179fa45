"""Faults on demand per enterprise (see guanwu.singlewindow_sim.faults)."""

from __future__ import annotations

from fastapi import APIRouter, Response

from guanwu.singlewindow_sim.errors import ControlRoute
from guanwu.singlewindow_sim.faults import ActiveFaults, Faults
from guanwu.singlewindow_sim.routes.depends import EnterpriseInPath, Simulator

router = APIRouter(route_class=ControlRoute)


@router.put(
    "/faults", response_model=Faults, summary="Make the Single Window misbehave towards an enterprise"
)
async def set_faults(faults: Faults, state: Simulator) -> Faults:
    state.faults[faults.enterprise] = ActiveFaults(faults)
    return faults


@router.get("/faults/{enterprise}", response_model=Faults, summary="The enterprise's faults (defaults: none)")
async def get_faults(enterprise: EnterpriseInPath, state: Simulator) -> Faults:
    active = state.faults.get(enterprise)
    return active.faults if active is not None else Faults(enterprise=enterprise)


@router.delete("/faults/{enterprise}", status_code=204, summary="Back to a well-behaved Single Window")
async def clear_faults(enterprise: EnterpriseInPath, state: Simulator) -> Response:
    state.faults.pop(enterprise, None)
    return Response(status_code=204)
