"""Hypothesis strategies of hostile edits to a valid declaration, for tests that drive an API with them.

One edit sets one field of the declaration model (libs/contracts: head, goods lines and their licences,
containers, every other block, the 转关 blocks) in the JSON of a valid fixture to a value a careless or
hostile client might send: negative and zero numbers, extreme magnitudes and scales, control and non-BMP
characters, impossible dates, over-long strings, wrong types. The fields are read from the model, so a field
added to it is covered without touching this file.

Each edit says what a customs platform owes the sender, from what the customs XML and the customs can take,
not from what the kernel's rules happen to check today:
- REFUSE: the value cannot even be stored (a character XML 1.0 cannot carry, longer or more precise than
  the wire format, not a number): the API answers 4xx and stores nothing.
- FLAG: a value the wire format holds but the customs refuses (a negative quantity, price, total, weight or
  rate; a zero 成交数量, 申报单价, 申报总价 or 毛重; a date that is not a calendar date): the API refuses it or
  the 申报-level logic checks name the field with an error (so 提交审核 and 申报 are refused).
- CARRY: a value the XML can carry (non-BMP characters, markup characters, extreme but valid magnitudes):
  anything is allowed, but if the declaration passes the checks, 申报 must send exactly it.

Importable from every test tree (libs/customs/tests is on the pytest pythonpath).
"""

from __future__ import annotations

import copy
import itertools
import json
import types
import typing
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from enum import Enum, StrEnum
from typing import Any

from hypothesis import strategies as st
from pydantic import BaseModel

from guanwu.contracts.declaration import DeclarationDocument
from guanwu.customs import fixtures

Path = tuple[str | int, ...]


class Expect(StrEnum):
    REFUSE = "refuse"
    FLAG = "flag"
    CARRY = "carry"


@dataclass(frozen=True)
class JsonNumber:
    """A number written into the JSON text as is (`1E+400`, `-0.0`), which no Python value serialises to."""

    text: str


@dataclass(frozen=True)
class Leaf:
    """One scalar field of the declaration model, at a path into the document's JSON."""

    path: Path
    annotation: Any
    metadata: tuple[Any, ...]
    description: str

    @property
    def name(self) -> str:
        return str(self.path[-1])

    @property
    def in_transit(self) -> bool:
        return self.path[0] == "transit"

    def constraint(self, attribute: str) -> Any:
        """`max_length`, `max_digits`, `ge`, ... from the field's pydantic metadata, or None."""
        for item in self.metadata:
            value = getattr(item, attribute, None)
            if value is not None:
                return value
        return None


@dataclass(frozen=True)
class HostileEdit:
    leaf: Leaf
    value: Any
    what: str
    expect: Expect

    @property
    def field_path(self) -> str:
        """The field as the API's findings name it, e.g. `goods[0].g_qty`."""
        text = ""
        for part in self.leaf.path:
            text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else part)
        return text

    def apply(self, document: dict[str, Any]) -> dict[str, Any]:
        """A copy of `document` (JSON) with the value set, creating the list item or block it lives in,
        and with the fields it needs to make sense (`COMPANIONS`)."""
        edited = copy.deepcopy(document)
        here: Any = edited
        path = self.leaf.path
        for step, following in itertools.pairwise(path):
            if isinstance(step, int):
                while len(here) <= step:
                    here.append({})
            elif here.get(step) is None:
                here[step] = [] if isinstance(following, int) else {}
            here = here[step]
        here.update(COMPANIONS.get(path, {}))
        here[path[-1]] = self.value
        return edited

    def __repr__(self) -> str:  # what hypothesis prints for a failing example
        return f"HostileEdit({self.field_path} = {self.value!r}: {self.what}, expect {self.expect.value})"


def to_json(document: dict[str, Any]) -> bytes:
    """The request body; ASCII escapes, since a lone surrogate has no UTF-8 form."""
    numbers: dict[str, str] = {}

    def encode(value: Any) -> Any:
        if isinstance(value, JsonNumber):
            marker = f"@@number{len(numbers)}@@"
            numbers[marker] = value.text
            return marker
        raise TypeError(type(value))

    text = json.dumps(document, default=encode)
    for marker, raw in numbers.items():
        text = text.replace(f'"{marker}"', raw)
    return text.encode()


