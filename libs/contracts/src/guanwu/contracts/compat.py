"""Consumer-facing backward compatibility between two JSON Schemas of one event type.

`incompatibilities(old, new)` lists every change that can break a consumer written against `old`, or
that makes events already published under `old` invalid under `new`:

- a property removed;
- a property's type changed (the set of JSON types differs, e.g. `string` to `integer` or `string` to
  `string|null`), a `format` changed, an `enum`/`const` lost values, a bound tightened
  (`maxLength`, `minLength`, `pattern`, `maximum`, ...);
- a new required property (or an optional one made required);
- `additionalProperties` tightened;
- all of the above inside `$ref`'d definitions (local `#/$defs/...` refs are resolved), arrays and unions.

Additive optional properties, widened enums and loosened bounds are compatible. Pure functions, no I/O.
"""

from __future__ import annotations

from typing import Any

JsonSchema = dict[str, Any]

_ANY = "any"
# Keywords whose tightening narrows what is accepted: (keyword, True when a larger value is tighter).
_LOWER_BOUNDS = ("minLength", "minimum", "exclusiveMinimum", "minItems", "minProperties")
_UPPER_BOUNDS = ("maxLength", "maximum", "exclusiveMaximum", "maxItems", "maxProperties")
_EXACT = ("pattern", "multipleOf")


def incompatibilities(old_schema: JsonSchema, new_schema: JsonSchema) -> list[str]:
    """Every consumer-facing incompatibility of `new_schema` relative to `old_schema`; empty if compatible."""
    checker = _Checker(old_schema, new_schema)
    checker.compare(old_schema, new_schema, "$")
    return checker.problems


