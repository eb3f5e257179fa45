"""导入 (F-33): an uploaded workbook read as rows, after the checks a hostile file must fail first.

Order of the checks, each refusing before the next reads anything more:
1. the zip itself, from its central directory only (nothing decompressed): a zip at all (an .xls, a .csv or an
   encrypted workbook is not), no encrypted member, only stored/deflated members, at most `max_zip_members`,
   no member declaring more than `max_compression_ratio` times its compressed size (above 1 MB), at most
   `max_uncompressed_bytes` declared in all. Python's zipfile never inflates a member past the size its
   directory entry declares (a lying entry ends in a CRC error), so the declared sizes bound what is read;
2. no macros: no vbaProject.bin, no Excel 4.0 macro sheets, no ActiveX, no macro-enabled content type;
3. openpyxl in read-only mode (rows streamed from the zip, XML parsed by defusedxml: no entity expansion),
   with `data_only=False` so a formula shows as a formula: the first cell that is one (or text starting
   with `=`) refuses the file — nothing is evaluated;
4. rows: a sheet whose dimension says more than `max_rows`, or that yields more while streaming (the
   dimension is reset first: a sheet may lie about it), refuses the file.
"""

from __future__ import annotations

import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Literal

from openpyxl import load_workbook
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.formula import ArrayFormula, DataTableFormula

from guanwu.declaration.config import ImportLimits
from guanwu.declaration.domain.imports import (
    formula_found,
    macros_found,
    missing_sheet,
    not_a_workbook,
    too_many_rows,
    zip_bomb,
)
from guanwu.declaration.domain.imports_layout import GOODS_SHEET, HEAD_SHEET
from guanwu.declaration.domain.imports_rows import ReadResult, Row, WorkbookRows
from guanwu.platform.refusal import Refusal

_ZIP_MAGIC = b"PK\x03\x04"
_OLE_MAGIC = b"\xd0\xcf\x11\xe0"  # .xls, and an encrypted .xlsx (an OLE container)
_RATIO_FLOOR = 1024 * 1024
_MACRO_PARTS = ("vbaproject.bin", "xl/macrosheets/", "xl/activex/", "xl/dialogsheets/")


def check_zip(path: Path, limits: ImportLimits) -> None:
    """Refuse a file that is not a zip a workbook may be, from the directory alone (see the module)."""
    with path.open("rb") as file:
        magic = file.read(4)
    if magic == _OLE_MAGIC:
        raise not_a_workbook("旧版 .xls 或加密文件 / an .xls or encrypted file")
    if magic != _ZIP_MAGIC:
        raise not_a_workbook("不是 zip 格式 / not a zip file")
    try:
        with zipfile.ZipFile(path) as archive:
            _check_members(archive, limits)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, NotImplementedError, ValueError, OSError) as exc:
        raise not_a_workbook(f"zip: {type(exc).__name__}") from None


def _check_members(archive: zipfile.ZipFile, limits: ImportLimits) -> None:
    members = archive.infolist()
    if len(members) > limits.max_zip_members:
        raise zip_bomb(f"{len(members)} 个成员", f"{len(members)} members")
    total = 0
    for member in members:
        name = member.filename.lower()
        if member.flag_bits & 0x1:
            raise not_a_workbook("加密的成员 / an encrypted member")
        if member.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
            raise not_a_workbook(f"压缩方式 {member.compress_type} / compression {member.compress_type}")
        if any(part in name for part in _MACRO_PARTS):
            raise macros_found(member.filename)
        ratio = member.file_size / max(member.compress_size, 1)
        if member.file_size > _RATIO_FLOOR and ratio > limits.max_compression_ratio:
            raise zip_bomb(
                f"{member.filename} 压缩比 {ratio:.0f}:1", f"{member.filename} ratio {ratio:.0f}:1"
            )
        total += member.file_size
    if total > limits.max_uncompressed_bytes:
        raise zip_bomb(f"解压后 {total} 字节", f"{total} bytes uncompressed")
    names = {member.filename for member in members}
    if "[Content_Types].xml" not in names or "xl/workbook.xml" not in names:
        raise not_a_workbook("不是 Excel 工作簿 / not an Excel workbook")
    content_types = archive.read("[Content_Types].xml").lower()
    if b"macroenabled" in content_types or b"vbaproject" in content_types:
        raise macros_found("macro-enabled workbook (.xlsm)")


def _is_formula(value: Any) -> bool:
    return (isinstance(value, str) and value.startswith("=")) or isinstance(
        value, ArrayFormula | DataTableFormula
    )


def _rows(sheet: Any, name: str, max_rows: int) -> Iterator[Row]:
    for number, values in enumerate(sheet.iter_rows(values_only=True), start=1):
        if number > max_rows:
            raise too_many_rows(name, max_rows)
        for index, value in enumerate(values):
            if _is_formula(value):
                raise formula_found(name, f"{get_column_letter(index + 1)}{number}")
        yield number, values


def _feed(workbook: Any, name: str, limits: ImportLimits, feed: Any) -> None:
    if name not in workbook.sheetnames:
        raise missing_sheet(name)
    sheet = workbook[name]
    declared = sheet.max_row  # from <dimension>, when the sheet has one
    if declared is not None and declared > limits.max_rows:
        raise too_many_rows(name, limits.max_rows)
    sheet.reset_dimensions()  # read every row there is, not only those the dimension admits
    rows = _rows(sheet, name, limits.max_rows)
    first = next(rows, None)
    feed(first[1] if first else (), rows)


def read_workbook(path: Path, *, limits: ImportLimits, ie_flag: Literal["I", "E"] | None) -> ReadResult:
    """The declarations of the file at `path` and every finding, or the refusal of the whole file."""
    check_zip(path, limits)
    reader = WorkbookRows(ie_flag=ie_flag, max_declarations=limits.max_declarations)
    try:
        workbook = load_workbook(path, read_only=True, data_only=False, keep_links=False, keep_vba=False)
    except Refusal:
        raise
    except Exception as exc:  # openpyxl raises whatever its parsers do on a malformed part
        raise not_a_workbook(f"{type(exc).__name__}") from None
    try:
        _feed(workbook, HEAD_SHEET, limits, reader.read_head)
        _feed(workbook, GOODS_SHEET, limits, reader.read_goods)
    except Refusal:
        raise
    except Exception as exc:
        raise not_a_workbook(f"{type(exc).__name__}") from None
    finally:
        workbook.close()
    return reader.result()