# --- the fields of the model ---------------------------------------------------------------------------


def _unwrap(annotation: Any) -> tuple[Any, bool]:
    args = typing.get_args(annotation)
    if isinstance(annotation, types.UnionType) or typing.get_origin(annotation) is typing.Union:
        inner = [a for a in args if a is not type(None)]
        return inner[0], True
    return annotation, False


def _leaves(model: type[BaseModel], prefix: Path) -> Iterator[Leaf]:
    for name, info in model.model_fields.items():
        inner, _ = _unwrap(info.annotation)
        if typing.get_origin(inner) is list:
            (item,) = typing.get_args(inner)
            yield from _leaves(item, (*prefix, name, 0))
        elif isinstance(inner, type) and issubclass(inner, BaseModel):
            yield from _leaves(inner, (*prefix, name))
        else:
            yield Leaf((*prefix, name), inner, tuple(info.metadata), info.description or "")


LEAVES: tuple[Leaf, ...] = tuple(_leaves(DeclarationDocument, ()))
"""Every scalar field of the declaration document (lists at their first item)."""

# Bases: valid fixtures (the 50-line one only makes every example slower). A 转关 field is edited in a
# 转关 fixture, so that the edit is judged on its own and not refused for the block being out of place.
_TRANSIT_KINDS = ("transit_declaration", "transit_record_list")
BASES = tuple(b for b in fixtures.VALID_DECLARATIONS if b is not fixtures.fifty_line_export)
TRANSIT_BASES = tuple(b for b in BASES if b().kind.value in _TRANSIT_KINDS)

# Never negative: every number of the declaration is a quantity, price, amount, weight, rate, factor or
# count (a return is declared by its trade mode, not by a negative number). Never zero to declare (the
# GXB checks of the reference: GrossWet > 0, DeclTotal > 0; GQty and DeclPrice since DeclTotal = GQty x
# DeclPrice).
POSITIVE_TO_DECLARE = {
    ("goods", "g_qty"),
    ("goods", "decl_price"),
    ("goods", "decl_total"),
    ("head", "gross_wet"),
}

# A fee amount is judged with its mark (3: 总价) and currency: alone it is refused for the missing mark, which
# says nothing about the amount itself.
COMPANIONS: dict[Path, dict[str, str]] = {
    ("head", f"{fee}_rate"): {f"{fee}_mark": "3", f"{fee}_curr": "USD"} for fee in ("fee", "insur", "other")
}

UNWRITABLE_CHARS = [chr(c) for c in (*range(0x00, 0x09), 0x0B, 0x0C, *range(0x0E, 0x20))] + [
    "\ufffe",
    "\uffff",
    "\ud800",
    "\udbff",
    "\udc00",
    "\udfff",
]
_NON_BMP = st.characters(min_codepoint=0x10000, max_codepoint=0x10FFFF, exclude_categories=("Cs",))
# Pieces of text that need escaping or look like markup, and characters XML 1.0 allows but few expect.
_MARKUP = st.sampled_from(
    [*"<>&\"'\r\n\t ", "]]>", "<!--", "&amp;", "<![CDATA[", "&#0;", "\u2028", "\x7f", "\x85", "\ufffd"]
)
_CJK = st.characters(min_codepoint=0x4E00, max_codepoint=0x9FFF)


