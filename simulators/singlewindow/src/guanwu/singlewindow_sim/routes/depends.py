"""What every route takes: the simulator's state (bound per router by `build_router`) and the enterprise."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Path, Query, Request

from guanwu.singlewindow_sim.state import SingleWindowState

STATE_ATTRIBUTE = "single_window"


def simulator(request: Request) -> SingleWindowState:
    state = getattr(request.state, STATE_ATTRIBUTE)
    assert isinstance(state, SingleWindowState)
    return state


Simulator = Annotated[SingleWindowState, Depends(simulator)]
Enterprise = Annotated[str, Query(min_length=1, max_length=64, description="The enterprise (guanwu tenant)")]
EnterpriseInPath = Annotated[
    str, Path(min_length=1, max_length=64, description="The enterprise (guanwu tenant)")
]
