"""Optimistic concurrency over HTTP: every change states the version (ETag) it was based on, and a change
based on an older version is refused with the current one."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated, Any, Protocol, TypeVar

from fastapi import Header, HTTPException, Response

from guanwu.platform.clock import Clock

IfMatch = Annotated[
    str | None,
    Header(description="The ETag (version) the change is based on; required for every change"),
]


class Versioned(Protocol):
    @property
    def version(self) -> int: ...


V = TypeVar("V", bound=Versioned)


def etag(version: int) -> str:
    return f'"{version}"'


def tagged(answer: V, response: Response) -> V:
    """The answer with its version as ETag: the If-Match of the caller's next change."""
    response.headers["ETag"] = etag(answer.version)
    return answer


def expected_version(if_match: str | None) -> int:
    """`If-Match: "3"` → 3. A change without it could silently overwrite another editor's work: refuse."""
    if if_match is None:
        raise HTTPException(
            428,
            detail={
                "code": "request.if_match_required",
                "message_zh": "缺少 If-Match（请带上读取时的版本号）",
                "message_en": "If-Match with the version you read is required",
            },
        )
    text = if_match.strip().removeprefix("W/").strip('"')
    if not text.isdigit():
        raise HTTPException(
            400,
            detail={
                "code": "request.if_match_invalid",
                "message_zh": "If-Match 格式不正确",
                "message_en": f'If-Match must be a version ETag such as "3", got {if_match!r}',
            },
        )
    return int(text)


class CommandContext(Protocol):
    """What a service's route context offers a command: a fresh unit of work and the clock."""

    @property
    def new_uow(self) -> Callable[[], Any]: ...

    @property
    def clock(self) -> Clock: ...


async def answer_change(
    handler: Callable[..., Awaitable[V]], command: object, context: CommandContext, response: Response
) -> V:
    """Run a command that changes one versioned aggregate, in a fresh unit of work, and answer with the
    changed aggregate, its new version as ETag."""
    return tagged(await handler(command, uow=context.new_uow(), clock=context.clock), response)
