"""What the console's routes need: the API client for this process, and the loading of one list screen."""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import httpx

from guanwu.console.adapters import IN_PROCESS_BASE, ServiceApis, ServiceUrls
from guanwu.console.adapters_oidc import OidcClient
from guanwu.console.domain.menu import Paging
from guanwu.console.domain.screens import ListScreen


@dataclass(frozen=True)
class ConsoleContext:
    urls: ServiceUrls
    page_size: int
    timeout_seconds: float
    import_timeout_seconds: float = 600.0
    secure_cookies: bool = False
    """Cookies marked Secure whatever the request's scheme (TLS ends at a proxy in front)."""
    oidc: OidcClient | None = None
    """Single sign-on, when configured."""
    local_login: bool = True
    """The login form of local users (`POST /api/auth/token`): only where the services take local tokens."""

    @asynccontextmanager
    async def apis(self, app: Any) -> AsyncIterator[ServiceApis]:
        """A client of the services' APIs; calls to a service without a base URL go to `app`, the ASGI app
        serving this console, in process."""
        mounts = {IN_PROCESS_BASE: httpx.ASGITransport(app=app)}
        async with httpx.AsyncClient(mounts=mounts, timeout=self.timeout_seconds) as http:
            yield ServiceApis(http, self.urls)


@dataclass(frozen=True)
class ListResult:
    rows: list[dict[str, Any]]
    paging: Paging
    values: dict[str, str]
    """The filter values the list was asked with (shown again in the form)."""


def filter_values(screen: ListScreen, form: Mapping[str, str]) -> dict[str, str]:
    """The screen's filters as asked; anything else in the query string is ignored."""
    return {f.name: form.get(f.name, "").strip() for f in screen.filters}


async def load_list(
    apis: ServiceApis, token: str, screen: ListScreen, form: Mapping[str, str], page: int, size: int
) -> ListResult:
    values = filter_values(screen, form)
    paging = Paging(page=max(page, 1), size=size, total=0)
    params: dict[str, str | int] = {**values, **screen.fixed, "skip": paging.skip, "limit": size}
    answer = await apis.get(screen.service, screen.path, token, params)
    for name, value in values.items():
        applied = answer.get(name)
        if not value and isinstance(applied, str):
            # A default the API applied and answers with (审单's 最近操作时间: the last 7 days) shows in the form.
            values[name] = applied
    return ListResult(
        rows=list(answer["items"]), paging=Paging(paging.page, size, int(answer["total"])), values=values
    )
