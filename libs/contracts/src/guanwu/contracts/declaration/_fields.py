"""How a document field declares its official wire code, and how the XML layer reads it back.

Choice: the wire code lives in `json_schema_extra={"code": ...}` rather than in an alias. Aliases would
change what `model_dump()` and the JSON API produce; the services speak snake_case JSON, only the customs
messages speak `CodeTS`. The same code also opens the field description ("CodeTS 商品编号"), so the
JSON Schema shows both. `wire_code()` / `wire_fields()` are the only readers.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, model_validator


class CustomsModel(BaseModel):
    """Base of every customs document block: unknown keys are an error (these models are API inputs).

    An empty string is stored as None: the customs messages cannot tell `<Tag/>` from an absent tag, so
    holding both would make a document change when it travels through XML.
    """

    model_config = ConfigDict(extra="forbid", validate_assignment=True)

    @model_validator(mode="before")
    @classmethod
    def _empty_means_absent(cls, data: Any) -> Any:
        if isinstance(data, dict) and "" in data.values():
            return {key: (None if value == "" else value) for key, value in data.items()}
        return data

    def __setattr__(self, name: str, value: Any) -> None:
        # pydantic ignores what a model "before" validator returns on assignment, so normalise here too.
        super().__setattr__(name, None if value == "" else value)


def _extra(code: str) -> dict[str, Any]:
    return {"code": code}


def text(code: str, label: str, max_length: int) -> Any:
    """An optional string field of the wire format (blank allowed: a 暂存 draft may be incomplete)."""
    return Field(
        default=None, max_length=max_length, description=f"{code} {label}", json_schema_extra=_extra(code)
    )


def amount(code: str, label: str, digits: int, places: int) -> Any:
    """An optional Decimal field; `digits, places` as the reference writes them ("19,5")."""
    return Field(
        default=None,
        max_digits=digits,
        decimal_places=places,
        description=f"{code} {label}",
        json_schema_extra=_extra(code),
    )


def integer(code: str, label: str, max_digits: int = 9) -> Any:
    """An optional non-negative integer field of at most `max_digits` digits."""
    return Field(
        default=None,
        ge=0,
        lt=10**max_digits,
        description=f"{code} {label}",
        json_schema_extra=_extra(code),
    )


@cache
def wire_fields(model_cls: type[BaseModel]) -> tuple[tuple[str, str], ...]:
    """(field name, wire code) for every field of `model_cls` that has a wire code, in declaration order.

    Declaration order is the element order of the message, so keep fields ordered as in the reference.
    """
    pairs: list[tuple[str, str]] = []
    for name, info in model_cls.model_fields.items():
        extra = info.json_schema_extra
        if isinstance(extra, dict) and isinstance(extra.get("code"), str):
            pairs.append((name, str(extra["code"])))
    return tuple(pairs)


def wire_code(model_cls: type[BaseModel], field_name: str) -> str:
    """The official field code (XML tag) of `field_name`, e.g. `wire_code(DecList, "code_ts") == "CodeTS"`."""
    for name, code in wire_fields(model_cls):
        if name == field_name:
            return code
    raise KeyError(f"{model_cls.__name__}.{field_name} has no wire code")
