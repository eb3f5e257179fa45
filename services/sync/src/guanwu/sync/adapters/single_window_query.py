"""The Single Window's query screens over HTTP (implements `domain.query.SingleWindowQuery`), and the stand-in
when none is configured.

- Sessions: `POST /sim/session` gives a bearer token per enterprise; a 401 (expired or unknown session) logs
  in again and repeats the request once.
- Retries (tenacity): connection errors, timeouts (httpx's, from settings), 5xx, 429 and unreadable answers
  are tried again with exponential back-off and jitter, `attempts` times in all; then QueryUnavailable.
  Another 4xx is the Single Window refusing the question: QueryRefused at once, with its message.
- Rate limit (aiolimiter): every request of this client, log-ins included, waits for its share of
  `requests_per_second` (one limiter per process).
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import httpx
from aiolimiter import AsyncLimiter
from pydantic import ValidationError
from tenacity import AsyncRetrying, retry_if_exception_type, stop_after_attempt, wait_exponential_jitter

from guanwu.contracts.sync import SyncCriteria
from guanwu.sync.adapters.single_window import Operation, SingleWindowCalls
from guanwu.sync.domain.query import QueryPage, QueryRefused, QueryUnavailable
from guanwu.sync.domain.single_window import SingleWindowAbsent

PATHS = {"declarations": "/sim/query/declarations", "bonded_lists": "/sim/query/bonded-lists"}
SESSION_PATH = "/sim/session"


class Transient(Exception):
    """No usable answer this time (5xx, 429, an unreadable body): worth another try."""


@dataclass(frozen=True)
class Tries:
    attempts: int = 5
    backoff_seconds: float = 0.5
    backoff_max_seconds: float = 10.0


def rate_limiter(requests_per_second: float) -> AsyncLimiter:
    """At most `requests_per_second` on average; below one a second, one every 1/rate seconds."""
    if requests_per_second >= 1:
        return AsyncLimiter(requests_per_second, 1.0)
    return AsyncLimiter(1, 1.0 / requests_per_second)


def query_parameters(criteria: SyncCriteria) -> dict[str, Any]:
    """The criteria's fields are the query's parameters, by the same names (times in ISO 8601)."""
    return criteria.model_dump(mode="json", exclude={"kind", "mode"}, exclude_none=True)


def _message(response: httpx.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        return response.text[:500] or response.reason_phrase
    if isinstance(body, dict) and isinstance(body.get("message"), str):
        return str(body["message"])[:500]
    return response.text[:500]


class NoSingleWindowQuery:
    MESSAGE = "未配置单一窗口 no Single Window configured"

    async def query(
        self, enterprise: str, criteria: SyncCriteria, cursor: str | None, limit: int
    ) -> QueryPage:
        raise SingleWindowAbsent(self.MESSAGE)


class HttpSingleWindowQuery:
    def __init__(
        self,
        client: httpx.AsyncClient,
        *,
        limiter: AsyncLimiter,
        tries: Tries = Tries(),
        calls: SingleWindowCalls | None = None,
    ) -> None:
        self._client = client
        self._limiter = limiter
        self._tries = tries
        self._calls = calls
        self._tokens: dict[str, str] = {}
        self._logins: dict[str, asyncio.Lock] = {}

    async def query(
        self, enterprise: str, criteria: SyncCriteria, cursor: str | None, limit: int
    ) -> QueryPage:
        params = {**query_parameters(criteria), "enterprise": enterprise, "limit": limit}
        if cursor is not None:
            params["cursor"] = cursor
        retrying = AsyncRetrying(
            stop=stop_after_attempt(self._tries.attempts),
            wait=wait_exponential_jitter(
                multiplier=self._tries.backoff_seconds,
                jitter=self._tries.backoff_seconds,
                max=self._tries.backoff_max_seconds,
            ),
            retry=retry_if_exception_type((Transient, httpx.TransportError)),
            reraise=True,
        )
        try:
            async for attempt in retrying:
                with attempt:
                    return await self._page(enterprise, PATHS[criteria.kind], params)
        except (Transient, httpx.TransportError) as exc:
            raise QueryUnavailable(self._tries.attempts, f"{type(exc).__name__}: {exc}"[:500]) from exc
        raise AssertionError("tenacity ends with an answer or the last error")  # pragma: no cover

    async def _page(self, enterprise: str, path: str, params: dict[str, Any]) -> QueryPage:
        """One try: with the enterprise's session, logging in again once if it expired."""
        token = await self._session(enterprise)
        page = await self._ask(path, params, token, expired_is_final=False)
        if page is None:
            self._forget(enterprise, token)
            page = await self._ask(path, params, await self._session(enterprise), expired_is_final=True)
        assert page is not None
        return page

    async def _ask(
        self, path: str, params: dict[str, Any], token: str, *, expired_is_final: bool
    ) -> QueryPage | None:
        """The page; None when the session expired (401) and may be renewed."""
        async with self._limiter, self._reading("query"):
            headers = {"Authorization": f"Bearer {token}"}
            response = await self._client.get(path, params=params, headers=headers)
            if response.status_code == 401 and not expired_is_final:
                return None
            _refuse_or_retry(response)
            try:
                return QueryPage.model_validate(response.json())
            except (ValueError, ValidationError) as exc:
                raise Transient(f"unreadable answer: {exc}"[:300]) from exc

    async def _session(self, enterprise: str) -> str:
        lock = self._logins.setdefault(enterprise, asyncio.Lock())
        async with lock:  # one log-in per enterprise at a time: the others wait for its token
            if enterprise in self._tokens:
                return self._tokens[enterprise]
            async with self._limiter, self._reading("session"):
                response = await self._client.post(SESSION_PATH, json={"enterprise": enterprise})
                _refuse_or_retry(response)
                try:
                    token = str(response.json()["token"])
                except (ValueError, KeyError, TypeError) as exc:
                    raise Transient(f"unreadable session answer: {exc}"[:300]) from exc
            self._tokens[enterprise] = token
            return token

    def _forget(self, enterprise: str, token: str) -> None:
        """The session expired; only if no other request logged in again meanwhile."""
        if self._tokens.get(enterprise) == token:
            del self._tokens[enterprise]

    @contextlib.asynccontextmanager
    async def _reading(self, operation: Operation) -> AsyncIterator[None]:
        """Counts a call ok when its answer was usable (a refusal included), an error when not."""
        started = time.perf_counter()
        ok = False
        try:
            yield
            ok = True
        except QueryRefused:
            ok = True
            raise
        finally:
            if self._calls is not None:
                self._calls.called(operation, ok, time.perf_counter() - started)


def _refuse_or_retry(response: httpx.Response) -> None:
    status = response.status_code
    if status >= 500 or status == 429:
        raise Transient(f"HTTP {status}: {_message(response)}")
    if status >= 400:
        raise QueryRefused(status, _message(response))


def http_single_window_query(
    base_url: str,
    transport: httpx.AsyncBaseTransport | None,
    *,
    timeout_seconds: float,
    requests_per_second: float,
    tries: Tries,
    calls: SingleWindowCalls | None = None,
) -> HttpSingleWindowQuery:
    """`transport` carries the HTTP some other way than a socket (the embedded simulator, tests)."""
    client = httpx.AsyncClient(base_url=base_url, transport=transport, timeout=timeout_seconds)
    return HttpSingleWindowQuery(client, limiter=rate_limiter(requests_per_second), tries=tries, calls=calls)
