"""导入模板 (F-33): the .xlsx a preparer fills in — sheets 表头 and 表体 with Chinese headers carrying the field
codes, drop-down lists from the kernel's code tables (sheet 代码表, code and name side by side), text-formatted
columns so codes keep their leading zeros, and the instructions (sheet 说明).

Written with openpyxl in write-only mode, so the same function writes a filled workbook of any length in the
same memory (`documents`: what tests and the bench import).
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Sequence
from decimal import Decimal
from typing import Any

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter, quote_sheetname
from openpyxl.worksheet._write_only import WriteOnlyWorksheet
from openpyxl.worksheet.datavalidation import DataValidation

from guanwu.contracts.declaration import DeclarationDocument
from guanwu.customs.codes import CodeTables, load_default_tables
from guanwu.customs.rules.fields import TABLE_ZH, field_specs
from guanwu.customs.rules.finding import Severity
from guanwu.declaration.domain.imports_layout import (
    CODES_SHEET,
    INSTRUCTIONS_SHEET,
    Column,
    SheetLayout,
    ValueKind,
    goods_layout,
    head_layout,
)

CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
FILE_NAME = "报关单导入模板.xlsx"

_BOLD = Font(bold=True)
_REQUIRED = Font(bold=True, color="C00000")
_HEADER_FILL = PatternFill("solid", fgColor="DDEBF7")
_WRAP = Alignment(wrap_text=True, vertical="top")

INSTRUCTIONS = (
    ("报关单导入说明 / How to fill in this workbook", True),
    (
        "1. 「表头」每行一份报关单，「表体」每行一项商品；两张表的「单据序号（No）」把商品对应到报关单（任意文字，表头中不可重复）。",
        False,
    ),
    (
        "   One 表头 row per declaration, one 表体 row per goods line; 单据序号 (No) ties each goods line to its declaration.",
        False,
    ),
    (
        "2. 列名中的括号内是字段代码（报文字段名）；可以删除不用的列、调整列顺序，但不要改动括号内的代码。带 * 的列暂存时必填。",
        False,
    ),
    (
        "   The code in brackets is the customs field code: unused columns may be deleted or moved, the code must stay. * = required to save a draft.",
        False,
    ),
    (
        "3. 代码类字段可从下拉列表选择，代码与名称见「代码表」；单元格已设为文本格式，请保留代码前面的 0（如监管方式 0110）。",
        False,
    ),
    (
        "   Coded fields offer drop-down lists (names in 代码表); cells are text so leading zeros stay (trade mode 0110).",
        False,
    ),
    (
        "4. 一份报关单最多 50 项商品；商品序号（GNo）可留空，按表体中的先后顺序编号。日期按 yyyyMMdd 填写（如 20260115）。",
        False,
    ),
    (
        "   At most 50 goods lines per declaration; GNo may be left empty (numbered in order). Dates as yyyyMMdd.",
        False,
    ),
    ("5. 进出口标志（IEFlag）填 I（进口）或 E（出口）；整个文件同为进口或出口时也可在上传时指定。", False),
    (
        "   IEFlag: I (import) or E (export); or give it once with the upload when the whole file is one or the other.",
        False,
    ),
    (
        "6. 导入前逐行校验（与暂存相同的逻辑校验）：任何一处错误都不会导入任何报关单，返回每处错误所在的工作表、行、列和原因；警告不阻止导入。",
        False,
    ),
    (
        "   Every row is checked as 暂存 checks a draft: one error imports nothing and every error is answered with its sheet, row and column; warnings do not block.",
        False,
    ),
    (
        "7. 导入生成的是草稿（暂存），之后照常修改、提交审核。同一文件重复上传不会重复生成，返回第一次生成的草稿。",
        False,
    ),
    (
        "   Imported declarations are drafts. Uploading the same file again creates nothing new and answers the same drafts.",
        False,
    ),
    (
        "8. 不接受：公式（以 = 开头的单元格，请粘贴为数值）、宏（.xlsm）、加密文件、.xls/.csv、超大或异常压缩的文件。",
        False,
    ),
    (
        "   Refused: formulas (paste values), macros (.xlsm), encrypted files, .xls/.csv, oversized or abnormally compressed files.",
        False,
    ),
)


def _header_cells(sheet: WriteOnlyWorksheet, layout: SheetLayout) -> list[WriteOnlyCell]:
    cells = []
    for column in layout.columns:
        cell = WriteOnlyCell(sheet, value=column.header)
        cell.font = _REQUIRED if column.stage_required else _BOLD
        cell.fill = _HEADER_FILL
        cell.alignment = _WRAP
        cells.append(cell)
    return cells


def _code_lists(sheet: WriteOnlyWorksheet, tables: CodeTables, names: Sequence[str]) -> dict[str, str]:
    """Each table in two columns (code, name) side by side; answers each table's code range formula."""
    columns = [list(tables[name]) for name in names]
    sheet.append([part for name in names for part in (f"{TABLE_ZH.get(name, name)}（{name}）", "名称")])
    for index in range(max((len(entries) for entries in columns), default=0)):
        row: list[Any] = []
        for entries in columns:
            entry = entries[index] if index < len(entries) else None
            row += [_text_cell(sheet, entry.code), entry.name_zh] if entry else [None, None]
        sheet.append(row)
    for position in range(len(names)):
        sheet.column_dimensions[get_column_letter(2 * position + 1)].width = 14
        sheet.column_dimensions[get_column_letter(2 * position + 2)].width = 24
    return {
        name: f"{quote_sheetname(CODES_SHEET)}!${get_column_letter(2 * i + 1)}$2:"
        f"${get_column_letter(2 * i + 1)}${len(columns[i]) + 1}"
        for i, name in enumerate(names)
    }


