"""The services' public HTTP APIs as the console calls them, with the signed-in user's bearer token.

Embedded, every call goes through `httpx.ASGITransport` to the very app serving the console (no socket);
distributed, to each service's base URL. The console never imports a service: the APIs are its only contract.
"""

from __future__ import annotations

from collections.abc import Mapping
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

import httpx

from guanwu.platform.auth import TENANT_HEADER

IN_PROCESS_BASE = "http://guanwu.internal"
ACTING_TENANT: ContextVar[str | None] = ContextVar("guanwu_console_acting_tenant", default=None)
"""The enterprise the signed-in user acts for in this request (set by `read_session`): every API call names it
in `X-Guanwu-Tenant`, which a service accepts only when the user's signed token lists that tenant."""


def _bearer(token: str) -> dict[str, str]:
    tenant = ACTING_TENANT.get()
    return {"Authorization": f"Bearer {token}", **({TENANT_HEADER: tenant} if tenant else {})}


class SessionExpired(Exception):
    """The API refused the token (401): the user must sign in again."""


class ApiRefused(Exception):
    """The API answered with an error the console shows to the user."""

    def __init__(self, status: int, message: str, error: dict[str, Any] | None = None) -> None:
        super().__init__(f"{status}: {message}")
        self.status = status
        self.message = message
        self.error = error or {}
        """The answer's `error` object (`fields`, `field`, …), for a form to show each message at its field."""


@dataclass(frozen=True)
class LoginResult:
    access_token: str
    tenant: str
    roles: list[str]


@dataclass(frozen=True)
class ServiceUrls:
    """Base URL per service; None: the same process."""

    auth: str | None = None
    declaration: str | None = None
    review: str | None = None
    query: str | None = None
    anomaly: str | None = None
    sync: str | None = None

    def base(self, service: str) -> str:
        url: str | None = getattr(self, service)
        return (url or IN_PROCESS_BASE).rstrip("/")


def _error(response: httpx.Response) -> dict[str, Any]:
    """The platform's one error shape (`{"error": {"message_zh": …}}`): its `error` object, or {}."""
    try:
        body = response.json()
    except ValueError:
        body = None
    error = body.get("error") if isinstance(body, dict) else None
    return error if isinstance(error, dict) else {}


def _message(response: httpx.Response) -> str:
    """The Chinese message of the error; anything else is named by its status."""
    error = _error(response)
    if error.get("message_zh"):
        return str(error["message_zh"])
    return f"服务返回错误（HTTP {response.status_code}）"


class ServiceApis:
    def __init__(self, http: httpx.AsyncClient, urls: ServiceUrls) -> None:
        self._http = http
        self._urls = urls

    async def login(self, username: str, password: str) -> LoginResult | None:
        """None: wrong username or password."""
        response = await self._http.post(
            f"{self._urls.base('auth')}/api/auth/token", json={"username": username, "password": password}
        )
        if response.status_code == 401:
            return None
        if response.is_error:
            raise ApiRefused(response.status_code, _message(response))
        body = response.json()
        return LoginResult(body["access_token"], body["tenant"], list(body["roles"]))

    async def get(
        self, service: str, path: str, token: str, params: Mapping[str, str | int] | None = None
    ) -> Any:
        response = await self._http.get(
            f"{self._urls.base(service)}{path}",
            params={k: v for k, v in (params or {}).items() if v not in ("", None)},
            headers=_bearer(token),
        )
        return _answer(response)

    async def post(self, service: str, path: str, token: str, body: Any) -> Any:
        response = await self._http.post(
            f"{self._urls.base(service)}{path}", json=body, headers=_bearer(token)
        )
        return _answer(response)

    async def change(self, method: str, service: str, path: str, token: str, body: Any, version: int) -> Any:
        """A change guarded by the version the user read (`If-Match`): a stale one is the API's to refuse."""
        response = await self._http.request(
            method,
            f"{self._urls.base(service)}{path}",
            json=body,
            headers={**_bearer(token), "If-Match": f'"{version}"'},
        )
        return _answer(response)

    async def open(
        self,
        method: str,
        service: str,
        path: str,
        token: str,
        *,
        params: Mapping[str, str | int | list[str]] | None = None,
        files: Any = None,
        data: Mapping[str, str] | None = None,
        headers: Mapping[str, str] | None = None,
        timeout: float | None = None,
    ) -> httpx.Response:
        """The answer with its body not read yet (a PDF or xlsx passed on as it arrives, an upload's findings);
        the caller closes it. 401 -> SessionExpired, another error -> ApiRefused (that body read and closed)."""
        request = self._http.build_request(
            method,
            f"{self._urls.base(service)}{path}",
            params={k: v for k, v in (params or {}).items() if v not in ("", None, [])},
            files=files,
            data=data,
            headers={**_bearer(token), **(headers or {})},
            timeout=self._http.timeout if timeout is None else httpx.Timeout(timeout),
        )
        response = await self._http.send(request, stream=True)
        if response.is_error:
            try:
                await response.aread()
            finally:
                await response.aclose()
            _answer(response)
        return response


def _answer(response: httpx.Response) -> Any:
    if response.status_code == 401:
        raise SessionExpired()
    if response.is_error:
        raise ApiRefused(response.status_code, _message(response), _error(response))
    return response.json()
