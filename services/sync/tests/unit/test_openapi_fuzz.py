"""schemathesis against the sync service's own OpenAPI: whatever a client sends, never a 5xx."""

from __future__ import annotations

import httpx
import schemathesis
from fastapi import FastAPI
from openapi_fuzz import FUZZ, assert_no_server_error, openapi_of
from service_http import TEST_AUTH, bearer, service_app

from guanwu.singlewindow_sim.app import SingleWindowState
from guanwu.singlewindow_sim.app import build_router as simulator_router
from guanwu.sync import bootstrap
from guanwu.sync.config import SyncSettings

_simulator = FastAPI()
_simulator.include_router(simulator_router(SingleWindowState()))
_settings = SyncSettings(auth=TEST_AUTH, single_window_url="http://single-window", tenants=["acme"])
schema = openapi_of(
    service_app(
        lambda store, notify: bootstrap.build(
            _settings, store, notify, transport=httpx.ASGITransport(app=_simulator)
        ),
        "sync",
    )[0]
)


@schema.parametrize()
@FUZZ
def test_no_server_errors(case: schemathesis.Case) -> None:
    assert_no_server_error(case, bearer())
