"""The query subset and document rules every store adapter shares.

One parser (`parse_filter`) turns a port filter into `Condition`s; two back ends evaluate them: a Python
matcher (the in-memory adapter, and the reference the SQL is tested against) and a SQL translator over
SQLite's JSON1 functions. The Mongo adapter only validates and passes the filter through unchanged.

Semantics follow MongoDB for the supported cases:
- `{"a.b": v}` equality on dotted paths; a value that is an array matches when any element equals v, and a
  path that crosses an array of sub-documents looks into each of them (Mongo's implicit array traversal).
- Values compare within their type bracket: numbers with numbers (1 == 1.0), strings with strings,
  booleans with booleans; `True` never equals `1`.
- `None` equals null AND a missing field; `$ne: v` / `$nin` are the exact negations (they match missing).
- `$gt/$gte/$lt/$lte` take a number or a string and never match other types.
- `$exists: bool`.
- `$all: [v, ...]` (non-empty): every value is equal to the field or to one of its array's elements; the same
  as one equality per value on that path (how the matcher and the SQL see it). Use it on a field or an array
  of scalars, not on a path that crosses an array of sub-documents (FerretDB 1.24 does not look into it).

Deliberately rejected (ValueError), so no adapter silently disagrees with another: equality on a whole
sub-document or array, operators other than the ones above (`$or`, `$regex`, `$elemMatch`, ...), positional
paths (`items.0.code`), range operators on None or booleans.

Documents must be plain JSON (dict, list, str, int, float, bool, None): datetimes, Decimals and bytes are
the caller's to convert (ISO-8601 strings, str) and raise TypeError here. Keys must be non-empty strings
without `.` or a leading `$`, and arrays must not nest directly: FerretDB 1.x refuses both, and refusing
them everywhere keeps the embedded store honest about what the distributed one will accept.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from itertools import compress
from typing import Any

from guanwu.platform.store.port import OUTBOX_FIELD, OUTBOX_PENDING_FIELD, Document, Filter, SortSpec

Scalar = None | bool | int | float | str

_INT64_MIN, _INT64_MAX = -(2**63), 2**63 - 1
_RANGE_OPS = {"$gt", "$gte", "$lt", "$lte"}
_OPERATORS = {"$in", "$nin", "$ne", "$exists", "$all"} | _RANGE_OPS

# The outbox entries written by guanwu.platform.outbox.add_events: {"topic": ..., "envelope": {"id": ...}}.
OUTBOX_EVENT_ID_PATH = "envelope.id"


# ------------------------------------------------------------------------------------------------ documents


def check_document(doc: Document) -> frozenset[str]:
    """Raise TypeError/ValueError when the document breaks the store's rules; return its array paths
    (dotted, without indexes: `items` for `{"items": [...]}`, `items.tags` for arrays inside its elements)."""
    if not isinstance(doc, dict):
        raise TypeError(f"a document is a dict, not {type(doc).__name__}")
    doc_id = doc.get("_id")
    if not isinstance(doc_id, str) or not doc_id:
        raise ValueError("a document needs a non-empty string `_id`")
    arrays: set[str] = set()
    if not _plain_containers(doc, "", arrays):
        arrays = set()
        _walk(doc, "", arrays, in_array=False)
    return frozenset(arrays)


# Fast path (every store write checks its whole document): `_plain_containers` looks at a dict's keys and the
# types of its values at once, in C (a join, a set of types), and visits only the containers; a document of
# plain JSON types passes without a Python step per string or null. Whatever it is unsure of (a key that may
# break the rules, a type that is not exactly a JSON one, a number out of range, an array in an array) goes
# to `_walk`, the exact check, which raises the error it always has (measured on a synced declaration's
# document: 90 -> 70 us).
_PLAIN_TYPES = frozenset({str, bool, type(None), dict, list, tuple})
_CONTAINER_TYPES = frozenset({dict, list, tuple})
_IS_CONTAINER = _CONTAINER_TYPES.__contains__


def _plain_containers(value: dict[str, Any], path: str, arrays: set[str]) -> bool:
    try:
        keys = "\x01".join(value)
    except TypeError:
        return False  # a key that is not a string
    if "" in value or "." in keys or "\x00" in keys or keys[:1] == "$" or "\x01$" in keys:
        return False
    types = set(map(type, value.values()))
    if (int in types or float in types) and not _numbers(value.values(), types):
        return False
    if not types <= _PLAIN_TYPES:
        return False
    if types.isdisjoint(_CONTAINER_TYPES):
        return True
    for key, item in compress(value.items(), map(_IS_CONTAINER, map(type, value.values()))):
        inner = f"{path}.{key}" if path else key
        if not (_plain_containers if type(item) is dict else _plain_array)(item, inner, arrays):
            return False
    return True


def _plain_array(value: list[Any] | tuple[Any, ...], path: str, arrays: set[str]) -> bool:
    arrays.add(path)
    types = set(map(type, value))
    if (int in types or float in types) and not _numbers(value, types):
        return False
    if not types <= _PLAIN_TYPES or list in types or tuple in types:
        return False
    return dict not in types or all(
        _plain_containers(item, path, arrays) for item in value if type(item) is dict
    )


def _numbers(values: Iterable[Any], types: set[type]) -> bool:
    """Whether the ints among `values` fit in 64 bits and the floats are finite (then both leave `types`)."""
    if int in types:
        ints = [v for v in values if type(v) is int]
        if not _INT64_MIN <= min(ints) <= max(ints) <= _INT64_MAX:
            return False
        types.discard(int)
    if float in types:
        if not all(math.isfinite(v) for v in values if type(v) is float):
            return False
        types.discard(float)
    return True


_PLAIN = (str, bool, type(None))
_NESTED = (dict, list, tuple)


def _walk(value: Any, path: str, arrays: set[str], *, in_array: bool) -> None:
    # Hot path (every store write walks the whole document): scalars, the vast majority of nodes, are
    # checked inline instead of through a call each, and paths are built only for containers.
    if isinstance(value, dict):
        for key, item in value.items():
            if type(key) is not str or not key or "." in key or key[0] == "$" or "\x00" in key:
                _check_key(key, path)
            if isinstance(item, _NESTED):
                _walk(item, f"{path}.{key}" if path else key, arrays, in_array=False)
            elif not isinstance(item, _PLAIN):
                _check_number(item, f"{path}.{key}" if path else key)
    elif isinstance(value, list | tuple):
        if in_array:
            raise ValueError(f"{path}: arrays directly inside arrays are not supported (FerretDB 1.x)")
        arrays.add(path)
        for item in value:
            if isinstance(item, _NESTED):
                _walk(item, path, arrays, in_array=True)
            elif not isinstance(item, _PLAIN):
                _check_number(item, path)
    elif not isinstance(value, _PLAIN):
        _check_number(value, path)


def _check_number(value: Any, path: str) -> None:
    if isinstance(value, int):
        if not _INT64_MIN <= value <= _INT64_MAX:
            raise ValueError(f"{path}: integer {value} does not fit in 64 bits")
    elif isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError(f"{path}: {value} is not a JSON number")
    else:
        raise TypeError(
            f"{path or 'document'}: {type(value).__name__} is not a JSON value; convert it before storing "
            "(datetime -> ISO-8601 str, Decimal -> str, bytes -> base64 str)"
        )


def _check_key(key: Any, path: str) -> None:
    if not isinstance(key, str):
        raise TypeError(f"{path or 'document'}: key {key!r} is not a string")
    if not key or "." in key or key.startswith("$") or "\x00" in key:
        raise ValueError(
            f"{path or 'document'}: key {key!r} is empty, contains '.' or NUL, or starts with '$'"
        )


def encode_document(doc: Document) -> tuple[str, frozenset[str]]:
    """The document's JSON text (UTF-8, compact) and its array paths, after `check_document`."""
    arrays = check_document(doc)
    return json.dumps(doc, ensure_ascii=False, separators=(",", ":"), allow_nan=False), arrays