class _Checker:
    def __init__(self, old_root: JsonSchema, new_root: JsonSchema) -> None:
        self.old_root = old_root
        self.new_root = new_root
        self.problems: list[str] = []
        self._seen: set[tuple[str, str]] = set()

    # -- schema normalisation -------------------------------------------------------------------

    @staticmethod
    def _resolve(schema: Any, root: JsonSchema, depth: int = 0) -> tuple[JsonSchema, str]:
        """Follow local `$ref`s (merging sibling keywords); returns the schema and the ref chain name."""
        if schema is True or schema is None:
            return {}, ""
        if schema is False:
            return {"not": {}}, ""
        if not isinstance(schema, dict):
            raise TypeError(f"not a JSON Schema: {schema!r}")
        ref = schema.get("$ref")
        if ref is None:
            return schema, ""
        if depth > 64:
            raise ValueError(f"$ref chain too deep at {ref}")
        target = _lookup(root, ref)
        resolved, inner = _Checker._resolve(target, root, depth + 1)
        merged = {**resolved, **{k: v for k, v in schema.items() if k != "$ref"}}
        return merged, ref + (f" -> {inner}" if inner else "")

    def _branches(self, schema: Any, root: JsonSchema) -> list[tuple[str, JsonSchema, str]]:
        """Split a schema into single-type alternatives: (json type or 'any', schema, ref name)."""
        resolved, ref = self._resolve(schema, root)
        for combinator in ("anyOf", "oneOf"):
            if combinator in resolved:
                base = {k: v for k, v in resolved.items() if k != combinator}
                out: list[tuple[str, JsonSchema, str]] = []
                for alt in resolved[combinator]:
                    alt_resolved, alt_ref = self._resolve(alt, root)
                    alt_branches = self._branches({**base, **alt_resolved}, root)
                    out.extend((t, s, r or alt_ref) for t, s, r in alt_branches)
                return out
        all_of = resolved.get("allOf")
        if isinstance(all_of, list) and len(all_of) == 1:
            inner, inner_ref = self._resolve(all_of[0], root)
            base = {k: v for k, v in resolved.items() if k != "allOf"}
            merged = self._branches({**inner, **base}, root)
            return [(t, s, inner_ref or r) for t, s, r in merged]
        types = resolved.get("type")
        if types is None:
            if "const" in resolved:
                types = _json_type(resolved["const"])
            elif resolved.get("enum"):
                types = sorted({_json_type(v) for v in resolved["enum"]})
            elif "properties" in resolved:
                types = "object"
            elif "items" in resolved or "prefixItems" in resolved:
                types = "array"
            else:
                return [(_ANY, resolved, ref)]
        if isinstance(types, str):
            types = [types]
        return [(t, {**resolved, "type": t}, ref) for t in types]

    # -- comparison ------------------------------------------------------------------------------

    def _report(self, path: str, message: str) -> None:
        self.problems.append(f"{path}: {message}")

    def compare(self, old: Any, new: Any, path: str) -> None:
        old_branches = self._branches(old, self.old_root)
        new_branches = self._branches(new, self.new_root)
        old_types = sorted({t for t, _, _ in old_branches})
        new_types = sorted({t for t, _, _ in new_branches})
        if old_types != new_types:
            self._report(path, f"type changed from {'|'.join(old_types)} to {'|'.join(new_types)}")
            return
        for json_type in old_types:
            olds = [(s, r) for t, s, r in old_branches if t == json_type]
            news = [(s, r) for t, s, r in new_branches if t == json_type]
            for old_schema, old_ref in olds:
                self._compare_to_best(json_type, old_schema, old_ref, news, path)

    def _compare_to_best(
        self,
        json_type: str,
        old: JsonSchema,
        old_ref: str,
        news: list[tuple[JsonSchema, str]],
        path: str,
    ) -> None:
        """Compare one old alternative with the new alternative of the same type that fits it best."""
        best: list[str] | None = None
        for new, new_ref in news:
            key = (old_ref, new_ref)
            if old_ref and new_ref and key in self._seen:
                return  # recursive definition already under comparison
            sub = _Checker(self.old_root, self.new_root)
            sub._seen = self._seen | ({key} if old_ref and new_ref else set())
            sub._compare_same_type(json_type, old, new, _with_ref(path, new_ref or old_ref))
            if not sub.problems:
                return
            if best is None or len(sub.problems) < len(best):
                best = sub.problems
        if best is not None:
            self.problems.extend(best)

    def _compare_same_type(self, json_type: str, old: JsonSchema, new: JsonSchema, path: str) -> None:
        self._compare_values(old, new, path)
        if json_type == "object":
            self._compare_objects(old, new, path)
        elif json_type == "array":
            self._compare_arrays(old, new, path)

    def _compare_values(self, old: JsonSchema, new: JsonSchema, path: str) -> None:
        if old.get("format") != new.get("format"):
            self._report(path, f"format changed from {old.get('format')!r} to {new.get('format')!r}")
        old_enum = _enum_values(old)
        new_enum = _enum_values(new)
        if new_enum is not None:
            if old_enum is None:
                self._report(path, f"restricted to the values {_show(new_enum)}")
            else:
                lost = [v for v in old_enum if v not in new_enum]
                if lost:
                    self._report(path, f"values no longer allowed: {_show(lost)}")
        for keyword in _LOWER_BOUNDS:
            o, n = old.get(keyword), new.get(keyword)
            if n is not None and (o is None or n > o):
                self._report(path, f"{keyword} tightened from {o!r} to {n!r}")
        for keyword in _UPPER_BOUNDS:
            o, n = old.get(keyword), new.get(keyword)
            if n is not None and (o is None or n < o):
                self._report(path, f"{keyword} tightened from {o!r} to {n!r}")
        for keyword in _EXACT:
            o, n = old.get(keyword), new.get(keyword)
            if n is not None and n != o:
                self._report(path, f"{keyword} changed from {o!r} to {n!r}")

    def _compare_objects(self, old: JsonSchema, new: JsonSchema, path: str) -> None:
        old_props: dict[str, Any] = old.get("properties", {})
        new_props: dict[str, Any] = new.get("properties", {})
        old_required = set(old.get("required", []))
        new_required = set(new.get("required", []))
        for name, old_prop in old_props.items():
            child = f"{path}.{name}"
            if name not in new_props:
                self._report(child, "property removed")
                continue
            self.compare(old_prop, new_props[name], child)
        for name in sorted(new_required - old_required):
            what = "new required property" if name not in old_props else "property became required"
            self._report(f"{path}.{name}", what)
        if _is_closed(old.get("additionalProperties", True)):
            # A consumer built from the old schema refuses any property it does not know.
            for name in sorted(set(new_props) - set(old_props)):
                self._report(f"{path}.{name}", "property added to a closed object (old consumers refuse it)")
        self._compare_additional(old, new, path)

    def _compare_additional(self, old: JsonSchema, new: JsonSchema, path: str) -> None:
        old_add = old.get("additionalProperties", True)
        new_add = new.get("additionalProperties", True)
        if _is_open(new_add):
            return
        if _is_closed(new_add):
            if not _is_closed(old_add):
                self._report(path, "additionalProperties tightened (no longer allowed)")
            return
        if _is_open(old_add):
            self._report(path, "additionalProperties tightened (now constrained by a schema)")
            return
        if old_add is False:
            return
        self.compare(old_add, new_add, f"{path}.*")

    def _compare_arrays(self, old: JsonSchema, new: JsonSchema, path: str) -> None:
        old_prefix: list[Any] = old.get("prefixItems", [])
        new_prefix: list[Any] = new.get("prefixItems", [])
        for index, old_item in enumerate(old_prefix):
            if index >= len(new_prefix):
                self._report(f"{path}[{index}]", "tuple position removed")
            else:
                self.compare(old_item, new_prefix[index], f"{path}[{index}]")
        old_items = old.get("items", True)
        new_items = new.get("items", True)
        if _is_open(new_items):
            return
        if _is_open(old_items):
            self._report(f"{path}[]", "items now constrained by a schema")
            return
        self.compare(old_items, new_items, f"{path}[]")


def _lookup(root: JsonSchema, ref: str) -> Any:
    if not ref.startswith("#"):
        raise ValueError(f"only local $refs are supported, got {ref!r}")
    node: Any = root
    for part in ref[1:].split("/"):
        if not part:
            continue
        key = part.replace("~1", "/").replace("~0", "~")
        if isinstance(node, list):
            node = node[int(key)]
        elif isinstance(node, dict) and key in node:
            node = node[key]
        else:
            raise ValueError(f"unresolvable $ref {ref!r}")
    return node


def _with_ref(path: str, ref: str) -> str:
    if not ref:
        return path
    name = ref.split(" -> ")[-1].rsplit("/", 1)[-1]
    return f"{path}<{name}>"


def _json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    return "object"


def _enum_values(schema: JsonSchema) -> list[Any] | None:
    if "const" in schema:
        return [schema["const"]]
    enum = schema.get("enum")
    return list(enum) if isinstance(enum, list) else None


def _is_open(schema: Any) -> bool:
    return schema is True or schema == {}


def _is_closed(additional: Any) -> bool:
    """`additionalProperties` that admits nothing (pydantic's `extra="forbid"`)."""
    return additional is False or additional == {"not": {}}


def _show(values: list[Any]) -> str:
    return ", ".join(repr(v) for v in values)