def _text(size: st.SearchStrategy[int], alphabet: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    return size.flatmap(lambda n: st.text(alphabet, min_size=n, max_size=n))


@st.composite
def _string_edit(draw: st.DrawFn, leaf: Leaf) -> HostileEdit:
    limit = int(leaf.constraint("max_length") or 100)
    sizes = st.integers(min_value=1, max_value=max(1, min(limit, 40)))
    choice = draw(st.sampled_from(["unwritable", "over-long", "non-BMP", "markup", "padded", "date"]))
    if choice == "unwritable":
        char = draw(st.sampled_from(UNWRITABLE_CHARS))
        body = draw(_text(st.integers(0, max(0, min(limit, 20) - 1)), _CJK | st.characters(codec="ascii")))
        at = draw(st.integers(0, len(body)))
        return HostileEdit(leaf, body[:at] + char + body[at:], f"U+{ord(char):04X}", Expect.REFUSE)
    if choice == "over-long":
        extra = draw(st.integers(1, 64))
        alphabet = draw(st.sampled_from([_CJK, st.just("9"), _NON_BMP]))
        text = draw(_text(st.just(limit + extra), alphabet))
        return HostileEdit(leaf, text, f"{limit + extra} characters, {limit} allowed", Expect.REFUSE)
    if choice == "non-BMP":
        return HostileEdit(leaf, draw(_text(sizes, _NON_BMP | _CJK)), "non-BMP characters", Expect.CARRY)
    if choice == "markup":
        text = "".join(draw(st.lists(_MARKUP | _CJK, min_size=1, max_size=20)))[:limit].strip() or "&"
        return HostileEdit(leaf, text, "markup and whitespace", Expect.CARRY)
    if choice == "padded":
        core = draw(_text(st.integers(1, max(1, min(limit, 40) - 2)), _CJK | st.characters(codec="ascii")))
        text = f" {core.strip() or 'x'} "[:limit]
        return HostileEdit(leaf, text, "leading and trailing spaces", Expect.CARRY)
    if "yyyyMMdd" in leaf.description:
        impossible = draw(
            st.sampled_from(
                ["20240230", "20231301", "20230000", "00000000", "20231232", "2023023a", "2023 1 1"]
            )
        )
        return HostileEdit(leaf, impossible, "not a calendar date", Expect.FLAG)
    return HostileEdit(leaf, draw(_text(sizes, st.characters(codec="ascii"))), "any ASCII", Expect.CARRY)


def _block_and_name(leaf: Leaf) -> tuple[str, str]:
    return str(leaf.path[0]), leaf.name


@st.composite
def _decimal_edit(draw: st.DrawFn, leaf: Leaf) -> HostileEdit:
    digits = int(leaf.constraint("max_digits"))
    places = int(leaf.constraint("decimal_places"))
    top = Decimal(10) ** (digits - places) - Decimal(1).scaleb(-places)
    smallest = Decimal(1).scaleb(-places)
    in_range = st.decimals(
        min_value=smallest, max_value=top, places=places, allow_nan=False, allow_infinity=False
    )
    choice = draw(
        st.sampled_from(["negative", "zero", "extreme", "too precise", "too large", "not a number"])
    )
    if choice == "negative":
        value = -draw(in_range | st.sampled_from([smallest, top]))
        return HostileEdit(leaf, str(value), "negative", Expect.FLAG)
    if choice == "zero":
        value = draw(st.sampled_from(["0", "0.0", "-0", JsonNumber("0"), JsonNumber("-0.0"), "0E+3"]))
        expect = Expect.FLAG if _block_and_name(leaf) in POSITIVE_TO_DECLARE else Expect.CARRY
        return HostileEdit(leaf, value, "zero", expect)
    if choice == "extreme":
        value = draw(
            st.sampled_from(
                [str(top), str(smallest), f"{smallest}0000", "1E+3", JsonNumber("1e2"), JsonNumber(str(top))]
            )
        )
        return HostileEdit(leaf, value, "extreme but valid magnitude or scale", Expect.CARRY)
    if choice == "too precise":
        value = draw(
            st.sampled_from(
                [Decimal(3).scaleb(-(places + 1)), Decimal("1.5") + Decimal(1).scaleb(-(places + 3))]
            )
        )
        return HostileEdit(leaf, str(value), f"more than {places} decimal places", Expect.REFUSE)
    if choice == "too large":
        value = draw(
            st.sampled_from(
                [str(Decimal(10) ** (digits - places)), "1E+40", JsonNumber("1e400"), JsonNumber("9" * 40)]
            )
        )
        return HostileEdit(leaf, value, f"more than {digits} digits", Expect.REFUSE)
    value = draw(st.sampled_from(["NaN", "-Infinity", "Infinity", "sNaN", "", "1,5", "12 kg", True, [], {}]))
    # "" is an absent value (a draft may leave a field empty), not a hostile one.
    return HostileEdit(leaf, value, "not a number", Expect.CARRY if value == "" else Expect.REFUSE)


@st.composite
def _integer_edit(draw: st.DrawFn, leaf: Leaf) -> HostileEdit:
    low = leaf.constraint("ge")
    high = leaf.constraint("le")
    below = leaf.constraint("lt")
    low = 0 if low is None else int(low)
    high = int(high) if high is not None else (int(below) - 1 if below is not None else 10**9 - 1)
    choice = draw(st.sampled_from(["below", "above", "edge", "not an integer"]))
    if choice == "below":
        return HostileEdit(
            leaf,
            draw(st.sampled_from([low - 1, -(2**63), -1 if low >= 0 else low - 1])),
            "below the minimum",
            Expect.REFUSE,
        )
    if choice == "above":
        return HostileEdit(
            leaf, draw(st.sampled_from([high + 1, 2**63, 10**30])), "above the maximum", Expect.REFUSE
        )
    if choice == "edge":
        return HostileEdit(leaf, draw(st.sampled_from([low, high])), "at a bound", Expect.CARRY)
    value = draw(st.sampled_from([JsonNumber("1.5"), JsonNumber("1e400"), "1.5", "NaN", "一", [], {}]))
    return HostileEdit(leaf, value, "not an integer", Expect.REFUSE)


@st.composite
def _choice_edit(draw: st.DrawFn, leaf: Leaf) -> HostileEdit:
    value = draw(st.sampled_from(["X", "i", "e ", "", "\x00", 1, None, ["E"]]))
    return HostileEdit(leaf, value, "not one of the allowed values", Expect.REFUSE)


def _edit_of(leaf: Leaf) -> st.SearchStrategy[HostileEdit]:
    if leaf.annotation is str:
        return _string_edit(leaf)
    if leaf.annotation is Decimal:
        return _decimal_edit(leaf)
    if leaf.annotation is int:
        return _integer_edit(leaf)
    if typing.get_origin(leaf.annotation) is typing.Literal or (
        isinstance(leaf.annotation, type) and issubclass(leaf.annotation, Enum)
    ):
        return _choice_edit(leaf)
    raise NotImplementedError(f"{leaf.path}: {leaf.annotation}")


def hostile_edits(leaves: tuple[Leaf, ...] = LEAVES) -> st.SearchStrategy[HostileEdit]:
    """One hostile value for one field of the declaration model.

    Texts, numbers, integers and choices are drawn equally often: the model has ten times more texts than
    numbers, and the numbers are where a customs value goes wrong quietly.
    """
    groups: dict[str, list[Leaf]] = {}
    for leaf in leaves:
        kind = leaf.annotation if leaf.annotation in (str, Decimal, int) else "choice"
        groups.setdefault(str(kind), []).append(leaf)
    return st.one_of(*(st.sampled_from(group) for group in groups.values())).flatmap(_edit_of)


def leaf_at(path: Path) -> Leaf:
    """The field at `path`, e.g. `leaf_at(("goods", 0, "g_qty"))`."""
    [leaf] = [leaf for leaf in LEAVES if leaf.path == path]
    return leaf


@st.composite
def hostile_documents(
    draw: st.DrawFn, leaves: tuple[Leaf, ...] = LEAVES
) -> tuple[DeclarationDocument, HostileEdit]:
    """A valid fixture and one hostile edit to it (apply it to the fixture's JSON)."""
    edit = draw(hostile_edits(leaves))
    base = draw(st.sampled_from(TRANSIT_BASES if edit.leaf.in_transit else BASES))
    return base(), edit
