"""Reading code tables from CSV (our data files, official parameter exports) and JSON.

Official exports name their columns differently (codeValue/codeName in the Single Window parameter API,
代码/名称 in spreadsheets), so each logical column accepts a few header aliases.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Mapping
from pathlib import Path
from types import MappingProxyType
from typing import Any

from guanwu.customs.codes.model import CodeEntry

_ALIASES: dict[str, tuple[str, ...]] = {
    "code": ("code", "codevalue", "code_value", "代码", "编码", "编号"),
    "name_zh": ("name_zh", "name", "codename", "code_name", "名称", "中文名称"),
    "name_en": ("name_en", "english", "ename", "英文名称"),
    "legacy": ("legacy", "legacy_code", "numeric", "旧代码", "原代码"),
    "confidence": ("confidence",),
}


class CodeTableImportError(ValueError):
    """A parameter file that cannot be read as a code table; the message is in Chinese and English."""


def _column_map(headers: Iterable[str]) -> dict[str, str]:
    by_lower = {h.strip().lower(): h for h in headers if h}
    found: dict[str, str] = {}
    for logical, aliases in _ALIASES.items():
        for alias in aliases:
            if alias in by_lower:
                found[logical] = by_lower[alias]
                break
    return found


def _entry(row: Mapping[str, Any], columns: Mapping[str, str], default_confidence: str) -> CodeEntry:
    def text(logical: str) -> str:
        header = columns.get(logical)
        value = row.get(header) if header else None
        return "" if value is None else str(value).strip()

    used = set(columns.values())
    extra = {str(k): str(v).strip() for k, v in row.items() if k not in used and k and v not in (None, "")}
    return CodeEntry(
        code=text("code"),
        name_zh=text("name_zh"),
        name_en=text("name_en"),
        legacy=text("legacy"),
        confidence=text("confidence") or default_confidence,
        extra=MappingProxyType(extra),
    )


def _entries(
    rows: Iterable[Mapping[str, Any]], headers: Iterable[str], origin: str, default_confidence: str
) -> list[CodeEntry]:
    columns = _column_map(headers)
    if "code" not in columns or "name_zh" not in columns:
        raise CodeTableImportError(
            f"{origin}: 缺少代码列或名称列 (code/codeValue/代码, name_zh/codeName/名称) / "
            f"missing a code or a name column (code/codeValue/代码, name_zh/codeName/名称)"
        )
    entries = [_entry(row, columns, default_confidence) for row in rows]
    blank = [i for i, e in enumerate(entries, start=1) if not e.code]
    if blank:
        raise CodeTableImportError(f"{origin}: 第 {blank[0]} 行代码为空 / row {blank[0]} has an empty code")
    return entries


def split_provenance(text: str) -> tuple[list[str], str]:
    """Leading `#` lines are provenance (where the data came from); the rest is CSV."""
    lines = text.splitlines(keepends=True)
    notes: list[str] = []
    while lines and lines[0].lstrip().startswith("#"):
        notes.append(lines.pop(0).strip().lstrip("#").strip())
    return notes, "".join(lines)


def read_csv_text(text: str, origin: str, default_confidence: str = "") -> tuple[list[CodeEntry], list[str]]:
    notes, body = split_provenance(text.lstrip("\ufeff"))
    reader = csv.DictReader(io.StringIO(body))
    rows = list(reader)
    return _entries(rows, reader.fieldnames or [], origin, default_confidence), notes


def read_csv(path: Path, default_confidence: str = "") -> tuple[list[CodeEntry], list[str]]:
    # utf-8-sig: official exports opened and saved in Excel carry a BOM.
    return read_csv_text(path.read_text(encoding="utf-8-sig"), str(path), default_confidence)


def read_json(path: Path, default_confidence: str = "") -> tuple[list[CodeEntry], list[str]]:
    """A JSON list of objects, or an object wrapping one under `data`/`rows`/`items` (API responses)."""
    try:
        payload = json.loads(path.read_text(encoding="utf-8-sig"))
    except json.JSONDecodeError as exc:
        raise CodeTableImportError(f"{path}: 不是合法的 JSON / not valid JSON ({exc})") from exc
    if isinstance(payload, dict):
        payload = next(
            (payload[k] for k in ("data", "rows", "items") if isinstance(payload.get(k), list)), None
        )
    if not isinstance(payload, list) or not all(isinstance(r, dict) for r in payload):
        raise CodeTableImportError(f"{path}: 需要对象数组 / expected a list of objects")
    headers = {k for row in payload for k in row}
    return _entries(payload, headers, str(path), default_confidence), [f"imported from {path.name}"]
