"""schemathesis against the query service's own OpenAPI: whatever a client sends, never a 5xx."""

from __future__ import annotations

import schemathesis
from openapi_fuzz import FUZZ, assert_no_server_error, openapi_of
from service_http import TEST_AUTH, bearer, built_with, service_app

from guanwu.query import bootstrap
from guanwu.query.config import QuerySettings

schema = openapi_of(service_app(built_with(bootstrap.build, QuerySettings(auth=TEST_AUTH)), "query")[0])


@schema.parametrize()
@FUZZ
def test_no_server_errors(case: schemathesis.Case) -> None:
    assert_no_server_error(case, bearer())
