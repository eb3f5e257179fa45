"""schemathesis over one app's own OpenAPI: whatever a client sends, never a 5xx.

Importable from every test tree (libs/platform/tests is on the pytest pythonpath). schemathesis starts the
app's lifespan once (so a service's runtime runs) and keeps it for the rest of the session.
"""

from __future__ import annotations

from typing import Any

import schemathesis
from hypothesis import HealthCheck, settings

# Modest: the unit tier runs every service's operations; a larger run is a `--hypothesis-seed` away.
FUZZ = settings(max_examples=15, deadline=None, suppress_health_check=list(HealthCheck))


def openapi_of(app: Any) -> Any:
    # /readyz answers 503 by design whenever a dependency is down; every other route must never fail on input.
    return schemathesis.openapi.from_asgi("/openapi.json", app).exclude(path="/readyz")


def assert_no_server_error(case: Any, headers: dict[str, str] | None = None) -> None:
    response = case.call(headers=headers)
    assert response.status_code < 500, (
        f"{case.method} {case.formatted_path}: {response.status_code} {response.text[:500]}"
    )
