"""The query endpoints need a live session of the same enterprise; a session expires after its lifetime or,
when a fault says so, after a number of query requests; logging in again carries on."""

from __future__ import annotations

from typing import Any

import pytest

pytestmark = pytest.mark.unit

Simulator = Any  # the `sim` fixture's class (conftest.py)
QUERY = {"enterprise_category": "1"}


async def _query(sim: Simulator, headers: dict[str, str], enterprise: str = "acme") -> Any:
    return await sim.query("declarations", headers, enterprise, **sim.month(**QUERY))


@pytest.fixture
async def seeded(sim: Simulator) -> Simulator:
    await sim.seed(declarations=50)
    return sim


@pytest.mark.parametrize("headers", [{}, {"Authorization": "Bearer nope"}, {"Authorization": "Basic abc"}])
async def test_without_a_live_session_a_query_is_401_session_expired(
    seeded: Simulator, headers: dict[str, str]
) -> None:
    response = await _query(seeded, headers)
    assert response.status_code == 401 and response.json()["code"] == "session_expired"


async def test_a_session_lasts_its_lifetime_then_a_new_login_carries_on(seeded: Simulator) -> None:
    login = await seeded.client.post("/sim/session", json={"enterprise": "acme"})
    body = login.json()
    assert login.status_code == 200 and set(body) == {"token", "expires_at"}
    headers = {"Authorization": f"Bearer {body['token']}"}
    seeded.clock.advance(599)
    assert (await _query(seeded, headers)).status_code == 200
    seeded.clock.advance(1)
    expired = await _query(seeded, headers)
    assert expired.status_code == 401 and expired.json()["code"] == "session_expired"
    assert (await _query(seeded, await seeded.login())).status_code == 200


async def test_the_lifetime_comes_from_the_faults(seeded: Simulator) -> None:
    await seeded.set_faults(session_ttl_seconds=5)
    headers = await seeded.login()
    seeded.clock.advance(5)
    assert (await _query(seeded, headers)).status_code == 401


async def test_a_session_expires_after_n_queries_when_a_fault_says_so(seeded: Simulator) -> None:
    await seeded.set_faults(expire_session_every=3)
    statuses = []
    headers = await seeded.login()
    for _ in range(7):
        response = await _query(seeded, headers)
        statuses.append(response.status_code)
        if response.status_code == 401:
            assert response.json()["code"] == "session_expired"
            headers = await seeded.login()
    assert statuses == [200, 200, 200, 401, 200, 200, 200]


async def test_a_session_of_another_enterprise_is_403(seeded: Simulator) -> None:
    theirs = await seeded.login("other")
    response = await _query(seeded, theirs, "acme")
    assert response.status_code == 403 and response.json()["code"] == "forbidden"


@pytest.mark.parametrize("body", [{}, {"enterprise": ""}, {"enterprise": "acme", "password": "x"}])
async def test_a_bad_login_is_400(seeded: Simulator, body: dict[str, str]) -> None:
    response = await seeded.client.post("/sim/session", json=body)
    assert response.status_code == 400 and response.json()["code"] == "invalid_request"
