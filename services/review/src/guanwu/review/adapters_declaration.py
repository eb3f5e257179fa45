"""The declaration service's public HTTP API as review calls it (services never import each other): the
declaration's 单证模版 for 高级审核's template comparison. (发送 calls nothing: it is ReviewSendRequested, an event
the declaration service carries out; see service_layer/sending.py.)

Calls carry the caller's own bearer token, so the declaration service applies its own rules to the reviewer.
Embedded (no base URL set) they go through `httpx.ASGITransport` to the app serving this very request, where
the declaration service's routes are mounted too; distributed, to `declaration_url` — as the console does.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import httpx

from guanwu.contracts.declaration import DeclarationDocument
from guanwu.platform.auth import TENANT_HEADER
from guanwu.platform.refusal import Refusal
from guanwu.review.domain.comparisons import TemplateCopy

IN_PROCESS_BASE = "http://guanwu.internal"


class DeclarationServiceRefused(Refusal):
    """The declaration service refused the call: its status, code and messages, passed on."""


class DeclarationServiceUnavailable(Refusal):
    """The declaration service did not answer (HTTP 502)."""

    status = 502


@dataclass(frozen=True)
class DeclarationAnswer:
    declaration_id: str
    version: int
    status: str
    template_id: str | None


def _error(response: httpx.Response) -> dict[str, Any]:
    try:
        body = response.json()
    except ValueError:
        return {}
    error = body.get("error") if isinstance(body, dict) else None
    return error if isinstance(error, dict) else {}


def _refused(response: httpx.Response, what_zh: str, what_en: str) -> Refusal:
    error = _error(response)
    route_missing = response.status_code == 404 and str(error.get("code", "")).startswith("http.")
    if not error or route_missing:  # nothing there serves the declaration API
        return DeclarationServiceUnavailable(
            "review.declaration_unavailable",
            f"申报服务不可用（{what_zh}：HTTP {response.status_code}）；分布式部署需设置 GUANWU_REVIEW_DECLARATION_URL",
            f"The declaration service is not reachable ({what_en}: HTTP {response.status_code}); a distributed "
            "deployment sets GUANWU_REVIEW_DECLARATION_URL",
        )
    refusal = DeclarationServiceRefused(
        str(error.get("code") or "review.declaration_refused"),
        f"申报服务拒绝{what_zh}：{error.get('message_zh') or response.status_code}",
        f"The declaration service refused {what_en}: {error.get('message_en') or response.status_code}",
        **{k: v for k, v in error.items() if k in ("fields", "field", "findings")},
    )
    refusal.status = response.status_code
    return refusal


class DeclarationApi:
    """One caller's client of the declaration service (their token); `app` serves in-process calls."""

    def __init__(
        self, *, base_url: str | None, app: Any, token: str, timeout_seconds: float, tenant: str | None = None
    ) -> None:
        """`tenant`: the enterprise the caller named (`X-Guanwu-Tenant`), named again: the same one there."""
        self._base = (base_url or IN_PROCESS_BASE).rstrip("/")
        self._mounts = {IN_PROCESS_BASE: httpx.ASGITransport(app=app)} if base_url is None else None
        self._headers = {"Authorization": f"Bearer {token}", **({TENANT_HEADER: tenant} if tenant else {})}
        self._timeout = timeout_seconds

    def _client(self) -> httpx.AsyncClient:
        return httpx.AsyncClient(mounts=self._mounts, timeout=self._timeout)

    async def _call(self, method: str, path: str, what: tuple[str, str], **headers: str) -> httpx.Response:
        try:
            async with self._client() as http:
                response = await http.request(
                    method, f"{self._base}{path}", headers={**self._headers, **headers}
                )
        except httpx.HTTPError as exc:
            raise DeclarationServiceUnavailable(
                "review.declaration_unavailable",
                f"申报服务不可用（{what[0]}）：{type(exc).__name__}",
                f"The declaration service is not reachable ({what[1]}): {exc!r}",
            ) from exc
        if response.is_error:
            raise _refused(response, *what)
        return response

    async def declaration(self, declaration_id: str) -> DeclarationAnswer:
        response = await self._call(
            "GET",
            f"/api/declaration/declarations/{declaration_id}",
            ("读取报关单", "reading the declaration"),
        )
        return _answer(response.json())

    async def template(self, template_id: str) -> TemplateCopy | None:
        """The tenant's template of that id; None when it was deleted since."""
        response = await self._call(
            "GET", "/api/declaration/templates", ("读取单证模版", "reading the templates")
        )
        for item in response.json():
            if item.get("template_id") == template_id:
                document = DeclarationDocument.model_validate(item["document"])
                return TemplateCopy(template_id, str(item.get("name") or template_id), document)
        return None


def _answer(body: dict[str, Any]) -> DeclarationAnswer:
    return DeclarationAnswer(
        declaration_id=str(body["declaration_id"]),
        version=int(body["version"]),
        status=str(body["status"]),
        template_id=body.get("template_id"),
    )