def decode_document(text: str) -> Document:
    doc: Document = json.loads(text)
    return doc


def pull_events(doc: Document, published: set[str]) -> bool:
    """Remove published events from the document's outbox in place; True when the document changed."""
    outbox = doc.get(OUTBOX_FIELD) or []
    kept = [entry for entry in outbox if get_path(entry, OUTBOX_EVENT_ID_PATH) not in published]
    changed = len(kept) != len(outbox)
    if changed:
        doc[OUTBOX_FIELD] = kept
    if not kept and doc.get(OUTBOX_PENDING_FIELD):
        doc[OUTBOX_PENDING_FIELD] = False
        changed = True
    return changed


# -------------------------------------------------------------------------------------------------- filters


@dataclass(frozen=True, slots=True)
class Condition:
    """One test on one path. `$ne`, `$nin` and `$exists: false` are the negations of `$eq`, `$in`, `$exists`."""

    path: tuple[str, ...]
    op: str  # "$eq" | "$in" | "$gt" | "$gte" | "$lt" | "$lte" | "$exists"
    operand: Any  # a scalar; a tuple of scalars for $in; None for $exists
    negate: bool = False

    @property
    def dotted(self) -> str:
        return ".".join(self.path)

    @property
    def matches_missing(self) -> bool:
        """Whether a missing field satisfies the positive (un-negated) condition."""
        if self.op == "$eq":
            return self.operand is None
        if self.op == "$in":
            return any(o is None for o in self.operand)
        return False


