"""The Single Window query client: a session per enterprise renewed on 401, the criteria as the wire's
parameters, retries with back-off on what may pass (connection errors, timeouts, 5xx, 429, unreadable
answers), a 4xx refusal at once, every request through the rate limiter, every call heard by the metrics."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from aiolimiter import AsyncLimiter
from pydantic import TypeAdapter

from guanwu.contracts.sync import SyncCriteria
from guanwu.sync.adapters.single_window import Operation
from guanwu.sync.adapters.single_window_query import (
    HttpSingleWindowQuery,
    NoSingleWindowQuery,
    Tries,
    rate_limiter,
)
from guanwu.sync.domain.query import QueryRefused, QueryUnavailable
from guanwu.sync.domain.single_window import SingleWindowAbsent

from .jobs_support import BONDED_BY_DAY, BY_DAY, FakeSingleWindow, seq_no

CRITERIA: Any = TypeAdapter(SyncCriteria).validate_python(BY_DAY)


class CountingLimiter(AsyncLimiter):
    def __init__(self) -> None:
        super().__init__(1000, 1)
        self.entered = 0

    async def __aenter__(self) -> None:
        self.entered += 1
        await super().__aenter__()


class Heard:
    def __init__(self) -> None:
        self.calls: list[tuple[Operation, bool]] = []

    def called(self, operation: Operation, ok: bool, seconds: float) -> None:
        assert seconds >= 0
        self.calls.append((operation, ok))


class Flaky(httpx.AsyncBaseTransport):
    """Raises the given transport errors for the first queries, then lets the fake answer."""

    def __init__(self, fake: FakeSingleWindow, errors: list[Exception]) -> None:
        self.fake, self.errors = fake, errors

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if request.url.path.startswith("/sim/query") and self.errors:
            raise self.errors.pop(0)
        return await httpx.MockTransport(self.fake).handle_async_request(request)


def client_of(
    transport: httpx.AsyncBaseTransport, attempts: int = 4
) -> tuple[HttpSingleWindowQuery, CountingLimiter, Heard]:
    limiter, heard = CountingLimiter(), Heard()
    http = httpx.AsyncClient(base_url="http://single-window", transport=transport)
    query = HttpSingleWindowQuery(http, limiter=limiter, tries=Tries(attempts, 0.001, 0.002), calls=heard)
    return query, limiter, heard


@pytest.fixture
def fake() -> FakeSingleWindow:
    single_window = FakeSingleWindow()
    single_window.seed("acme", "declarations", 7)
    return single_window


async def test_pages_come_with_cursor_and_total_after_one_log_in(fake: FakeSingleWindow) -> None:
    query, limiter, heard = client_of(httpx.MockTransport(fake))
    first = await query.query("acme", CRITERIA, None, 5)
    assert len(first.items) == 5 and first.total == 7 and first.next_cursor is not None
    second = await query.query("acme", CRITERIA, first.next_cursor, 5)
    assert [i["seq_no"] for i in second.items] == [seq_no(6), seq_no(7)] and second.next_cursor is None
    assert fake.logins == 1 and limiter.entered == 3
    assert heard.calls == [("session", True), ("query", True), ("query", True)]
    assert fake.queries[0] == {
        "enterprise": "acme",
        "limit": "5",
        "updated_from": "2026-11-01T00:00:00Z",
        "updated_to": "2026-11-30T00:00:00Z",
        "enterprise_category": "1",
    }
    assert fake.queries[1]["cursor"] == first.next_cursor


@pytest.mark.parametrize(
    ("criteria", "expected"),
    [
        (
            {"kind": "declarations", "mode": "by_ticket", "seq_no": seq_no(3), "enterprise_category": "2"}
            | {"entry_kind": "0"},
            {"seq_no": seq_no(3), "enterprise_category": "2", "entry_kind": "0"},
        ),
        (
            {**BY_DAY, "trade_name": "宁波某某进出口有限公司"},
            {"trade_name": "宁波某某进出口有限公司", "enterprise_category": "1"},
        ),
        (
            {"kind": "bonded_lists", "mode": "by_ticket", "number": "QD311124I000065401", "ie_flag": "I"}
            | {"enterprise_type": "3", "data_source": "2"},
            {"number": "QD311124I000065401", "enterprise_type": "3", "data_source": "2", "ie_flag": "I"},
        ),
        (
            {**BONDED_BY_DAY, "data_status": "0", "ie_flag": "E"},
            {"data_status": "0", "ie_flag": "E", "enterprise_type": "1", "data_source": "1"},
        ),
    ],
)
async def test_each_criteria_kind_is_asked_with_its_fields(
    fake: FakeSingleWindow, criteria: dict[str, Any], expected: dict[str, str]
) -> None:
    parsed: Any = TypeAdapter(SyncCriteria).validate_python(criteria)
    query, _, _ = client_of(httpx.MockTransport(fake))
    await query.query("acme", parsed, None, 10)
    sent = fake.queries[0]
    assert {k: sent[k] for k in expected} == expected
    assert set(sent) == {
        *expected,
        "enterprise",
        "limit",
        *(("updated_from", "updated_to") if "updated_from" in criteria else ()),
    }


async def test_an_expired_session_logs_in_again_and_repeats_the_request(fake: FakeSingleWindow) -> None:
    fake.expire_every = 1
    query, _, heard = client_of(httpx.MockTransport(fake))
    page = await query.query("acme", CRITERIA, None, 5)
    page = await query.query("acme", CRITERIA, page.next_cursor, 5)
    assert [i["seq_no"] for i in page.items] == [seq_no(6), seq_no(7)]
    assert fake.logins == 2
    assert heard.calls.count(("session", True)) == 2


async def test_a_session_refused_right_after_log_in_is_a_refusal() -> None:
    def always_expired(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/sim/session":
            return httpx.Response(200, json={"token": "t", "expires_at": "2099-01-01T00:00:00Z"})
        return httpx.Response(401, json={"code": "session_expired", "message": "会话过期 expired"})

    query, _, _ = client_of(httpx.MockTransport(always_expired))
    with pytest.raises(QueryRefused) as refused:
        await query.query("acme", CRITERIA, None, 5)
    assert refused.value.status == 401 and "expired" in refused.value.message


@pytest.mark.parametrize("status", [500, 502, 503, 429])
async def test_a_busy_single_window_is_tried_again(fake: FakeSingleWindow, status: int) -> None:
    calls = 0

    async def busy_twice(request: httpx.Request) -> httpx.Response:
        nonlocal calls
        if request.url.path.startswith("/sim/query"):
            calls += 1
            if calls <= 2:
                return httpx.Response(status, text="busy")
        return await fake(request)

    query, limiter, heard = client_of(httpx.MockTransport(busy_twice))
    page = await query.query("acme", CRITERIA, None, 5)
    assert len(page.items) == 5 and calls == 3 and limiter.entered == 4
    assert heard.calls == [("session", True), ("query", False), ("query", False), ("query", True)]


@pytest.mark.parametrize(
    "error",
    [
        httpx.ConnectError("refused"),
        httpx.ReadTimeout("slow"),
        httpx.ConnectTimeout("slow"),
        httpx.RemoteProtocolError("cut"),
    ],
)
async def test_connection_errors_and_timeouts_are_tried_again(
    fake: FakeSingleWindow, error: Exception
) -> None:
    query, _, heard = client_of(Flaky(fake, [error, error]))
    assert len((await query.query("acme", CRITERIA, None, 5)).items) == 5
    assert heard.calls.count(("query", False)) == 2


async def test_after_the_last_try_the_query_is_unavailable_with_the_last_error(
    fake: FakeSingleWindow,
) -> None:
    query, _, _ = client_of(Flaky(fake, [httpx.ReadTimeout("slow")] * 10), attempts=3)
    with pytest.raises(QueryUnavailable) as unavailable:
        await query.query("acme", CRITERIA, None, 5)
    assert unavailable.value.attempts == 3 and "ReadTimeout" in str(unavailable.value)


async def test_an_unreadable_answer_is_tried_again() -> None:
    def garbage(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/sim/session":
            return httpx.Response(200, json={"token": "t"})
        return httpx.Response(200, text="<html>proxy error</html>")

    query, _, _ = client_of(httpx.MockTransport(garbage), attempts=2)
    with pytest.raises(QueryUnavailable, match="unreadable answer"):
        await query.query("acme", CRITERIA, None, 5)


@pytest.mark.parametrize("status", [400, 403, 404, 422])
async def test_a_refusal_is_not_tried_again(fake: FakeSingleWindow, status: int) -> None:
    fake.refuse = (status, "enterprise_category: 取值错误 bad value")
    query, _, heard = client_of(httpx.MockTransport(fake))
    with pytest.raises(QueryRefused) as refused:
        await query.query("acme", CRITERIA, None, 5)
    assert (
        refused.value.status == status and refused.value.message == "enterprise_category: 取值错误 bad value"
    )
    assert len(fake.queries) == 1 and heard.calls[-1] == ("query", True)


async def test_a_failed_log_in_is_tried_again_and_a_refused_one_is_not() -> None:
    answers = [httpx.Response(503), httpx.Response(403, json={"code": "no", "message": "未授权 not allowed"})]

    def session(request: httpx.Request) -> httpx.Response:
        return answers.pop(0)

    query, _, heard = client_of(httpx.MockTransport(session))
    with pytest.raises(QueryRefused, match="not allowed"):
        await query.query("acme", CRITERIA, None, 5)
    assert heard.calls == [("session", False), ("session", True)]


async def test_without_a_single_window_the_query_says_so() -> None:
    with pytest.raises(SingleWindowAbsent, match="no Single Window"):
        await NoSingleWindowQuery().query("acme", CRITERIA, None, 5)


def test_the_rate_limit_is_per_second_also_below_one() -> None:
    fast, slow = rate_limiter(20), rate_limiter(0.5)
    assert (fast.max_rate, fast.time_period) == (20, 1.0)
    assert (slow.max_rate, slow.time_period) == (1, 2.0)
