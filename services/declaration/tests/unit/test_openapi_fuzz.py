"""schemathesis against the declaration service's own OpenAPI: whatever a client sends, never a 5xx."""

from __future__ import annotations

import schemathesis
from declaration_harness import ISSUER
from hypothesis import HealthCheck, settings
from service_http import TEST_AUTH

from guanwu.declaration import bootstrap
from guanwu.declaration.config import DeclarationSettings
from guanwu.platform.bus.inprocess import InProcessEventBus
from guanwu.platform.runtime import Runtime, create_app
from guanwu.platform.store.memory import MemoryDocumentStore


def _app():  # type: ignore[no-untyped-def]
    store = MemoryDocumentStore()
    runtime = Runtime(store, InProcessEventBus())
    runtime.register(bootstrap.build(DeclarationSettings(auth=TEST_AUTH), store, runtime.outbox_written))
    return create_app(runtime, ISSUER, title="declaration", service_label="declaration")


# /readyz answers 503 by design whenever a dependency is down; every other route must never fail on input.
schema = schemathesis.openapi.from_asgi("/openapi.json", _app()).exclude(path="/readyz")
TOKEN = {"Authorization": f"Bearer {ISSUER.issue('fuzz', 'acme', ['preparer', 'reviewer'])}"}


@schema.parametrize()
@settings(max_examples=15, deadline=None, suppress_health_check=list(HealthCheck))
def test_no_server_errors(case: schemathesis.Case) -> None:
    response = case.call(headers=TOKEN)
    assert response.status_code < 500, (
        f"{case.method} {case.formatted_path}: {response.status_code} {response.text[:500]}"
    )
