"""schemathesis against the Single Window simulator served alone: whatever a client sends, never a 5xx."""

from __future__ import annotations

import schemathesis
from openapi_fuzz import FUZZ, assert_no_server_error, openapi_of

from guanwu.singlewindow_sim.app import create_app

schema = openapi_of(create_app())


@schema.parametrize()
@FUZZ
def test_no_server_errors(case: schemathesis.Case) -> None:
    assert_no_server_error(case)
