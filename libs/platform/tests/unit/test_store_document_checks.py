"""The store's document check: its fast path (keys and value types looked at in bulk) says exactly what the
exact walk says — the same array paths for a good document, the same error for a bad one."""

from __future__ import annotations

import math
from collections import OrderedDict
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from guanwu.platform.store.filters import _walk, check_document, encode_document


def _exact(doc: dict[str, Any]) -> frozenset[str] | tuple[type, str]:
    arrays: set[str] = set()
    try:
        _walk(doc, "", arrays, in_array=False)
    except (TypeError, ValueError) as exc:
        return type(exc), str(exc)
    return frozenset(arrays)


def _checked(doc: dict[str, Any]) -> frozenset[str] | tuple[type, str]:
    try:
        return check_document(doc)
    except (TypeError, ValueError) as exc:
        return type(exc), str(exc)


_keys = st.sampled_from(["a", "b", "items", "x.y", "$set", "", "a\x00b", "\x01$c", "é", "中文"]) | st.text(
    max_size=4
)
_scalars = (
    st.none()
    | st.booleans()
    | st.text(max_size=6)
    | st.integers(min_value=-(2**64), max_value=2**64)
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.sampled_from([Decimal("1.5"), datetime(2026, 1, 1, tzinfo=UTC), b"raw", 2**63 - 1, -(2**63)])
)
_values = st.recursive(
    _scalars,
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.lists(inner, max_size=3).map(tuple)
        | st.dictionaries(_keys, inner, max_size=4)
        | st.dictionaries(st.integers(0, 3), inner, max_size=2)
    ),
    max_leaves=20,
)


@settings(max_examples=1500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(body=st.dictionaries(_keys, _values, max_size=5))
def test_the_fast_check_agrees_with_the_exact_walk(body: dict[str, Any]) -> None:
    doc = {**body, "_id": "d"}
    assert _checked(doc) == _exact(doc)


@pytest.mark.parametrize(
    "doc",
    [
        {"_id": "d", "n": 2**63},
        {"_id": "d", "n": [1, -(2**63) - 1]},
        {"_id": "d", "f": math.nan},
        {"_id": "d", "f": [1.0, math.inf]},
        {"_id": "d", "a": [[1]]},
        {"_id": "d", "a": [(1,)]},
        {"_id": "d", "a": [{"b": [[]]}]},
        {"_id": "d", "o": OrderedDict({"x.y": 1})},
        {"_id": "d", "k": {1: "v"}},
        {"_id": "d", "k": {"": "v"}},
        {"_id": "d", "t": datetime(2026, 1, 1, tzinfo=UTC)},
    ],
)
def test_a_bad_document_is_refused_with_the_exact_walks_error(doc: dict[str, Any]) -> None:
    expected = _exact(doc)
    assert isinstance(expected, tuple)
    with pytest.raises(expected[0]) as raised:
        encode_document(doc)
    assert str(raised.value) == expected[1]


def test_array_paths_of_a_nested_document() -> None:
    doc = {
        "_id": "d",
        "goods": [{"limits": [], "n": 1}, {"x": {"tags": ["a"]}}],
        "head": {"f": None},
        "t": (),
    }
    assert check_document(doc) == {"goods", "goods.limits", "goods.x.tags", "t"}
    assert encode_document(doc)[1] == _exact(doc)
