"""导入 (F-33): the rows of the 表头 and 表体 sheets turned into declaration documents, with a finding for every
cell, row or declaration that cannot be imported. Pure: it reads rows of cell values, whoever read the file.

A cell's value is taken as the spreadsheet holds it: text as text (trimmed), a number typed into a text field
as its digits (a code typed as a number has lost its leading zeros, which the code-table check then reports),
a date typed into a text field as yyyyMMdd (the wire format of the customs dates), a decimal from its
shortest decimal text (0.1 stays 0.1). Each declaration is then checked as 暂存 checks it, and each of the
kernel's findings is pointed at the cell of its field.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time
from decimal import Decimal, InvalidOperation
from typing import Any, Literal

from pydantic import BaseModel, ValidationError

from guanwu.contracts.declaration import DecHead, DeclarationDocument, DecList, infer_kind
from guanwu.contracts.declaration.goods import MAX_GOODS_LINES
from guanwu.customs.rules import Finding, Level
from guanwu.declaration.domain.imports import ImportFinding, too_many_declarations
from guanwu.declaration.domain.imports_layout import (
    IE_FLAG_CODE,
    KEY_CODE,
    Column,
    SheetLayout,
    ValueKind,
    code_of_header,
    goods_layout,
    head_layout,
)
from guanwu.declaration.domain.model import validate

Row = tuple[int, Sequence[Any]]
"""A sheet row: its number (1 = the header row) and its cell values from column A."""

# XML 1.0 cannot carry these (the customs message would not be writable); the API refuses them too.
_UNWRITABLE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
_GOODS_PATH = re.compile(r"^goods\[(\d+)\]\.(\w+)")
_HEAD_PATH = re.compile(r"^head\.(\w+)")

_ZH_BY_TYPE = {
    "string_too_long": "长度超过上限",
    "int_parsing": "应为整数",
    "int_from_float": "应为整数",
    "decimal_parsing": "应为数字",
    "decimal_max_digits": "数字位数超过上限",
    "decimal_max_places": "小数位数超过上限",
    "decimal_whole_digits": "整数位数超过上限",
    "greater_than_equal": "数值过小",
    "less_than": "数值过大",
    "less_than_equal": "数值过大",
    "literal_error": "取值不在允许范围内",
}


def column_letter(number: int) -> str:
    """A, B, …, Z, AA, … for 1, 2, …"""
    letters = ""
    while number:
        number, rest = divmod(number - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


class CellProblem(Exception):
    def __init__(self, zh: str, en: str) -> None:
        super().__init__(en)
        self.zh, self.en = zh, en


def _text(raw: Any) -> str:
    if isinstance(raw, bool):
        return "1" if raw else "0"
    if isinstance(raw, datetime | date):
        return raw.strftime("%Y%m%d")
    if isinstance(raw, time):
        return raw.strftime("%H%M%S")
    if isinstance(raw, float):
        return str(int(raw)) if raw.is_integer() else repr(raw)
    return str(raw).strip()


def cell_value(raw: Any, column: Column) -> Any:
    """The field value of a cell (None: empty), or CellProblem."""
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return None
    if column.kind is ValueKind.TEXT:
        text = _text(raw)
        if char := _UNWRITABLE.search(text):
            point = f"U+{ord(char[0]):04X}"
            raise CellProblem(
                f"含有报关报文（XML）无法承载的字符 {point}", f"Contains {point}, which XML cannot carry"
            )
        return text
    if isinstance(raw, bool | datetime | date | time):
        raise CellProblem("应为数字", "A number is expected")
    if column.kind is ValueKind.DECIMAL:
        try:
            number = Decimal(repr(raw) if isinstance(raw, float) else str(raw).strip())
        except InvalidOperation:
            raise CellProblem("应为数字", "A number is expected") from None
        if not number.is_finite():
            raise CellProblem("应为数字", "A number is expected")
        return number
    if isinstance(raw, float) and raw.is_integer():
        return int(raw)
    if isinstance(raw, int) or (isinstance(raw, str) and raw.strip().isdigit()):
        return int(raw)
    raise CellProblem("应为整数", "A whole number is expected")


@dataclass
class _Sheet:
    layout: SheetLayout
    columns: dict[int, Column] = field(default_factory=dict)  # 0-based index → column
    letters: dict[str, str] = field(default_factory=dict)  # wire code → column letter

    def finding(self, row: int | None, code: str | None, zh: str, en: str, **more: Any) -> ImportFinding:
        column = self.layout.by_code().get(code) if code else None
        return ImportFinding(
            sheet=self.layout.name,
            row=row,
            column=self.letters.get(code) if code else None,
            field=code,
            label_zh=column.label_zh if column else None,
            message_zh=zh,
            message_en=en,
            **more,
        )


def _read_headers(sheet: _Sheet, headers: Sequence[Any], findings: list[ImportFinding]) -> None:
    name = sheet.layout.name
    for index, raw in enumerate(headers):
        if raw is None or not str(raw).strip():
            continue
        letter = column_letter(index + 1)
        code = code_of_header(str(raw), sheet.layout)
        if code is None or code not in sheet.layout.by_code():
            findings.append(
                ImportFinding(
                    sheet=name,
                    row=1,
                    column=letter,
                    message_zh=f"未知的列「{raw}」：列名应为模板中的名称（含括号中的字段代码）",
                    message_en=f"Unknown column {raw!r}: use the template's headers (with the field code in brackets)",
                )
            )
        elif code in sheet.letters:
            findings.append(
                ImportFinding(
                    sheet=name,
                    row=1,
                    column=letter,
                    field=code,
                    message_zh=f"字段 {code} 的列重复（另见 {sheet.letters[code]} 列）",
                    message_en=f"Field {code} has two columns (also column {sheet.letters[code]})",
                )
            )
        else:
            sheet.columns[index] = sheet.layout.by_code()[code]
            sheet.letters[code] = letter
    if KEY_CODE not in sheet.letters:
        findings.append(
            ImportFinding(
                sheet=name,
                row=1,
                field=KEY_CODE,
                message_zh="缺少「单据序号（No）」列：它把表体的商品行对应到表头的报关单",
                message_en="The column 单据序号 (No) is missing: it ties goods rows to their declaration",
            )
        )


def _values(
    sheet: _Sheet, number: int, cells: Sequence[Any], findings: list[ImportFinding]
) -> dict[str, Any]:
    """The row's values by wire code; a finding for each cell that cannot be read, and for a value in a
    column that has no header."""
    values: dict[str, Any] = {}
    for index, raw in enumerate(cells):
        if raw is None:  # most cells of a row: nothing to look up
            continue
        column = sheet.columns.get(index)
        if column is None:
            if not isinstance(raw, str) or raw.strip():
                findings.append(
                    ImportFinding(
                        sheet=sheet.layout.name,
                        row=number,
                        column=column_letter(index + 1),
                        message_zh="此列没有可识别的列名，其中的值无法导入",
                        message_en="This column has no header the import knows; its values cannot be imported",
                    )
                )
            continue
        try:
            value = cell_value(raw, column)
        except CellProblem as problem:
            findings.append(sheet.finding(number, column.code, problem.zh, problem.en))
            continue
        if value is not None:
            values[column.code] = value
    return values


@dataclass
class _Draft:
    key: str
    row: int
    head: dict[str, Any]
    goods: list[tuple[int, dict[str, Any]]] = field(default_factory=list)


@dataclass
class ReadDeclaration:
    """One declaration read from the file: the rows it came from and its document."""

    key: str
    head_row: int
    goods_rows: list[int]
    document: DeclarationDocument
    findings: list[Finding] = field(default_factory=list)
    """暂存's findings (warnings only, once the import is allowed): the draft keeps them."""