def parse_filter(filter: Filter) -> list[Condition]:
    if not isinstance(filter, Mapping):
        raise TypeError(f"a filter is a mapping, not {type(filter).__name__}")
    conditions: list[Condition] = []
    for field, spec in filter.items():
        path = parse_path(field)
        if isinstance(spec, Mapping) and spec and all(isinstance(k, str) and k.startswith("$") for k in spec):
            for op, operand in spec.items():
                if op == "$all":
                    conditions.extend(_parse_all(path, operand))
                else:
                    conditions.append(_parse_operator(path, op, operand))
        elif isinstance(spec, Mapping | list | tuple):
            raise ValueError(
                f"filter on {field!r}: equality on a whole sub-document or array is not supported; "
                "use dotted paths and scalar values"
            )
        else:
            conditions.append(Condition(path, "$eq", _scalar(field, spec)))
    return conditions


def parse_path(field: Any) -> tuple[str, ...]:
    if not isinstance(field, str):
        raise TypeError(f"filter field {field!r} is not a string")
    parts = tuple(field.split("."))
    for part in parts:
        if not part or part.startswith("$") or '"' in part or "\x00" in part:
            raise ValueError(
                f"unsupported filter field {field!r} (top-level operators like $or are not supported)"
            )
        if part.isdigit():
            raise ValueError(f"filter field {field!r}: positional paths are not supported")
    return parts


def _parse_all(path: tuple[str, ...], operand: Any) -> list[Condition]:
    """`$all`: one equality per value (Mongo's meaning for scalar values); an empty list is refused, since
    Mongo matches nothing with it and an empty conjunction would match everything."""
    where = ".".join(path)
    if not isinstance(operand, list | tuple) or not operand:
        raise ValueError(f"filter on {where!r}: $all needs a non-empty list")
    return [Condition(path, "$eq", _scalar(where, v)) for v in operand]


def _parse_operator(path: tuple[str, ...], op: str, operand: Any) -> Condition:
    where = ".".join(path)
    if op not in _OPERATORS:
        raise ValueError(f"filter on {where!r}: operator {op} is not supported by the document store port")
    if op == "$ne":
        return Condition(path, "$eq", _scalar(where, operand), negate=True)
    if op in ("$in", "$nin"):
        if not isinstance(operand, list | tuple):
            raise ValueError(f"filter on {where!r}: {op} needs a list")
        values = tuple(_scalar(where, v) for v in operand)
        return Condition(path, "$in", values, negate=op == "$nin")
    if op == "$exists":
        if not isinstance(operand, bool):
            raise ValueError(f"filter on {where!r}: $exists needs true or false")
        return Condition(path, "$exists", None, negate=not operand)
    value = _scalar(where, operand)
    if value is None or isinstance(value, bool):
        raise ValueError(f"filter on {where!r}: {op} needs a number or a string")
    return Condition(path, op, value)


