"""Spreadsheet exports (anomaly's 列表导出, review's 审核留痕): rows written to an .xlsx file with openpyxl in
write-only mode, so a sheet of any length takes the same memory (rows go to a temporary file as they come); the
file is then streamed and removed. Text is always text: a value starting with "=" is never a formula."""

from __future__ import annotations

import os
import tempfile
from collections.abc import AsyncIterable, Iterator, Sequence
from datetime import date, datetime
from pathlib import Path
from typing import Any

import anyio.to_thread
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Font
from openpyxl.worksheet._write_only import WriteOnlyWorksheet

CHUNK = 64 * 1024
_BOLD = Font(bold=True)


def _cell(sheet: WriteOnlyWorksheet, value: Any) -> Any:
    if isinstance(value, str):
        cell = WriteOnlyCell(sheet, value=ILLEGAL_CHARACTERS_RE.sub("", value))
        cell.data_type = "s"  # text, always: a value starting with "=" is not a formula to run
        return cell
    if isinstance(value, datetime):
        cell = WriteOnlyCell(sheet, value=value)
        cell.number_format = "yyyy-mm-dd hh:mm:ss"
        return cell
    if isinstance(value, date):
        cell = WriteOnlyCell(sheet, value=value)
        cell.number_format = "yyyy-mm-dd"
        return cell
    return value


async def write_xlsx(title: str, headers: Sequence[str], rows: AsyncIterable[Sequence[Any]]) -> Path:
    """A temporary .xlsx with one sheet: the header row (bold), then `rows` as they come. The caller removes
    the file (`streamed` does)."""
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title)
    header_cells = []
    for header in headers:
        cell = WriteOnlyCell(sheet, value=header)
        cell.font = _BOLD
        header_cells.append(cell)
    sheet.append(header_cells)
    async for row in rows:
        sheet.append([_cell(sheet, value) for value in row])
    return await anyio.to_thread.run_sync(_saved, workbook)


def _saved(workbook: Workbook) -> Path:
    handle, name = tempfile.mkstemp(prefix="guanwu-export-", suffix=".xlsx")
    os.close(handle)
    path = Path(name)
    try:
        workbook.save(path)
    except BaseException:
        path.unlink(missing_ok=True)
        raise
    return path


def streamed(path: Path) -> Iterator[bytes]:
    """The file's bytes a chunk at a time; the file is removed once read (or when the reader goes away)."""
    try:
        with path.open("rb") as file:
            while chunk := file.read(CHUNK):
                yield chunk
    finally:
        path.unlink(missing_ok=True)
