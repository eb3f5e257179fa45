"""Optimistic concurrency over HTTP: every change states the version (ETag) it was based on, and a change
based on an older version is refused with the current one."""

from __future__ import annotations

from typing import Annotated

from fastapi import Header, HTTPException

IfMatch = Annotated[
    str | None,
    Header(description="The ETag (version) the change is based on; required for every change"),
]


def etag(version: int) -> str:
    return f'"{version}"'


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


def version_conflict(code: str, thing_zh: str, thing_en: str, current_version: int | None) -> HTTPException:
    """412 naming the current version (also as ETag), so the client can reload and redo its change."""
    return HTTPException(
        412,
        detail={
            "code": code,
            "message_zh": f"{thing_zh}已被他人修改（当前版本 {current_version}），请刷新后重试",
            "message_en": f"The {thing_en} changed since you read it (current version {current_version})",
            "current_version": current_version,
        },
        headers={"ETag": etag(current_version)} if current_version else None,
    )