def _scalar(where: str, value: Any) -> Scalar:
    if value is None or isinstance(value, str | bool):
        return value
    if isinstance(value, int):
        if not _INT64_MIN <= value <= _INT64_MAX:
            raise ValueError(f"filter on {where!r}: integer does not fit in 64 bits")
        return value
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError(f"filter on {where!r}: {value} is not a JSON number")
        return value
    raise ValueError(
        f"filter on {where!r}: {type(value).__name__} values are not supported (use None, bool, numbers, str)"
    )


def check_sort(sort: SortSpec) -> list[tuple[str, int]]:
    checked: list[tuple[str, int]] = []
    for field, direction in sort:
        parse_path(field)
        if direction not in (1, -1) or isinstance(direction, bool):
            raise ValueError(f"direction for {field!r} must be 1 or -1")
        checked.append((field, direction))
    return checked


def check_without(fields: Sequence[str]) -> list[str]:
    """Top-level fields a read may leave out of its documents: never `_id`, never a dotted path."""
    for field in fields:
        if len(parse_path(field)) != 1 or field == "_id":
            raise ValueError(f"only top-level fields other than _id can be left out, not {field!r}")
    return list(fields)


def check_index(fields: Sequence[tuple[str, int]]) -> list[tuple[str, int]]:
    if not fields:
        raise ValueError("an index needs at least one field")
    return check_sort(fields)


# ------------------------------------------------------------------------------------------ Python matcher


def compile_matcher(filter: Filter) -> Callable[[Document], bool]:
    conditions = parse_filter(filter)

    def matches(doc: Document) -> bool:
        return all(_reach(doc, c.path, _predicate(c), c.matches_missing) != c.negate for c in conditions)

    return matches


def _predicate(c: Condition) -> Callable[[Any], bool]:
    if c.op == "$eq":
        return lambda v: _same(v, c.operand)
    if c.op == "$in":
        return lambda v: any(_same(v, o) for o in c.operand)
    if c.op == "$exists":
        return lambda v: True
    compare: Callable[[Any, Any], bool] = {
        "$gt": lambda a, b: a > b,
        "$gte": lambda a, b: a >= b,
        "$lt": lambda a, b: a < b,
        "$lte": lambda a, b: a <= b,
    }[c.op]
    return lambda v: _bracket(v) == _bracket(c.operand) and compare(v, c.operand)


def _reach(value: Any, path: Sequence[str], pred: Callable[[Any], bool], missing: bool) -> bool:
    if not path:
        if isinstance(value, list):
            return pred(value) or any(pred(item) for item in value)
        return pred(value)
    if isinstance(value, dict):
        if path[0] in value:
            return _reach(value[path[0]], path[1:], pred, missing)
        return missing
    if isinstance(value, list):
        return any(_reach(item, path, pred, missing) for item in value if isinstance(item, dict))
    return missing


def _bracket(value: Any) -> int:
    """Mongo's type order for the brackets we use: null < numbers < strings < objects < arrays < booleans."""
    if value is None:
        return 0
    if isinstance(value, bool):
        return 5
    if isinstance(value, int | float):
        return 1
    if isinstance(value, str):
        return 2
    if isinstance(value, dict):
        return 3
    return 4


def _same(value: Any, operand: Scalar) -> bool:
    return _bracket(value) == _bracket(operand) and value == operand


def get_path(doc: Document, field: str) -> Any:
    """The value at a dotted path without array traversal (None when missing): for sort keys."""
    value: Any = doc
    for part in field.split("."):
        if not isinstance(value, dict) or part not in value:
            return None
        value = value[part]
    return value


