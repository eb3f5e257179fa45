"""The simulator served alone over in-process HTTP, with a clock and a sleep the tests control."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Literal

import httpx
import pytest

from guanwu.customs.fixtures.datasets import BEIJING
from guanwu.singlewindow_sim.app import create_app
from guanwu.singlewindow_sim.state import SingleWindowState

START = datetime(2026, 3, 1, tzinfo=BEIJING)
"""The data sets of these tests cover March 2026 (30 days, test modules repeat it); the clock stands at 1 April.

(Test modules cannot import this file: the suite imports tests with importlib and this folder is not on the
pytest pythonpath; what they share comes through the `sim` fixture.)"""
ENTERPRISE = "acme"
Kind = Literal["declarations", "bonded_lists"]
PATHS = {"declarations": "/sim/query/declarations", "bonded_lists": "/sim/query/bonded-lists"}


@dataclass
class Clock:
    now: datetime = datetime(2026, 4, 1, 9, 0, tzinfo=BEIJING)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


@dataclass
class Sleeps:
    """Records what the simulator waited instead of waiting."""

    seconds: list[float] = field(default_factory=list)

    async def __call__(self, seconds: float) -> None:
        self.seconds.append(seconds)


@dataclass
class Simulator:
    client: httpx.AsyncClient
    state: SingleWindowState
    clock: Clock
    sleeps: Sleeps

    @staticmethod
    def month(**filters: Any) -> dict[str, Any]:
        """By-day filters over the whole period of a data set seeded with the default start."""
        return {
            "updated_from": START.isoformat(),
            "updated_to": (START + timedelta(days=30)).isoformat(),
            **filters,
        }

    async def seed(self, enterprise: str = ENTERPRISE, **body: Any) -> dict[str, Any]:
        payload = {"enterprise": enterprise, "seed": 7, "start": START.isoformat(), **body}
        response = await self.client.post("/sim/datasets", json=payload)
        assert response.status_code == 201, response.text
        summary: dict[str, Any] = response.json()
        return summary

    async def login(self, enterprise: str = ENTERPRISE) -> dict[str, str]:
        response = await self.client.post("/sim/session", json={"enterprise": enterprise})
        assert response.status_code == 200, response.text
        return {"Authorization": f"Bearer {response.json()['token']}"}

    async def query(
        self, kind: Kind, headers: dict[str, str] | None = None, enterprise: str = ENTERPRISE, **params: Any
    ) -> httpx.Response:
        headers = headers if headers is not None else await self.login(enterprise)
        return await self.client.get(
            PATHS[kind], params={"enterprise": enterprise, **params}, headers=headers
        )

    async def pages(
        self, kind: Kind, limit: int = 100, **filters: Any
    ) -> tuple[list[dict[str, Any]], set[int]]:
        """Every item of every page, and the totals the pages announced."""
        headers, items, totals, cursor = await self.login(), [], set(), None
        while True:
            params = {**filters, "limit": limit, **({"cursor": cursor} if cursor else {})}
            response = await self.query(kind, headers, **params)
            assert response.status_code == 200, response.text
            body = response.json()
            assert len(body["items"]) <= limit
            items += body["items"]
            totals.add(body["total"])
            cursor = body["next_cursor"]
            if cursor is None:
                return items, totals

    async def count(self, kind: Kind, enterprise: str = ENTERPRISE, **filters: Any) -> int:
        response = await self.client.get(
            f"/sim/datasets/{enterprise}/count", params={"kind": kind, **filters}
        )
        assert response.status_code == 200, response.text
        count: int = response.json()["count"]
        return count

    async def set_faults(self, enterprise: str = ENTERPRISE, **faults: Any) -> None:
        response = await self.client.put("/sim/faults", json={"enterprise": enterprise, **faults})
        assert response.status_code == 200, response.text


@pytest.fixture
async def sim() -> AsyncIterator[Simulator]:
    clock, sleeps = Clock(), Sleeps()
    state = SingleWindowState(clock=clock, sleep=sleeps)
    transport = httpx.ASGITransport(app=create_app(state))
    async with httpx.AsyncClient(transport=transport, base_url="http://sw") as client:
        yield Simulator(client, state, clock, sleeps)
