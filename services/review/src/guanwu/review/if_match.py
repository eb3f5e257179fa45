"""Optimistic concurrency over HTTP: every change states the version (ETag) it was based on.

The same small pattern as the declaration service's (services never import each other)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Header, HTTPException

IfMatch = Annotated[
    str | None,
    Header(description="The ETag (version) the change is based on; required for every change"),
]


def expected_version(if_match: str | None) -> int:
    """`If-Match: "3"` → 3. A change without it could silently overwrite another editor's work: refuse."""
    if if_match is None:
        raise HTTPException(
            428,
            detail={
                "code": "review.if_match_required",
                "message_zh": "缺少 If-Match（请带上读取时的版本号）",
                "message_en": "If-Match with the version you read is required",
            },
        )
    text = if_match.strip().removeprefix("W/").strip('"')
    if not text.isdigit():
        raise HTTPException(
            400,
            detail={
                "code": "review.if_match_invalid",
                "message_zh": "If-Match 格式不正确",
                "message_en": f'If-Match must be a version ETag such as "3", got {if_match!r}',
            },
        )
    return int(text)