def sort_documents(docs: list[Document], sort: SortSpec) -> list[Document]:
    """Sort like Mongo for scalar keys (missing = null first ascending); stable, so ties keep their order."""
    result = list(docs)
    for field, direction in reversed(check_sort(sort)):
        result.sort(key=_sort_key_of(field), reverse=direction < 0)
    return result


def _sort_key_of(field: str) -> Callable[[Document], tuple[int, Any]]:
    return lambda doc: _sort_key(get_path(doc, field))


def _sort_key(value: Any) -> tuple[int, Any]:
    rank = _bracket(value)
    if rank == 0:
        return (0, 0)
    if rank in (3, 4):
        return (rank, json.dumps(value, sort_keys=True))
    return (rank, value)


# ---------------------------------------------------------------------------------------- SQL (SQLite JSON1)

_NUMBER_TYPES = "('integer','real')"


def sql_literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def json_path(field: str) -> str:
    """SQLite JSON path for a dotted field, every key quoted: `a.b` -> `$."a"."b"`."""
    return "$" + "".join(f'."{part}"' for part in parse_path(field))


def json_value_sql(field: str, column: str = "doc") -> str:
    """The SQL expression for a field's value; the SQLite adapter builds its indexes from the same text, so
    the planner can match them against filters and sorts."""
    if field == "_id":
        return "id"
    return f"json_extract({column}, {sql_literal(json_path(field))})"