@dataclass
class ReadResult:
    declarations: list[ReadDeclaration]
    findings: list[ImportFinding]

    @property
    def errors(self) -> int:
        return sum(1 for f in self.findings if f.severity == "error")

    @property
    def goods_lines(self) -> int:
        return sum(len(d.goods_rows) for d in self.declarations)


class WorkbookRows:
    """Feed it the 表头 sheet, then the 表体 sheet; `result()` checks every declaration and answers them with
    every finding. `ie_flag` is the upload's 进出口标志 for head rows that leave it empty."""

    def __init__(self, *, ie_flag: Literal["I", "E"] | None, max_declarations: int) -> None:
        self._ie_flag = ie_flag
        self._max = max_declarations
        self.head = _Sheet(head_layout())
        self.goods = _Sheet(goods_layout())
        self.findings: list[ImportFinding] = []
        self._drafts: dict[str, _Draft] = {}

    def read_head(self, headers: Sequence[Any], rows: Iterable[Row]) -> None:
        _read_headers(self.head, headers, self.findings)
        for number, cells in rows:
            values = _values(self.head, number, cells, self.findings)
            if not values:
                continue
            key = values.pop(KEY_CODE, None)
            if key is None:
                self.findings.append(
                    self.head.finding(number, KEY_CODE, "单据序号必填", "单据序号 (No) is required")
                )
                continue
            if key in self._drafts:
                earlier = self._drafts[key].row
                self.findings.append(
                    self.head.finding(
                        number,
                        KEY_CODE,
                        f"单据序号 {key} 重复（另见第 {earlier} 行）",
                        f"单据序号 {key} is used twice (also row {earlier})",
                    )
                )
                continue
            if len(self._drafts) >= self._max:
                raise too_many_declarations(self._max)
            self._drafts[key] = _Draft(key, number, values)

    def read_goods(self, headers: Sequence[Any], rows: Iterable[Row]) -> None:
        _read_headers(self.goods, headers, self.findings)
        for number, cells in rows:
            values = _values(self.goods, number, cells, self.findings)
            if not values:
                continue
            key = values.pop(KEY_CODE, None)
            draft = self._drafts.get(key) if key is not None else None
            if draft is None:
                zh, en = (
                    ("单据序号必填", "单据序号 (No) is required")
                    if key is None
                    else (f"表头中没有单据序号 {key}", f"No 表头 row has 单据序号 {key}")
                )
                self.findings.append(self.goods.finding(number, KEY_CODE, zh, en))
                continue
            if len(draft.goods) >= MAX_GOODS_LINES:
                self.findings.append(
                    self.goods.finding(
                        number,
                        KEY_CODE,
                        f"单据序号 {key} 的商品超过 {MAX_GOODS_LINES} 项：一份报关单最多 {MAX_GOODS_LINES} 项商品",
                        f"单据序号 {key} has more than {MAX_GOODS_LINES} goods lines, the most one declaration holds",
                    )
                )
                continue
            draft.goods.append((number, values))

    def result(self) -> ReadResult:
        declarations = []
        for draft in self._drafts.values():
            read = self._declaration(draft)
            if read is not None:
                declarations.append(read)
                self.findings += self._checked(read)
        return ReadResult(declarations, self.findings)

    # ── one declaration ───────────────────────────────────────────────────────────────────────────────

    def _declaration(self, draft: _Draft) -> ReadDeclaration | None:
        """The declaration of a head row and its goods rows, built from the cells that could be read (so the
        kernel's checks still see the rest); None when its head cannot be built at all."""
        head_values = dict(draft.head)
        if IE_FLAG_CODE not in head_values and self._ie_flag is not None:
            head_values[IE_FLAG_CODE] = self._ie_flag
        head = self._model(DecHead, self.head, draft.row, head_values)
        goods = []
        for position, (number, values) in enumerate(draft.goods, start=1):
            goods.append(self._model(DecList, self.goods, number, {"GNo": position, **values}))
        if not isinstance(head, DecHead):
            return None
        lines = [line for line in goods if isinstance(line, DecList)]
        document = DeclarationDocument(kind=infer_kind(head), head=head, goods=lines)
        return ReadDeclaration(draft.key, draft.row, [number for number, _ in draft.goods], document)

    def _model(
        self, model: type[BaseModel], sheet: _Sheet, row: int, values: dict[str, Any]
    ) -> BaseModel | None:
        """The block from the row's values; each value the model refuses is a finding and is left out."""
        columns = sheet.layout.by_code()
        data = {columns[code].attr: value for code, value in values.items() if columns[code].attr}
        try:
            return model.model_validate(data)
        except ValidationError as exc:
            refused = self._refused(exc, sheet, row)
        kept = {attr: value for attr, value in data.items() if attr not in refused}
        try:
            return model.model_validate(kept)
        except ValidationError:  # a required field is missing (IEFlag): reported above
            return None

    def _refused(self, exc: ValidationError, sheet: _Sheet, row: int) -> set[str]:
        attrs = sheet.layout.by_attr()
        refused = set()
        for error in exc.errors():
            attr = str(error["loc"][0]) if error["loc"] else None
            column = attrs.get(attr) if attr else None
            code = column.code if column else None
            if error["type"] == "missing" and code == IE_FLAG_CODE:
                zh = "进出口标志必填（I 进口 / E 出口），或在上传时指定"
                en = "IEFlag (I/E) is required, in the row or with the upload"
            else:
                zh, en = _ZH_BY_TYPE.get(error["type"], "取值不正确"), error["msg"]
            self.findings.append(sheet.finding(row, code, zh, en))
            if attr:
                refused.add(attr)
        return refused

    def _checked(self, read: ReadDeclaration) -> list[ImportFinding]:
        """暂存's checks of the declaration (kept with it), each finding pointed at the cell of its field; none
        about a cell that could not be read (its own finding says why)."""
        read.findings = validate(read.document, Level.STAGE)
        unread = {(f.sheet, f.row, f.field) for f in self.findings if f.field}
        located = (self._located(read, finding) for finding in read.findings)
        return [f for f in located if (f.sheet, f.row, f.field) not in unread]

    def _located(self, read: ReadDeclaration, finding: Finding) -> ImportFinding:
        extra = {
            "field_path": finding.field_path,
            "rule_code": finding.rule_code,
            "severity": finding.severity.value,
        }
        goods = _GOODS_PATH.match(finding.field_path)
        if goods and int(goods[1]) < len(read.goods_rows):
            code = _code_of(self.goods.layout, goods[2])
            row = read.goods_rows[int(goods[1])]
            return self.goods.finding(row, code, finding.message_zh, finding.message_en, **extra)
        head = _HEAD_PATH.match(finding.field_path)
        code = _code_of(self.head.layout, head[1]) if head else None
        return self.head.finding(read.head_row, code, finding.message_zh, finding.message_en, **extra)


def _code_of(layout: SheetLayout, attr: str) -> str | None:
    column = layout.by_attr().get(attr)
    return column.code if column else None
