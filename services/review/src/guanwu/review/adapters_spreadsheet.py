"""审核留痕导出: rows written to an .xlsx file with openpyxl in write-only mode (rows go to a temporary file as
they come, so an audit of any length takes the same memory); the file is then streamed and removed."""

from __future__ import annotations

import os
import tempfile
from collections.abc import AsyncIterable, Iterator, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

import anyio.to_thread
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Font
from openpyxl.worksheet._write_only import WriteOnlyWorksheet

CHUNK = 64 * 1024


def _cell(sheet: WriteOnlyWorksheet, value: Any) -> Any:
    if isinstance(value, str):
        cell = WriteOnlyCell(sheet, value=ILLEGAL_CHARACTERS_RE.sub("", value))
        cell.data_type = "s"  # always text: a comment starting with "=" is not a formula
        return cell
    if isinstance(value, datetime):
        cell = WriteOnlyCell(sheet, value=value)
        cell.number_format = "yyyy-mm-dd hh:mm:ss"
        return cell
    return value


async def write_xlsx(title: str, headers: Sequence[str], rows: AsyncIterable[Sequence[Any]]) -> Path:
    """A temporary .xlsx: a bold header row, then `rows` as they come. `streamed` removes it."""
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title)
    bold = Font(bold=True)
    header_cells = []
    for header in headers:
        cell = WriteOnlyCell(sheet, value=header)
        cell.font = bold
        header_cells.append(cell)
    sheet.append(header_cells)
    async for row in rows:
        sheet.append([_cell(sheet, value) for value in row])
    return await anyio.to_thread.run_sync(_saved, workbook)


def _saved(workbook: Workbook) -> Path:
    handle, name = tempfile.mkstemp(prefix="guanwu-review-audit-", suffix=".xlsx")
    os.close(handle)
    path = Path(name)
    try:
        workbook.save(path)
    except BaseException:
        path.unlink(missing_ok=True)
        raise
    return path


def streamed(path: Path) -> Iterator[bytes]:
    """The file a chunk at a time; removed once read (or when the reader goes away)."""
    try:
        with path.open("rb") as file:
            while chunk := file.read(CHUNK):
                yield chunk
    finally:
        path.unlink(missing_ok=True)
