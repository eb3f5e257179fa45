"""The streamed .xlsx writer: what openpyxl and LibreOffice read back, cells typed (text stays text), rows
streamed out while they are still being read, memory flat in the number of rows, a second sheet past the
row limit."""

from __future__ import annotations

import asyncio
import csv
import io
import shutil
import subprocess
import tracemalloc
from collections.abc import AsyncIterator, Sequence
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import openpyxl
import pytest

from guanwu.query.adapters import xlsx_export
from guanwu.query.adapters.xlsx_export import column_letter, sheet_name, xlsx_stream

HEADERS = ["申报单号", "件数", "最近操作时间", "申报日期", "境内收发货人", "备注", "已同步", "监管方式"]
ROW = [
    '=HYPERLINK("http://x")',
    12,
    datetime(2026, 3, 1, 1, 2, 3, tzinfo=UTC),
    date(2026, 3, 2),
    "  甲公司\x01 & <乙> ",
    None,
    True,
    "0110",
]


async def _rows(rows: Sequence[Sequence[Any]]) -> AsyncIterator[Sequence[Any]]:
    for row in rows:
        yield row


async def _xlsx(title: str, headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> bytes:
    return b"".join([chunk async for chunk in xlsx_stream(title, headers, _rows(rows))])


def test_column_letters_and_sheet_names() -> None:
    assert [column_letter(i) for i in (0, 25, 26, 51, 52, 701, 702)] == [
        "A", "Z", "AA", "AZ", "BA", "ZZ", "AAA"
    ]  # fmt: skip
    assert sheet_name("报关数据/查询[1]") == "报关数据_查询_1_"
    assert sheet_name("") == "Sheet1"
    assert len(sheet_name("长" * 40)) == 31


async def test_openpyxl_reads_back_headers_and_typed_cells() -> None:
    data = await _xlsx("报关数据查询", HEADERS, [ROW, ["QX2", 3]])
    book = openpyxl.load_workbook(io.BytesIO(data))
    assert book.sheetnames == ["报关数据查询"]
    sheet = book.active
    assert sheet is not None
    values = [list(row) for row in sheet.iter_rows(values_only=True)]
    assert values[0] == HEADERS
    assert values[1] == [
        '=HYPERLINK("http://x")',  # text, not a formula
        12,
        datetime(2026, 3, 1, 9, 2, 3),  # Beijing time
        datetime(2026, 3, 2),
        "  甲公司 & <乙> ",  # the control character dropped, spaces kept, markup escaped
        None,
        True,
        "0110",  # a code stays text, leading zero and all
    ]
    assert values[2] == ["QX2", 3, None, None, None, None, None, None]
    assert sheet["A2"].data_type == "s"
    assert sheet["A1"].font.b and not sheet["A2"].font.b
    assert sheet["C2"].number_format == "yyyy-mm-dd hh:mm:ss"
    assert sheet["D2"].number_format == "yyyy-mm-dd"
    assert sheet.freeze_panes == "A2"
    assert sheet.auto_filter.ref == "A1:H3"


async def test_an_empty_list_is_a_sheet_with_its_headers() -> None:
    book = openpyxl.load_workbook(io.BytesIO(await _xlsx("空", ["甲", "乙"], [])))
    assert [list(r) for r in book.worksheets[0].iter_rows(values_only=True)] == [["甲", "乙"]]


async def test_rows_past_the_sheet_limit_go_on_to_another_sheet(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(xlsx_export, "MAX_ROWS", 3)
    data = await _xlsx("核注清单", ["编号"], [[f"n{i}"] for i in range(7)])
    book = openpyxl.load_workbook(io.BytesIO(data), read_only=True)
    assert book.sheetnames == ["核注清单", "核注清单(2)", "核注清单(3)"]
    sheets = [[r[0] for r in sheet.iter_rows(values_only=True)] for sheet in book.worksheets]
    assert sheets == [["编号", "n0", "n1", "n2"], ["编号", "n3", "n4", "n5"], ["编号", "n6"]]


async def test_bytes_leave_while_the_rows_are_still_being_read() -> None:
    read = 0

    async def rows() -> AsyncIterator[Sequence[Any]]:
        nonlocal read
        for i in range(30_000):
            read += 1
            yield [f"{i:018d}", f"报关单 {i} 号 {'x' * (i % 50)}", i]

    read_at_chunk = [read async for _ in xlsx_stream("报关数据查询", ["编号", "名称", "序号"], rows())]
    assert len(read_at_chunk) > 3
    assert read_at_chunk[0] < 30_000  # the first bytes went out before the last row was read
    assert read_at_chunk[-1] == 30_000


async def _peak_bytes(rows: int) -> int:
    async def source() -> AsyncIterator[Sequence[Any]]:
        for i in range(rows):
            yield [f"{i:018d}", f"甲公司 {i}", datetime(2026, 3, 1, tzinfo=UTC), i * 1.5, "0110"]

    tracemalloc.start()
    try:
        async for _ in xlsx_stream("报关数据查询", HEADERS[:5], source()):
            pass
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


async def test_memory_does_not_grow_with_the_rows() -> None:
    small, large = await _peak_bytes(2_000), await _peak_bytes(40_000)
    assert large < small * 1.5, (small, large)  # 20 times the rows, the same memory


@pytest.mark.skipif(shutil.which("soffice") is None, reason="LibreOffice (deploy/local/print-tools.sh)")
def test_libreoffice_opens_it(tmp_path: Path) -> None:
    rows: list[Sequence[Any]] = [
        ROW,
        *[[f"E{i}", i, None, None, f"公司{i}", None, False, "0110"] for i in range(500)],
    ]
    (tmp_path / "list.xlsx").write_bytes(asyncio.run(_xlsx("报关数据查询", HEADERS, rows)))
    profile = (tmp_path / "profile").as_uri()  # a profile of its own: another soffice may be running
    done = subprocess.run(
        [
            "soffice",
            f"-env:UserInstallation={profile}",
            "--headless",
            "--convert-to",
            "csv:Text - txt - csv (StarCalc):44,34,76",  # comma, double quote, UTF-8
            "--outdir",
            str(tmp_path),
            str(tmp_path / "list.xlsx"),
        ],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    converted = tmp_path / "list.csv"
    assert converted.exists(), (done.returncode, done.stdout, done.stderr)
    lines = list(csv.reader(converted.read_text(encoding="utf-8").splitlines()))
    assert lines[0] == HEADERS
    assert lines[1] == ['=HYPERLINK("http://x")', "12", "2026-03-01 09:02:03", "2026-03-02",
                        "  甲公司 & <乙> ", "", "TRUE", "0110"]  # fmt: skip
    assert lines[2] == ["E0", "0", "", "", "公司0", "", "FALSE", "0110"]
    assert len(lines) == 502
