"""What every request must satisfy before any route sees it: a JSON route gets JSON (415 otherwise), and no
text anywhere in the request holds a character the customs XML cannot carry (422 naming the field).

The customs messages are XML 1.0, whose Char production has no C0 control except tab, LF and CR, no
U+FFFE/U+FFFF and no surrogate. A declaration holding one is stored, submitted and reviewed, and only 申报
fails (the DecMessage cannot be written); an anomaly reason or a template name holding one travels on as
well. So such text is refused where it enters: at the API, with nothing stored.

Choice: one app-wide FastAPI dependency, installed by `create_app`, rather than a constrained string type on
the models (libs/contracts) or an ASGI middleware.
- A shared pydantic type would have to be put on every `str` of the contracts and of six services' own
  models, query and path parameters included; a field added later without it lets NUL through again, and
  the events that reuse the models would start refusing what consumers already hold.
- A middleware sees the raw bytes but not the route: it cannot tell a JSON route from the simulator's XML
  one (for the 415) nor name a path parameter.
- The dependency runs for every route of the app (each service's routers, the login route, the embedded
  simulator) after FastAPI has matched the route and parsed the body, before the body is validated and the
  endpoint runs. Trade-off: app-level dependencies run before a route's own ones, so a request with both a
  bad token and bad text gets this 422 (or 415) rather than 401; the answer depends on the request alone.
Cost: the parsed body is walked only when its text could hold such a character (see `_MAY_HOLD`).
"""

from __future__ import annotations

import email.message
import json
import re
from typing import Any

from fastapi import Depends, FastAPI, HTTPException, Request
from fastapi.exceptions import RequestValidationError
from fastapi.params import Form
from fastapi.routing import APIRoute

# Not in XML 1.0's Char ::= #x9 | #xA | #xD | [#x20-#xD7FF] | [#xE000-#xFFFD] | [#x10000-#x10FFFF]
UNWRITABLE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
# A raw control character is invalid JSON (refused as json_invalid before this runs), so only an escape
# (\uXXXX, \b for U+0008, \f for U+000C) or a raw noncharacter or surrogate (json.loads decodes bytes with
# surrogatepass) can bring one in.
_MAY_HOLD = re.compile(r"\\[ubf]|[\ud800-\udfff\ufffe\uffff]")
# The same in UTF-8 bytes, each behind a one-byte test (memchr): a regex or multi-byte search over a 50-line
# declaration costs more than parsing it, the one-byte tests ~1 us.
_UTF8_MAY_HOLD = (
    (b"\\", re.compile(rb"\\[ubf]")),
    (b"\xef", re.compile(b"\xef\xbf[\xbe\xbf]")),  # U+FFFE, U+FFFF
    (b"\xed", re.compile(b"\xed[\xa0-\xbf]")),  # U+D800..U+DFFF
)
_MAX_REPORTED = 50


def unwritable_char(text: str) -> str | None:
    """The first character of `text` that XML 1.0 cannot carry, if any."""
    found = UNWRITABLE.search(text)
    return found[0] if found else None


def _visible(key: str) -> str:
    """A dict key as the error can show it (a lone surrogate cannot even be written in the JSON answer)."""
    return UNWRITABLE.sub(lambda m: f"\\u{ord(m[0]):04x}", key)


def _problem(loc: tuple[Any, ...], char: str) -> dict[str, Any]:
    point = f"U+{ord(char):04X}"
    return {
        "type": "xml_char",
        "loc": loc,
        "msg": f"Contains {point}, a character the customs XML cannot carry (XML 1.0 Char)",
        "message_zh": f"含有报关报文（XML）无法承载的字符 {point}",
        "input": None,
    }


def _walk(document: Any, found: list[dict[str, Any]]) -> None:
    # Iterative: the body may nest as deep as json.loads allows, deeper than this frame could recurse.
    pending: list[tuple[tuple[Any, ...], Any]] = [(("body",), document)]
    while pending and len(found) < _MAX_REPORTED:
        loc, value = pending.pop()
        if isinstance(value, str):
            if char := unwritable_char(value):
                found.append(_problem(loc, char))
        elif isinstance(value, dict):
            for key, item in reversed(value.items()):
                if char := unwritable_char(key):
                    found.append(_problem((*loc, _visible(key)), char))
                else:
                    pending.append(((*loc, key), item))
        elif isinstance(value, list):
            pending.extend(((*loc, index), item) for index, item in reversed(list(enumerate(value))))


def _may_hold_unwritable(body: bytes) -> bool:
    """False when the JSON text `body` cannot hold a character XML cannot carry (then it is not walked)."""
    encoding = json.detect_encoding(body)
    if encoding not in ("utf-8", "utf-8-sig"):
        return _MAY_HOLD.search(body.decode(encoding, "surrogatepass")) is not None
    return any(lead in body and pattern.search(body) for lead, pattern in _UTF8_MAY_HOLD)


def _is_json(content_type: str | None) -> bool:
    # The same test FastAPI applies before it parses a body as JSON.
    if not content_type:
        return False
    message = email.message.Message()
    message["content-type"] = content_type
    subtype = message.get_content_subtype()
    return message.get_content_maintype() == "application" and (
        subtype == "json" or subtype.endswith("+json")
    )


def _unsupported_media_type(content_type: str | None) -> HTTPException:
    sent = content_type or "none"
    return HTTPException(
        415,
        detail={
            "code": "request.unsupported_media_type",
            "message_zh": f"请求内容类型应为 application/json（收到：{sent}）",
            "message_en": f"The request body must be application/json (got: {sent})",
        },
    )


async def check_request(request: Request) -> None:
    """Refuse a non-JSON body on a JSON route, and any path, query or body text XML cannot carry."""
    found: list[dict[str, Any]] = []
    route = request.scope.get("route")
    body_field = route.body_field if isinstance(route, APIRoute) else None
    if body_field is not None and not isinstance(body_field.field_info, Form):
        body = await request.body()
        if body:
            content_type = request.headers.get("content-type")
            if not _is_json(content_type):
                raise _unsupported_media_type(content_type)
            if _may_hold_unwritable(body):
                _walk(await request.json(), found)
    for name, value in request.path_params.items():
        if isinstance(value, str) and (char := unwritable_char(value)):
            found.append(_problem(("path", name), char))
    for key, value in request.query_params.multi_items():
        if char := unwritable_char(key + value):
            found.append(_problem(("query", _visible(key)), char))
    if found:
        raise RequestValidationError(found[:_MAX_REPORTED])


def install_request_checks(app: FastAPI) -> None:
    """Call before including routers: app-level dependencies are copied into each route as it is added."""
    app.router.dependencies.append(Depends(check_request))
