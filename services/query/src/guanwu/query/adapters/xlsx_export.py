"""列表导出: an .xlsx written while its rows are read, in constant memory.

The workbook is a zip; its parts are compressed straight into the bytes the response sends (a `ZipFile` over
a sink that cannot seek writes each entry with a data descriptor), so the first bytes leave as soon as the
first rows are read, nothing is kept but the compressor's window and one batch of rows, and no temporary file
is written. The sheet is SpreadsheetML written here (inline strings, no shared-string table that would have
to be held until the end); openpyxl reads it back in the tests and LibreOffice opens it.

Cells: text always as text (a value beginning with "=" is never a formula), numbers as numbers, datetimes in
Beijing time (what people read the Single Window's times in) with a date format, dates as dates. A sheet
holds at most `MAX_ROWS` rows; more go on to a second sheet ("…(2)").
"""

from __future__ import annotations

import re
import zipfile
from collections.abc import AsyncIterable, AsyncIterator, Sequence
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal
from typing import IO, Any
from xml.sax.saxutils import escape, quoteattr

XLSX_MEDIA_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
BEIJING = timezone(timedelta(hours=8), "北京时间")
MAX_ROWS = 1_048_576 - 1
"""Data rows per sheet: Excel's row limit less the header row."""
MAX_TEXT = 32_767
"""Excel's limit on a cell's text."""
BATCH_ROWS = 200
"""Rows compressed at a time."""
CHUNK = 64 * 1024
"""The response gets the compressed bytes once this many have gathered."""

_EPOCH = datetime(1899, 12, 30)
_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
_SPECIAL = re.compile("[&<>\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
"""What a text needs escaped or removed before it goes into the sheet's XML."""
_BLANKS = frozenset(" \t\n\r")
_SHEET_NAME_FORBIDDEN = re.compile(r"[\[\]:*?/\\]")

# Cell styles (cellXfs): 0 plain, 1 bold header, 2 date-time, 3 date.
_HEADER, _DATETIME, _DATE = 1, 2, 3
_STYLES = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
    '<numFmts count="2"><numFmt numFmtId="164" formatCode="yyyy-mm-dd hh:mm:ss"/>'
    '<numFmt numFmtId="165" formatCode="yyyy-mm-dd"/></numFmts>'
    '<fonts count="2"><font><sz val="11"/><name val="Calibri"/></font>'
    '<font><b/><sz val="11"/><name val="Calibri"/></font></fonts>'
    '<fills count="2"><fill><patternFill patternType="none"/></fill>'
    '<fill><patternFill patternType="gray125"/></fill></fills>'
    '<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>'
    '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
    '<cellXfs count="4"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>'
    '<xf numFmtId="0" fontId="1" fillId="0" borderId="0" xfId="0" applyFont="1"/>'
    '<xf numFmtId="164" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>'
    '<xf numFmtId="165" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/></cellXfs>'
    '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>'
    "</styleSheet>"
)
_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_PKG_REL = "http://schemas.openxmlformats.org/package/2006/relationships"
_XML = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'


def column_letter(index: int) -> str:
    """A (0) … Z (25), AA (26) …"""
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def sheet_name(title: str) -> str:
    """A name Excel accepts: no []:*?/\\, at most 31 characters, not empty."""
    return _SHEET_NAME_FORBIDDEN.sub("_", title)[:31] or "Sheet1"


def _text(value: str) -> str:
    return escape(_ILLEGAL.sub("", value[:MAX_TEXT]))


def _serial(moment: datetime) -> float:
    """Excel's serial day number of a wall-clock time."""
    return (moment - _EPOCH) / timedelta(days=1)


def cell_xml(ref: str, value: Any) -> str:
    """One `<c>`; empty string for an empty cell."""
    if type(value) is str:  # the common case first
        if not value:
            return ""
        text = _text(value) if _SPECIAL.search(value) or len(value) > MAX_TEXT else value
        space = ' xml:space="preserve"' if value[0] in _BLANKS or value[-1] in _BLANKS else ""
        return f'<c r="{ref}" t="inlineStr"><is><t{space}>{text}</t></is></c>'
    if value is None:
        return ""
    if isinstance(value, bool):
        return f'<c r="{ref}" t="b"><v>{int(value)}</v></c>'
    if isinstance(value, int | float | Decimal):
        return f'<c r="{ref}"><v>{value}</v></c>'
    if isinstance(value, datetime):
        local = value.astimezone(BEIJING).replace(tzinfo=None) if value.tzinfo else value
        return f'<c r="{ref}" s="{_DATETIME}"><v>{_serial(local):.10f}</v></c>'
    if isinstance(value, date):
        day = datetime(value.year, value.month, value.day)
        return f'<c r="{ref}" s="{_DATE}"><v>{_serial(day):.0f}</v></c>'
    return cell_xml(ref, str(value))


class _Sink:
    """A write-only, unseekable file the zip writes into; the response takes what gathered."""

    def __init__(self) -> None:
        self._parts: list[bytes] = []
        self._size = 0
        self._position = 0

    def write(self, data: bytes, /) -> int:
        self._parts.append(bytes(data))
        self._size += len(data)
        self._position += len(data)
        return len(data)

    def tell(self) -> int:
        return self._position

    def flush(self) -> None:
        pass

    def close(self) -> None:
        pass

    def pending(self) -> int:
        return self._size

    def take(self) -> bytes:
        data = b"".join(self._parts)
        self._parts, self._size = [], 0
        return data


