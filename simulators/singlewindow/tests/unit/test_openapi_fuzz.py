"""schemathesis against the Single Window simulator served alone: whatever a client sends, never a 5xx.

The faults an example sets are cleared after it: answering 503 (or hanging) is what faults are for, and a
later example of the same enterprise must not meet them."""

from __future__ import annotations

import schemathesis
from openapi_fuzz import FUZZ, assert_no_server_error, openapi_of

from guanwu.singlewindow_sim.app import create_app
from guanwu.singlewindow_sim.state import SingleWindowState

_state = SingleWindowState()
schema = openapi_of(create_app(_state))


@schema.parametrize()
@FUZZ
def test_no_server_errors(case: schemathesis.Case) -> None:
    try:
        assert_no_server_error(case)
    finally:
        _state.faults.clear()
