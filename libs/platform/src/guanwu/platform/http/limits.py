"""Reject oversized request bodies before they are read into memory."""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass

from starlette.types import ASGIApp, Message, Receive, Scope, Send

DEFAULT_MAX_BODY_BYTES = 2 * 1024 * 1024
MULTIPART_OVERHEAD_BYTES = 64 * 1024
"""Room for a multipart body's boundaries and part headers above an upload route's own file limit, so the
route's precise refusal (its code, its limit) is what a user sees, not this middleware's."""


@dataclass(frozen=True)
class UploadRoute:
    """A route that takes files larger than the default body limit, and enforces its own limit while it
    streams them (an import, an attachment). `path` is the route's template, e.g. `/api/x/{id}/files`."""

    path: str
    max_bytes: int

    def matches(self, request_path: str) -> bool:
        return _template_pattern(self.path).fullmatch(request_path) is not None


def _template_pattern(template: str) -> re.Pattern[str]:
    parts = re.split(r"(\{[^}/]+\})", template)
    return re.compile("".join("[^/]+" if p.startswith("{") else re.escape(p) for p in parts if p))


class BodyTooLarge(Exception):
    pass


class BodySizeLimit:
    def __init__(
        self,
        app: ASGIApp,
        max_bytes: int = DEFAULT_MAX_BODY_BYTES,
        uploads: Sequence[UploadRoute] = (),
    ) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.uploads = tuple(uploads)

    def limit_for(self, path: str) -> int:
        """The default limit, or an upload route's own limit plus room for the multipart framing."""
        for upload in self.uploads:
            if upload.matches(path):
                return max(self.max_bytes, upload.max_bytes + MULTIPART_OVERHEAD_BYTES)
        return self.max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.limit_for(scope.get("path", ""))
        declared = dict(scope.get("headers") or []).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > limit:
            await self._reject(send, limit)
            return
        received = 0

        async def counting_receive() -> Message:
            nonlocal received
            message = await receive()
            received += len(message.get("body", b""))
            if received > limit:
                raise BodyTooLarge
            return message

        try:
            await self.app(scope, counting_receive, send)
        except BodyTooLarge:
            await self._reject(send, limit)

    async def _reject(self, send: Send, limit: int) -> None:
        body = json.dumps(
            {
                "error": {
                    "code": "request.too_large",
                    "message_zh": f"请求内容过大（上限 {limit} 字节）",
                    "message_en": f"Request body exceeds {limit} bytes",
                }
            },
            ensure_ascii=False,
        ).encode("utf-8")
        await send(
            {
                "type": "http.response.start",
                "status": 413,
                "headers": [(b"content-type", b"application/json")],
            }
        )
        await send({"type": "http.response.body", "body": body})