def _severity(column: Column) -> Severity:
    for spec in field_specs():
        if spec.code == column.code and spec.table == column.table:
            return spec.table_severity
    return Severity.ERROR


def _validations(sheet: WriteOnlyWorksheet, layout: SheetLayout, ranges: dict[str, str], rows: int) -> None:
    for index, column in enumerate(layout.columns, start=1):
        letter = get_column_letter(index)
        if column.table in ranges:
            formula = ranges[column.table]
            strict = _severity(column) is Severity.ERROR
        elif column.values:
            formula, strict = f'"{",".join(column.values)}"', True
        else:
            continue
        validation = DataValidation(
            type="list",
            formula1=formula,
            allow_blank=True,
            showErrorMessage=True,
            errorStyle="stop" if strict else "warning",
            errorTitle=column.label_zh,
            error=f"{column.label_zh}：请从列表中选择（代码见「代码表」）",
        )
        validation.add(f"{letter}2:{letter}{rows}")
        sheet.data_validations.append(validation)


def _prepare(sheet: WriteOnlyWorksheet, layout: SheetLayout) -> None:
    for index, column in enumerate(layout.columns, start=1):
        dimension = sheet.column_dimensions[get_column_letter(index)]
        dimension.width = max(12, min(40, len(column.header) * 2))
        if column.kind is ValueKind.TEXT:
            dimension.number_format = "@"
    sheet.freeze_panes = "B2"
    sheet.append(_header_cells(sheet, layout))


def _text_cell(sheet: WriteOnlyWorksheet, text: str) -> WriteOnlyCell:
    cell = WriteOnlyCell(sheet, value=text)
    cell.data_type = "s"  # text, always: never read back as a formula or a number
    return cell


def _cell_of(sheet: WriteOnlyWorksheet, value: Any) -> Any:
    if isinstance(value, Decimal):
        as_float = float(value)
        return as_float if Decimal(repr(as_float)) == value else _text_cell(sheet, str(value))
    if isinstance(value, str):
        return _text_cell(sheet, value)
    return value


def _row(sheet: WriteOnlyWorksheet, layout: SheetLayout, key: str, block: Any) -> list[Any]:
    values = []
    for column in layout.columns:
        value = key if column.attr is None else getattr(block, column.attr)
        values.append(None if value is None else _cell_of(sheet, value))
    return values


def write_template(
    target: io.BufferedIOBase | io.BytesIO | str,
    documents: Iterable[DeclarationDocument] = (),
    *,
    tables: CodeTables | None = None,
    rows_with_lists: int = 20_001,
) -> None:
    """The import template; with `documents`, filled in (单据序号 1, 2, …)."""
    tables = tables if tables is not None else load_default_tables()
    workbook = Workbook(write_only=True)
    head = workbook.create_sheet(head_layout().name)
    goods = workbook.create_sheet(goods_layout().name)
    instructions = workbook.create_sheet(INSTRUCTIONS_SHEET)
    codes = workbook.create_sheet(CODES_SHEET)
    used = sorted(
        {c.table for layout in (head_layout(), goods_layout()) for c in layout.columns if c.table in tables}
    )
    ranges = _code_lists(codes, tables, used)
    for sheet, layout in ((head, head_layout()), (goods, goods_layout())):
        _validations(sheet, layout, ranges, rows_with_lists)
        _prepare(sheet, layout)
    for number, document in enumerate(documents, start=1):
        head.append(_row(head, head_layout(), str(number), document.head))
        for line in document.goods:
            goods.append(_row(goods, goods_layout(), str(number), line))
    instructions.column_dimensions["A"].width = 150
    for text, bold in INSTRUCTIONS:
        cell = WriteOnlyCell(instructions, value=text)
        cell.font = _BOLD if bold else Font()
        instructions.append([cell])
    workbook.save(target)


def template_bytes(documents: Iterable[DeclarationDocument] = ()) -> bytes:
    buffer = io.BytesIO()
    write_template(buffer, documents)
    return buffer.getvalue()
