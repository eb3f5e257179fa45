"""schemathesis against the card signer's own OpenAPI (soft signer): whatever a client sends, never a 5xx."""

from __future__ import annotations

import tempfile
from pathlib import Path

import schemathesis
from openapi_fuzz import FUZZ, assert_no_server_error, openapi_of
from service_http import bearer, built_with, service_app

from guanwu.card_signer import bootstrap
from guanwu.card_signer.config import CardSignerSettings

_folder = tempfile.TemporaryDirectory(prefix="guanwu-fuzz-")  # removed when the module is collected away
_settings = CardSignerSettings(
    auth={"mode": "local", "secret": "f" * 40},  # type: ignore[arg-type]
    tenants=["acme"],
    signer="soft",
    soft_token_path=Path(_folder.name) / "soft-token.json",
    soft_passphrase="correct horse battery",  # type: ignore[arg-type]
    soft_create_if_missing=True,
)
schema = openapi_of(service_app(built_with(bootstrap.build, _settings), "card-signer")[0])


@schema.parametrize()
@FUZZ
def test_no_server_errors(case: schemathesis.Case) -> None:
    assert_no_server_error(case, bearer())
