"""Workbooks for the import tests (导入, F-33): filled templates, and hostile files made by rewriting their zip."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Callable, Sequence
from typing import Any

import httpx
from openpyxl import load_workbook

from guanwu.contracts.declaration import DeclarationDocument
from guanwu.customs import fixtures
from guanwu.declaration.adapters.xlsx_template import write_template

IMPORTS = "/api/declaration/imports"
HEAD_PART = "xl/worksheets/sheet1.xml"  # 表头: the first sheet the template writes
GOODS_PART = "xl/worksheets/sheet2.xml"  # 表体


def importable(document: DeclarationDocument) -> DeclarationDocument:
    """The document as the template carries it: 表头 and 表体 only (no containers, licences, 随附单据)."""
    return DeclarationDocument(kind=document.kind, head=document.head, goods=document.goods)


def filled(documents: Sequence[DeclarationDocument]) -> bytes:
    buffer = io.BytesIO()
    write_template(buffer, [importable(d) for d in documents])
    return buffer.getvalue()


def valid_documents() -> list[DeclarationDocument]:
    return [fixtures.export_sea_general_trade(), fixtures.import_general(), fixtures.export_air()]


def edited(content: bytes, sheet: str, edit: Callable[[Any], None]) -> bytes:
    """The workbook with `edit` applied to one sheet (openpyxl, so the result is a normal workbook)."""
    workbook = load_workbook(io.BytesIO(content))
    edit(workbook[sheet])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def rezipped(
    content: bytes, replace: dict[str, bytes] | None = None, add: dict[str, bytes] | None = None
) -> bytes:
    """The same zip with members replaced or added (as raw bytes: what a hand-made hostile file holds)."""
    source = zipfile.ZipFile(io.BytesIO(content))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            data = (replace or {}).get(info.filename, source.read(info.filename))
            target.writestr(info.filename, data)
        for name, data in (add or {}).items():
            target.writestr(name, data)
    return buffer.getvalue()


async def upload(
    client: httpx.AsyncClient,
    content: bytes,
    headers: dict[str, str],
    *,
    name: str = "报关单导入.xlsx",
    ie_flag: str | None = None,
) -> httpx.Response:
    data = {"ie_flag": ie_flag} if ie_flag else None
    files = {"file": (name, content, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")}
    return await client.post(IMPORTS, files=files, data=data, headers=headers)
