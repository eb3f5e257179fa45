"""How the simulated Single Window refuses: `{"code", "message"}` with a status, whichever app serves it.

Choice: the routers are mounted into other apps (embedded guanwu, sync's tests), whose exception handlers
reshape errors their own way. A route class that turns refusals and validation errors into responses
itself keeps the wire the same wherever the simulator runs.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine, Mapping, Sequence
from typing import Any, ClassVar

from fastapi import Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute
from pydantic import BaseModel

MESSAGE_CHARS = 500


class ErrorBody(BaseModel):
    """Every refusal of the simulator."""

    code: str
    message: str


class SimulatorError(Exception):
    def __init__(
        self, status: int, code: str, message: str, headers: Mapping[str, str] | None = None
    ) -> None:
        super().__init__(message)
        self.status, self.code, self.message, self.headers = status, code, message, dict(headers or {})


def describe(errors: Sequence[Any]) -> str:
    """`where: what` for each validation error, e.g. `query.limit: Input should be less than or equal to 500`."""
    parts = []
    for error in errors:
        where = ".".join(str(part) for part in error.get("loc", ()))
        parts.append(f"{where}: {error.get('msg', 'invalid')}" if where else str(error.get("msg", "invalid")))
    return "; ".join(parts)[:MESSAGE_CHARS] or "invalid request"


def error_response(
    status: int, code: str, message: str, headers: Mapping[str, str] | None = None
) -> JSONResponse:
    return JSONResponse({"code": code, "message": message}, status_code=status, headers=dict(headers or {}))


class _ShapedRoute(APIRoute):
    validation_status: ClassVar[int]

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()
        status = self.validation_status

        async def shaped(request: Request) -> Response:
            try:
                return await handler(request)
            except RequestValidationError as exc:
                return error_response(status, "invalid_request", describe(exc.errors()))
            except SimulatorError as exc:
                return error_response(exc.status, exc.code, exc.message, exc.headers)

        return shaped


class WireRoute(_ShapedRoute):
    """The Single Window's own endpoints (session, queries): a bad parameter is a 400."""

    validation_status = 400


class ControlRoute(_ShapedRoute):
    """The test device's controls (data sets, faults, receipt injection): a bad body is a 422."""

    validation_status = 422


REFUSALS: dict[int | str, dict[str, Any]] = {
    400: {"model": ErrorBody, "description": "A bad parameter"},
    401: {
        "model": ErrorBody,
        "description": "No session, or it expired (code session_expired): log in again",
    },
    403: {"model": ErrorBody, "description": "The session belongs to another enterprise"},
    503: {"model": ErrorBody, "description": "Unavailable (a fault injected on purpose)"},
    504: {"model": ErrorBody, "description": "Answered after hanging (a fault injected on purpose)"},
}
"""The refusals of a Single Window endpoint, for the OpenAPI document."""