class SqlTranslator:
    """Translates conditions into a WHERE clause over a table `(id TEXT, doc TEXT)`.

    Array traversal needs `json_each` sub-queries that no expression index can serve, so it is only generated
    for paths that hold an array in some document of the collection (`array_paths`, kept by the adapter).
    Filters on scalar fields stay plain `json_extract(doc, '$."f"') = ?` terms that use the indexes.

    A comparison is followed by a `json_type` test (Mongo's type brackets) only where the comparison alone could
    match another type: the test reads the document, so an index that holds every filtered field could not
    answer a count by itself. `json_extract` gives SQL text for a JSON string and for an object or array (their
    JSON text, starting with `{` or `[`), numbers for numbers and booleans, NULL for null; numbers sort below
    text. So equality with a string that starts with neither bracket is exact, and so is a string range with a
    lower bound (no number or NULL passes it) and an upper bound below `[` (no object or array text passes).
    """

    def __init__(self, array_paths: Iterable[str] = ()) -> None:
        self._arrays = frozenset(array_paths)
        self._params: list[Any] = []
        self._aliases = 0
        self._text_ranges: frozenset[tuple[str, ...]] = frozenset()

    def where(self, filter: Filter) -> tuple[str, list[Any]]:
        self._params = []
        conditions = parse_filter(filter)
        self._text_ranges = _text_ranges(conditions)
        parts = [self._condition(c) for c in conditions]
        return (" AND ".join(parts) if parts else "1"), self._params

    def _condition(self, c: Condition) -> str:
        if c.path == ("_id",):
            sql = self._predicate(c, "'text'", "id", leaf=True)
        else:
            sql = self._reach(c, None, "$", 0)
        return f"NOT coalesce(({sql}), 0)" if c.negate else f"({sql})"

    def _path_sql(self, base: str | None, suffix: str) -> str:
        if base is None:
            return sql_literal(suffix)
        return f"{base} || {sql_literal(suffix)}" if suffix else base

    def _reach(self, c: Condition, base: str | None, suffix: str, depth: int) -> str:
        """SQL for `c` on the value at `base || suffix` where path[:depth] is already consumed."""
        if depth == len(c.path):
            return self._leaf(c, self._path_sql(base, suffix))
        suffix = f'{suffix}."{c.path[depth]}"'
        depth += 1
        if depth < len(c.path) and ".".join(c.path[:depth]) in self._arrays:
            here = self._path_sql(base, suffix)
            alias = self._alias()
            inside = self._reach(c, f"{alias}.fullkey", "", depth)
            plain = self._reach(c, base, suffix, depth)
            return (
                f"CASE WHEN json_type(doc, {here}) = 'array' THEN EXISTS (SELECT 1 FROM json_each(doc, {here}) "
                f"AS {alias} WHERE {alias}.type = 'object' AND ({inside})) ELSE ({plain}) END"
            )
        return self._reach(c, base, suffix, depth)

    def _leaf(self, c: Condition, path_sql: str) -> str:
        type_sql, value_sql = f"json_type(doc, {path_sql})", f"json_extract(doc, {path_sql})"
        if c.op == "$exists":
            return f"{type_sql} IS NOT NULL"
        sql = self._predicate(c, type_sql, value_sql, leaf=True)
        if c.dotted not in self._arrays:
            return sql
        alias = self._alias()
        element = self._predicate(c, f"{alias}.type", f"{alias}.atom", leaf=False)
        return (
            f"({sql}) OR ({type_sql} = 'array' AND EXISTS (SELECT 1 FROM json_each(doc, {path_sql}) AS {alias} "
            f"WHERE {element}))"
        )

    def _predicate(self, c: Condition, type_sql: str, value_sql: str, *, leaf: bool) -> str:
        if c.op == "$eq":
            return self._in(type_sql, value_sql, (c.operand,), leaf=leaf)
        if c.op == "$in":
            return self._in(type_sql, value_sql, c.operand, leaf=leaf)
        if c.op == "$exists":
            return f"{type_sql} IS NOT NULL"
        op = {"$gt": ">", "$gte": ">=", "$lt": "<", "$lte": "<="}[c.op]
        self._params.append(c.operand)
        if leaf and c.path in self._text_ranges:
            return f"{value_sql} {op} ?"
        types = "= 'text'" if isinstance(c.operand, str) else f"IN {_NUMBER_TYPES}"
        return f"{value_sql} {op} ? AND {type_sql} {types}"

    def _in(self, type_sql: str, value_sql: str, operands: Sequence[Scalar], *, leaf: bool) -> str:
        strings = [o for o in operands if isinstance(o, str)]
        numbers = [o for o in operands if isinstance(o, int | float) and not isinstance(o, bool)]
        parts: list[str] = []
        if strings and leaf and not any(o.startswith(("{", "[")) for o in strings):
            parts.append(f"{value_sql} {self._eq_or_in(strings)}")
        elif strings:
            parts.append(f"{value_sql} {self._eq_or_in(strings)} AND {type_sql} = 'text'")
        if numbers:
            parts.append(f"{value_sql} {self._eq_or_in(numbers)} AND {type_sql} IN {_NUMBER_TYPES}")
        for flag in sorted({o for o in operands if isinstance(o, bool)}):
            parts.append(f"{value_sql} = {int(flag)} AND {type_sql} = '{'true' if flag else 'false'}'")
        if any(o is None for o in operands):
            # json_extract gives NULL for both JSON null and a missing key: the Mongo meaning of `None`.
            parts.append(f"{value_sql} IS NULL" if leaf else f"{type_sql} = 'null'")
        if not parts:
            return "0"
        return parts[0] if len(parts) == 1 else " OR ".join(f"({p})" for p in parts)

    def _eq_or_in(self, values: Sequence[Any]) -> str:
        self._params.extend(values)
        return "= ?" if len(values) == 1 else f"IN ({', '.join('?' * len(values))})"

    def _alias(self) -> str:
        self._aliases += 1
        return f"e{self._aliases}"


def _text_ranges(conditions: Sequence[Condition]) -> frozenset[tuple[str, ...]]:
    """The paths compared with a string lower bound and a string upper bound below `[`: their range alone
    matches only strings (see `SqlTranslator`)."""
    lower = {c.path for c in conditions if c.op in ("$gt", "$gte") and isinstance(c.operand, str)}
    upper = {
        c.path
        for c in conditions
        if c.op in ("$lt", "$lte") and isinstance(c.operand, str) and c.operand < "["
    }
    return frozenset(lower & upper)


def order_by_sql(sort: SortSpec) -> str:
    terms = [f"{json_value_sql(f)} {'ASC' if d > 0 else 'DESC'}" for f, d in check_sort(sort)]
    return f" ORDER BY {', '.join(terms)}" if terms else ""
