"""Field marks (可视化审核, F-11): which fields a mark may name, their values, the click cycle, and how the
marks of a returned task carry over to the task of the resubmitted version (stale when the value changed).

Pure: no I/O. A field path names one field of the declaration document the way the declaration API does:
`head.<field>`, `<block>[<line>].<field>` for the goods lines, containers and documents, `free_text.<field>`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from pydantic import BaseModel

from guanwu.contracts.declaration import DeclarationDocument
from guanwu.contracts.events import MarkState
from guanwu.platform.refusal import InvalidRequest

MarkAction = Literal["unmarked", "ok", "wrong", "cycle"]
"""What one mark operation asks: a state, or `cycle` (the seed's click: unmarked → ok → wrong → unmarked)."""

CYCLE: dict[MarkState, MarkState] = {"unmarked": "ok", "ok": "wrong", "wrong": "unmarked"}

_FIELDS = DeclarationDocument.model_fields
_SINGLE_BLOCKS = ("head", "free_text")
_LINE_BLOCKS = (
    "goods",
    "containers",
    "licenses",
    "request_certs",
    "edocs",
    "other_packs",
    "cop_limits",
    "users",
    "cop_promises",
)
_PATH = re.compile(r"^(?P<block>[a-z_]+)(?:\[(?P<line>\d{1,4})\])?\.(?P<field>[a-z_][a-z0-9_]*)$")


@dataclass(frozen=True)
class FieldPath:
    block: str
    line: int | None
    field: str


def _block_model(block: str) -> type[BaseModel] | None:
    annotation: Any = _FIELDS[block].annotation
    for candidate in getattr(annotation, "__args__", (annotation,)):
        inner = getattr(candidate, "__args__", (candidate,))[0]
        if isinstance(inner, type) and issubclass(inner, BaseModel):
            return inner
    return None


_MODELS = {block: _block_model(block) for block in (*_SINGLE_BLOCKS, *_LINE_BLOCKS)}


def unknown_field(path: str) -> InvalidRequest:
    return InvalidRequest(
        "review.unknown_field",
        f"报关单没有字段「{path}」，不能标记",
        f"The declaration has no field {path!r} to mark",
        field="field_path",
    )


def parse_path(path: str, document: DeclarationDocument | None) -> FieldPath:
    """The field a path names, or InvalidRequest (422 `review.unknown_field`). With the task's document, a
    line must exist too; without one (a task opened before tasks kept documents) only the names are checked."""
    found = _PATH.match(path)
    if found is None:
        raise unknown_field(path)
    block, line, field = found["block"], found["line"], found["field"]
    model = _MODELS.get(block)
    lined = block in _LINE_BLOCKS
    if model is None or field not in model.model_fields or (line is not None) != lined:
        raise unknown_field(path)
    index = None if line is None else int(line)
    if document is not None and index is not None and index >= len(getattr(document, block)):
        raise unknown_field(path)
    return FieldPath(block, index, field)


def value_at(document: DeclarationDocument | None, path: str) -> str | None:
    """The field's value as text (None when empty, absent, or the path names nothing in this document)."""
    if document is None:
        return None
    found = _PATH.match(path)
    if found is None:
        return None
    block: Any = getattr(document, found["block"], None)
    if found["line"] is not None:
        index = int(found["line"])
        block = block[index] if isinstance(block, list) and index < len(block) else None
    value = getattr(block, found["field"], None) if isinstance(block, BaseModel) else None
    return None if value is None else str(value)


def next_state(before: MarkState, action: MarkAction) -> MarkState:
    return CYCLE[before] if action == "cycle" else action


@dataclass(frozen=True)
class MarkChange:
    """One field's mark changed: what FieldMarked announces and the audit keeps."""

    field_path: str
    state_before: MarkState
    state_after: MarkState
    comment: str | None


def changes_between(
    before: Mapping[str, tuple[str, str | None]], after: Mapping[str, tuple[str, str | None]]
) -> list[MarkChange]:
    """The per-field changes from one set of marks (path → (verdict, comment)) to another, in path order of
    `after` then the removed ones; a field whose verdict and comment are the same is no change."""
    changes = []
    for path, (verdict, comment) in after.items():
        old = before.get(path)
        if old != (verdict, comment):
            state_before: MarkState = "unmarked" if old is None else _state(old[0])
            changes.append(MarkChange(path, state_before, _state(verdict), comment))
    for path, (verdict, _) in before.items():
        if path not in after:
            changes.append(MarkChange(path, _state(verdict), "unmarked", None))
    return changes


def _state(verdict: str) -> MarkState:
    return "ok" if verdict == "ok" else "wrong"