class _Workbook:
    """The parts around the sheets, written once the sheets (and so their number) are known."""

    def __init__(self, zip_file: zipfile.ZipFile, title: str) -> None:
        self.zip, self.title, self.sheets = zip_file, sheet_name(title), 0

    def next_sheet_path(self) -> str:
        self.sheets += 1
        return f"xl/worksheets/sheet{self.sheets}.xml"

    def sheet_title(self, number: int) -> str:
        return self.title if number == 1 else sheet_name(f"{self.title[:26]}({number})")

    def finish(self) -> None:
        numbers = range(1, self.sheets + 1)
        overrides = "".join(
            f'<Override PartName="/xl/worksheets/sheet{n}.xml" ContentType="application/'
            'vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
            for n in numbers
        )
        self.zip.writestr(
            "[Content_Types].xml",
            _XML + '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
            '<Default Extension="xml" ContentType="application/xml"/>'
            '<Override PartName="/xl/workbook.xml" ContentType="application/'
            'vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
            '<Override PartName="/xl/styles.xml" ContentType="application/'
            'vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>' + overrides + "</Types>",
        )
        self.zip.writestr(
            "_rels/.rels",
            _XML + f'<Relationships xmlns="{_PKG_REL}"><Relationship Id="rId1" Type="{_REL}/officeDocument" '
            'Target="xl/workbook.xml"/></Relationships>',
        )
        sheets = "".join(
            f'<sheet name={quoteattr(self.sheet_title(n))} sheetId="{n}" r:id="rId{n}"/>' for n in numbers
        )
        self.zip.writestr(
            "xl/workbook.xml",
            _XML + f'<workbook xmlns="{_MAIN}" xmlns:r="{_REL}"><sheets>{sheets}</sheets></workbook>',
        )
        relations = "".join(
            f'<Relationship Id="rId{n}" Type="{_REL}/worksheet" Target="worksheets/sheet{n}.xml"/>'
            for n in numbers
        )
        styles = f'<Relationship Id="rId{self.sheets + 1}" Type="{_REL}/styles" Target="styles.xml"/>'
        self.zip.writestr(
            "xl/_rels/workbook.xml.rels",
            _XML + f'<Relationships xmlns="{_PKG_REL}">{relations}{styles}</Relationships>',
        )
        self.zip.writestr("xl/styles.xml", _STYLES)


def _sheet_head(headers: Sequence[str]) -> str:
    widths = "".join(
        f'<col min="{i}" max="{i}" width="{min(60, max(10, 2 * len(h) + 4))}" customWidth="1"/>'
        for i, h in enumerate(headers, start=1)
    )
    header_cells = "".join(
        f'<c r="{column_letter(i)}1" t="inlineStr" s="{_HEADER}"><is><t>{_text(h)}</t></is></c>'
        for i, h in enumerate(headers)
    )
    return (
        _XML + f'<worksheet xmlns="{_MAIN}" xmlns:r="{_REL}"><sheetViews><sheetView workbookViewId="0">'
        '<pane ySplit="1" topLeftCell="A2" activePane="bottomLeft" state="frozen"/></sheetView></sheetViews>'
        f'<sheetFormatPr defaultRowHeight="15"/><cols>{widths}</cols><sheetData><row r="1">{header_cells}</row>'
    )


def _sheet_tail(columns: int, rows: int) -> str:
    last = column_letter(max(columns, 1) - 1)
    return f'</sheetData><autoFilter ref="A1:{last}{rows + 1}"/></worksheet>'


async def xlsx_stream(
    title: str, headers: Sequence[str], rows: AsyncIterable[Sequence[Any]], *, level: int = 6
) -> AsyncIterator[bytes]:
    """The .xlsx bytes of one sheet titled `title`: the header row (bold, frozen, with a filter), then `rows`
    (each a sequence of cell values in the headers' order) as they come."""
    sink = _Sink()
    refs = [column_letter(i) for i in range(len(headers))]
    head = _sheet_head(headers).encode()
    with zipfile.ZipFile(sink, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=level) as zip_file:
        book = _Workbook(zip_file, title)
        sheet: IO[bytes] = zip_file.open(book.next_sheet_path(), "w")
        sheet.write(head)
        in_sheet, batch = 0, list[str]()
        async for row in rows:
            if in_sheet == MAX_ROWS:
                sheet.write("".join(batch).encode() + _sheet_tail(len(headers), in_sheet).encode())
                sheet.close()
                sheet, in_sheet, batch = zip_file.open(book.next_sheet_path(), "w"), 0, []
                sheet.write(head)
            in_sheet += 1
            number = in_sheet + 1
            cells = "".join(cell_xml(f"{ref}{number}", value) for ref, value in zip(refs, row, strict=False))
            batch.append(f'<row r="{number}">{cells}</row>')
            if len(batch) == BATCH_ROWS:
                sheet.write("".join(batch).encode())
                batch = []
                if sink.pending() >= CHUNK:
                    yield sink.take()
        sheet.write("".join(batch).encode() + _sheet_tail(len(headers), in_sheet).encode())
        sheet.close()
        book.finish()
    yield sink.take()


def utc_moment(text: str | None) -> datetime | None:
    """A stored time (ISO text, UTC) as an aware datetime, for a cell; None stays empty."""
    if not text:
        return None
    moment = datetime.fromisoformat(text)
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
