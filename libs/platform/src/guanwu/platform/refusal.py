"""Why a command was refused, said once for every service: a code, a Chinese and an English message, and the
blocking findings when there are any. The platform's HTTP error handlers turn a refusal into its answer
(`guanwu.platform.http.errors`), so no route translates exceptions itself.

Pure: the domain layers raise these, so this module imports nothing but the store port's exception.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from guanwu.platform.store.port import ConcurrencyConflict


def field_path(loc: Sequence[Any]) -> str:
    """('body', 'goods', 3, 'decl_total') -> 'goods[3].decl_total': how answers name a field, so the console can
    highlight it (the request part — body, query, path, header — is left out)."""
    parts = [p for p in loc if p not in ("body", "query", "path", "header")]
    text = ""
    for part in parts:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


@dataclass(frozen=True)
class Noun:
    """What a service calls the thing a refusal is about, for codes and messages ("declaration", "报关单")."""

    code: str
    zh: str
    en: str


class Refusal(Exception):
    """A command the current state does not allow (HTTP 409 unless a subclass says otherwise).

    `findings` are what block it (JSON-able values or pydantic models), so a client can take the user to the
    fields; `details` are further JSON-able members of the answer."""

    status: int = 409
    """The HTTP status: a class's default, which a refusal whose status depends on its cause sets itself."""

    def __init__(
        self,
        code: str,
        message_zh: str,
        message_en: str,
        *,
        findings: Sequence[Any] = (),
        **details: Any,
    ) -> None:
        Exception.__init__(self, f"{code}: {message_en}")
        self.code = code
        self.message_zh = message_zh
        self.message_en = message_en
        self.findings = list(findings)
        self.details = details

    def headers(self) -> dict[str, str] | None:
        return None


class InvalidRequest(Refusal):
    """Input that passed the schema but not the domain's rules (HTTP 422); `field` names the culprit."""

    status: int = 422


class NotFound(Refusal):
    """No such thing in the caller's tenant (HTTP 404)."""

    status: int = 404

    def __init__(self, noun: Noun) -> None:
        super().__init__(f"{noun.code}.not_found", f"{noun.zh}不存在", f"{noun.en.capitalize()} not found")


class VersionConflict(Refusal, ConcurrencyConflict):
    """The change was based on a version that is no longer current (HTTP 412, naming the current one also as
    ETag so the client can reload and redo its change). Also a ConcurrencyConflict: an event handler that
    retries on those retries on this as well."""

    status: int = 412

    def __init__(self, noun: Noun, collection: str, doc_id: str, expected_version: int, current: int | None):
        Refusal.__init__(
            self,
            f"{noun.code}.version_conflict",
            f"{noun.zh}已被他人修改（当前版本 {current}），请刷新后重试",
            f"The {noun.en} changed since you read it (current version {current})",
            current_version=current,
        )
        self.collection, self.doc_id, self.expected_version = collection, doc_id, expected_version
        self.current_version = current

    def headers(self) -> dict[str, str] | None:
        return {"ETag": f'"{self.current_version}"'} if self.current_version else None
