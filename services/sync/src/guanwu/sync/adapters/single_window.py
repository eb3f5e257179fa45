"""The Single Window over HTTP, and the stand-in when none is configured (both implement
`domain.single_window.SingleWindow`)."""

from __future__ import annotations

import contextlib
import time
from collections.abc import AsyncIterator
from typing import Literal, Protocol

import httpx

from guanwu.customs.messages import XmlError
from guanwu.customs.messages.receipts import DecImportResponse, parse_dec_import_response
from guanwu.sync.domain.single_window import ReceiptPage, SingleWindowAbsent

Operation = Literal["declare", "receipts", "query", "session"]  # query, session: single_window_query.py


class SingleWindowCalls(Protocol):
    """Hears of every HTTP call to the Single Window (metrics listen here)."""

    def called(self, operation: Operation, ok: bool, seconds: float) -> None:
        """`ok`: an answer came that sync can use (a refusal included); not ok: none did (connection, timeout,
        5xx or 429, an answer that could not be read)."""


class _Unheard:
    def called(self, operation: Operation, ok: bool, seconds: float) -> None:
        return None


class NoSingleWindow:
    """Stands in when no Single Window is configured: nothing can be sent and no receipt comes back."""

    MESSAGE = "未配置单一窗口 no Single Window configured: kept unsent until one is"

    async def receipts_after(self, enterprise: str, position: int, limit: int) -> ReceiptPage:
        raise SingleWindowAbsent(self.MESSAGE)

    async def declare(self, enterprise: str, message: bytes) -> DecImportResponse:
        raise SingleWindowAbsent(self.MESSAGE)


class HttpSingleWindow:
    def __init__(self, client: httpx.AsyncClient, calls: SingleWindowCalls | None = None) -> None:
        self._client = client
        self._calls = calls or _Unheard()

    async def receipts_after(self, enterprise: str, position: int, limit: int) -> ReceiptPage:
        async with self._call("receipts"):
            response = await self._client.get(
                "/sim/receipts", params={"enterprise": enterprise, "after": position, "limit": limit}
            )
            response.raise_for_status()
            return ReceiptPage.model_validate(response.json())

    async def declare(self, enterprise: str, message: bytes) -> DecImportResponse:
        async with self._call("declare"):
            response = await self._client.post(
                "/sim/declarations",
                params={"enterprise": enterprise},
                content=message,
                headers={"Content-Type": "application/xml"},
            )
            if response.status_code >= 500 or response.status_code == 429:
                response.raise_for_status()
            return import_response_of(response)

    @contextlib.asynccontextmanager
    async def _call(self, operation: Operation) -> AsyncIterator[None]:
        """Times one call, its answer read; a call that raised (cancellation aside) had no usable answer."""
        started = time.perf_counter()
        try:
            yield
        except Exception:
            self._calls.called(operation, False, time.perf_counter() - started)
            raise
        self._calls.called(operation, True, time.perf_counter() - started)


def http_single_window(
    base_url: str,
    transport: httpx.AsyncBaseTransport | None,
    *,
    timeout_seconds: float,
    calls: SingleWindowCalls | None = None,
) -> HttpSingleWindow:
    """`transport` carries the HTTP some other way than a socket (the embedded simulator, tests)."""
    return HttpSingleWindow(
        httpx.AsyncClient(base_url=base_url, transport=transport, timeout=timeout_seconds), calls
    )


def import_response_of(response: httpx.Response) -> DecImportResponse:
    """The DecImportResponse in a 2xx or 4xx answer; a 4xx without one still says why it was refused."""
    try:
        answer = parse_dec_import_response(response.content)
    except XmlError:
        if response.is_success:
            raise  # no way to tell whether it was taken: try again (a re-send gets the same 统一编号)
        return DecImportResponse(
            response_code=f"HTTP {response.status_code}", error_message=response.text[:500]
        )
    if answer.succeeded and not response.is_success:
        return answer.model_copy(update={"response_code": f"HTTP {response.status_code}"})
    return answer
