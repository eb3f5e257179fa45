"""An embedded guanwu with local users, and a browser-like client of its console (cookies kept)."""

from __future__ import annotations

import contextlib
import re
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
from embedded_system import running_embedded

from guanwu.cli.embedded import EmbeddedSystem
from guanwu.customs import fixtures
from guanwu.platform.local_users import LocalUser

PASSWORD = "correct horse battery staple"
USERS = {
    "zhang": ("acme", ["preparer"]),
    "li": ("acme", ["reviewer"]),
    "boss": ("acme", ["admin"]),
    "wang": ("other", ["preparer", "reviewer"]),
}


@contextlib.asynccontextmanager
async def console_system(
    data_dir: Path, *, simulator: bool = False
) -> AsyncIterator[tuple[EmbeddedSystem, httpx.AsyncClient]]:
    """`simulator`: the Single Window simulator under /sim, so sync jobs have somewhere to ask."""
    async with running_embedded(data_dir, ["acme", "other"], simulator=simulator) as (system, client):
        for name, (tenant, roles) in USERS.items():
            await system.users.add(LocalUser(username=name, tenant=tenant, roles=roles), PASSWORD)
        yield system, client


def hidden_csrf(html: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert found, "the page has no CSRF field"
    return found[1]


async def log_in(client: httpx.AsyncClient, username: str, password: str = PASSWORD) -> httpx.Response:
    page = await client.get("/console/login")
    form = {"username": username, "password": password, "csrf_token": hidden_csrf(page.text)}
    return await client.post("/console/login", data=form)


async def draft(system: EmbeddedSystem, client: httpx.AsyncClient, tenant: str, user: str) -> dict[str, Any]:
    """A draft export declaration of `user` in `tenant`, through the declaration API."""
    document = fixtures.export_sea_general_trade().model_dump(mode="json", exclude_none=True)
    headers = {"Authorization": f"Bearer {system.issuer.issue(user, tenant, ['preparer'])}"}
    answer = await client.post("/api/declaration/declarations", json=document, headers=headers)
    assert answer.status_code == 201, answer.text
    body: dict[str, Any] = answer.json()
    return body
