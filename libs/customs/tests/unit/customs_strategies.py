"""Hypothesis strategies that generate any valid customs model from its field metadata."""

from __future__ import annotations

import types
import typing
from decimal import Decimal
from typing import Any, Literal

import annotated_types
from hypothesis import strategies as st
from pydantic import BaseModel

from guanwu.contracts.declaration import (
    DecHead,
    DeclarationDocument,
    DocumentKind,
    TransitBlock,
    infer_kind,
)

# XML-safe text with the characters that must be escaped, Chinese, quotes and a carriage return.
_ALPHABET = st.one_of(
    st.sampled_from(list("<&>\"' \r\n\t|@◎")),
    st.characters(min_codepoint=0x4E00, max_codepoint=0x4E80),
    st.characters(codec="utf-8", exclude_categories=("Cs", "Cc"), exclude_characters="\ufffe\uffff"),
)


def _constraint(metadata: list[Any], kind: type) -> Any:
    for item in metadata:
        if isinstance(item, kind):
            return item
    return None


def _decimal(metadata: list[Any]) -> st.SearchStrategy[Decimal]:
    digits = places = None
    for item in metadata:
        digits = getattr(item, "max_digits", digits)
        places = getattr(item, "decimal_places", places)
    assert digits is not None and places is not None
    bound = Decimal(10) ** (digits - places) - 1
    return st.decimals(
        min_value=-bound, max_value=bound, places=places, allow_nan=False, allow_infinity=False
    )


def _scalar(annotation: Any, metadata: list[Any]) -> st.SearchStrategy[Any]:
    if typing.get_origin(annotation) is Literal:
        return st.sampled_from(typing.get_args(annotation))
    if annotation is str:
        max_len = _constraint(metadata, annotated_types.MaxLen)
        return st.text(_ALPHABET, min_size=1, max_size=min(max_len.max_length if max_len else 20, 20))
    if annotation is Decimal:
        return _decimal(metadata)
    if annotation is int:
        ge = _constraint(metadata, annotated_types.Ge)
        le = _constraint(metadata, annotated_types.Le)
        lt = _constraint(metadata, annotated_types.Lt)
        high = le.le if le else (lt.lt - 1 if lt else 10**6)
        return st.integers(min_value=ge.ge if ge else 0, max_value=min(high, 10**12))
    raise NotImplementedError(annotation)


def model_strategy(model_cls: type[BaseModel], *, max_items: int = 2) -> st.SearchStrategy[Any]:
    """Any instance of `model_cls`: each optional field None or a valid value; lists of sub-models."""
    fields: dict[str, st.SearchStrategy[Any]] = {}
    for name, info in model_cls.model_fields.items():
        annotation = info.annotation
        args = typing.get_args(annotation)
        optional = isinstance(annotation, types.UnionType) and type(None) in args
        inner = next(a for a in args if a is not type(None)) if optional else annotation
        if typing.get_origin(inner) is list:
            item = typing.get_args(inner)[0]
            fields[name] = st.lists(model_strategy(item), max_size=max_items)
            continue
        if isinstance(inner, type) and issubclass(inner, BaseModel):
            strategy: st.SearchStrategy[Any] = model_strategy(inner)
        else:
            strategy = _scalar(inner, info.metadata)
        fields[name] = st.one_of(st.none(), strategy) if optional else strategy
    return st.builds(model_cls, **fields)


@st.composite
def documents(draw: st.DrawFn) -> DeclarationDocument:
    head = draw(model_strategy(DecHead))
    goods_count = draw(st.integers(0, 3))
    goods = [
        draw(model_strategy(DeclarationDocument.model_fields["goods"].annotation.__args__[0]))
        for _ in range(goods_count)
    ]  # type: ignore[union-attr]
    goods = [line.model_copy(update={"g_no": i}) for i, line in enumerate(goods, start=1)]
    parts = {
        name: draw(st.lists(model_strategy(typing.get_args(info.annotation)[0]), max_size=2))
        for name, info in DeclarationDocument.model_fields.items()
        if typing.get_origin(info.annotation) is list and name != "goods"
    }
    free_text = draw(
        st.one_of(
            st.none(), model_strategy(DeclarationDocument.model_fields["free_text"].annotation.__args__[0])
        )
    )  # type: ignore[union-attr]
    transit = draw(st.one_of(st.none(), model_strategy(TransitBlock)))
    kind: DocumentKind = infer_kind(head)
    return DeclarationDocument(
        kind=kind, head=head, goods=goods, free_text=free_text, transit=transit, **parts
    )
