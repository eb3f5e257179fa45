"""Data-driven mapping between a customs model and the XML elements of one block.

Each model field with a wire code (see `guanwu.contracts.declaration.wire_code`) becomes one child element
named by that code, in field order. A field that is None is left out; every other value is written as text:
strings verbatim, Decimals in plain notation (never `1E+3`), ints in decimal.

Writing is plain string assembly rather than lxml element building: a 50-line declaration has ~1,000
elements and lxml's per-element cost made building ~5x slower. The output is exactly Canonical XML 2.0
(no whitespace, `<A></A>` for empty, C14N escaping), which the tests check against lxml's c14n2.
"""

from __future__ import annotations

import re
from decimal import Decimal
from functools import cache
from typing import Any, TypeVar

from lxml import etree
from pydantic import BaseModel, ValidationError

from guanwu.contracts.declaration import wire_fields
from guanwu.customs.messages.safe_xml import MessageFormatError

ModelT = TypeVar("ModelT", bound=BaseModel)

_NEEDS_WORK = re.compile("[&<>\r\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


class UnrepresentableTextError(ValueError):
    """A value holds a character XML 1.0 cannot carry (a control character, a lone surrogate)."""


def escape_text(value: str) -> str:
    """Escape text content the way Canonical XML does (`&amp; &lt; &gt; &#xD;`; quotes stay literal)."""
    if _NEEDS_WORK.search(value) is None:
        return value
    bad = _NOT_XML.search(value)
    if bad is not None:
        raise UnrepresentableTextError(
            f"character U+{ord(bad.group()):04X} cannot be written in XML: {value!r}"
        )
    return value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\r", "&#xD;")


def to_text(value: Any) -> str:
    if isinstance(value, str):
        return escape_text(value)
    if isinstance(value, Decimal):
        return format(value, "f")
    return str(value)


@cache
def _tags(model_cls: type[BaseModel]) -> dict[str, tuple[str, str]]:
    return {name: (f"<{code}>", f"</{code}>") for name, code in wire_fields(model_cls)}


def write_fields(out: list[str], model: BaseModel) -> None:
    """Append `<Code>value</Code>` for every non-None wire field of `model` to `out`, in field order."""
    tags = _tags(type(model))
    # model_dump in pydantic-core skips the many None fields faster than a Python loop over all of them.
    for name, value in model.model_dump(exclude_none=True, round_trip=True).items():
        tag = tags.get(name)
        if tag is not None:
            out.append(tag[0])
            out.append(value if type(value) is str and _NEEDS_WORK.search(value) is None else to_text(value))
            out.append(tag[1])


def write_block(out: list[str], tag: str, model: BaseModel) -> None:
    out.append(f"<{tag}>")
    write_fields(out, model)
    out.append(f"</{tag}>")


@cache
def _fields_by_tag(
    model_cls: type[BaseModel], namespace: str, lower_first: bool, renames: tuple[tuple[str, str], ...]
) -> dict[str, str]:
    prefix = f"{{{namespace}}}" if namespace else ""
    by_code = {code: name for name, code in wire_fields(model_cls)}
    tags = {
        prefix + (code[:1].lower() + code[1:] if lower_first else code): name
        for code, name in by_code.items()
    }
    tags.update({prefix + tag: by_code[code] for tag, code in renames if code in by_code})
    return tags


def read_fields(
    element: etree._Element,
    model_cls: type[BaseModel],
    namespace: str,
    *,
    lower_first: bool = False,
    renames: tuple[tuple[str, str], ...] = (),
) -> dict[str, Any]:
    """The field values found among `element`'s children; empty and unknown elements are skipped.

    Unknown elements are skipped rather than refused so that a newer message version still reads
    (consumers ignore what they do not know). `lower_first` reads camelCase spellings (`bondInvtNo`);
    `renames` lists (tag, wire code) pairs where a message spells a field differently.
    """
    by_tag = _fields_by_tag(model_cls, namespace, lower_first, renames)
    values: dict[str, Any] = {}
    for child in element:
        text = child.text
        if text:
            name = by_tag.get(child.tag)
            if name is not None:
                values[name] = text
    return values


def validated(model_cls: type[ModelT], values: dict[str, Any], where: str) -> ModelT:
    """Build the model, turning a validation failure into a `MessageFormatError` that says where."""
    try:
        return model_cls.model_validate(values)
    except ValidationError as exc:
        raise MessageFormatError(f"{where}: {exc}") from exc
