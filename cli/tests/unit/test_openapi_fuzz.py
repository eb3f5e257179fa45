"""schemathesis against the embedded app (`guanwu up --simulator`): the login route and the Single Window
simulator under /sim, never a 5xx. Each service's routes are fuzzed in its own tests."""

from __future__ import annotations

import tempfile
from pathlib import Path

import schemathesis
from openapi_fuzz import FUZZ, assert_no_server_error, openapi_of

from guanwu.cli.embedded import build_embedded
from guanwu.platform.store.memory import MemoryDocumentStore

_folder = tempfile.TemporaryDirectory(prefix="guanwu-fuzz-")
# A memory store, not SQLite: schemathesis ends the app's lifespan after each operation and starts it again
# for the next, and a stopped runtime has closed a SQLite store for good.
_system = build_embedded(
    MemoryDocumentStore(),
    "fuzz-secret-" + "e" * 40,
    tenants=["acme"],
    data_dir=Path(_folder.name),
    simulator=True,
)
schema = openapi_of(_system.app).include(path_regex="^/(api/auth|sim)/")
TOKEN = {"Authorization": f"Bearer {_system.issuer.issue('fuzz', 'acme', ['preparer', 'reviewer', 'admin'])}"}


@schema.parametrize()
@FUZZ
def test_no_server_errors(case: schemathesis.Case) -> None:
    assert _system.simulator is not None
    try:
        assert_no_server_error(case, TOKEN)
    finally:
        # A fault one example sets (503s, hangs) would answer the next examples of that enterprise.
        _system.simulator.faults.clear()
