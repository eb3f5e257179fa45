"""How module-level routes reach what their service's bootstrap bound.

A service's bootstrap puts one context object into its `ServiceParts` (a unit-of-work factory, ports, a
clock); `create_app` keeps each under the service's name. A route then declares it as a dependency:

    Context = Annotated[DeclarationContext, Depends(service_context("declaration"))]

Choices: module-level routers cannot close over objects built at start-up; FastAPI's `dependency_overrides` is
meant for tests, and a module-level global would make two apps in one process (tests) share one context.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import Request


def service_context(name: str) -> Callable[[Request], Any]:
    # Async although it does not wait: FastAPI runs a plain function dependency in its thread pool, two
    # thread switches per request for a dictionary lookup.
    async def dependency(request: Request) -> Any:
        return request.app.state.service_contexts[name]

    dependency.__name__ = f"{name.replace('-', '_')}_context"
    return dependency
