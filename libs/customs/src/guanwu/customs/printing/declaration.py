"""打印报关单: a declaration (报关单 / 备案清单) as the official form, A4 landscape, one PDF.

Every page repeats the title, the numbers and the head boxes, then as many goods lines as fit, then the
confirmations and the signature block; page x/y at the top right. Lines are as tall as their longest cell
needs (at least three quantity lines), so a long 规格型号 takes room instead of being cut.
"""

from __future__ import annotations

import io
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from reportlab.lib.pagesizes import A4, landscape
from reportlab.pdfgen.canvas import Canvas

from guanwu.contracts.declaration import DeclarationDocument, DecList
from guanwu.customs.codes import CodeTables
from guanwu.customs.printing import comments as review_comments
from guanwu.customs.printing import form
from guanwu.customs.printing.comments import ReviewComment
from guanwu.customs.printing.draw import LABEL_SIZE, PAD, VALUE_SIZE, Pen
from guanwu.customs.printing.fonts import font_name
from guanwu.customs.printing.goods import Column, columns, printed_attrs
from guanwu.customs.printing.marks import MarkState, goods_marks, label, normalise, state_of, unplaced
from guanwu.customs.printing.model import Box, PrintNumbers, Row
from guanwu.customs.printing.text import LEADING, fit, wrap
from guanwu.customs.printing.values import Names

PAGE_SIZE: tuple[float, float] = landscape(A4)
PAGE_WIDTH, PAGE_HEIGHT = PAGE_SIZE
LEFT = 20.0
RIGHT = PAGE_WIDTH - 20.0
WIDTH = RIGHT - LEFT
TOP = 18.0
BOTTOM = PAGE_HEIGHT - 16.0
GRID_TOP = TOP + 36.0
GOODS_HEADER = 15.0
CONFIRM_ROW = 14.0
SIGN_ROW = 20.0
FOOTER = CONFIRM_ROW + 2 * SIGN_ROW
LEGEND_SIZE = 6.5
HEAD_GROWTH = 110.0
CELL_SIZE = 7.0
MIN_LINE = 30.0


@dataclass(frozen=True)
class _Sheet:
    """Everything one rendering draws from, worked out once."""

    document: DeclarationDocument
    numbers: PrintNumbers
    names: Names
    marks: Mapping[str, MarkState]
    rows: list[Row]
    columns: tuple[Column, ...]
    legend: str
    legend_height: float

    @property
    def goods_top(self) -> float:
        return GRID_TOP + sum(row.height for row in self.rows) + GOODS_HEADER

    @property
    def goods_bottom(self) -> float:
        return BOTTOM - FOOTER - self.legend_height


def render_declaration(
    document: DeclarationDocument,
    numbers: PrintNumbers | None = None,
    marks: Mapping[str, str] | None = None,
    *,
    tables: CodeTables | None = None,
    font: Path | str | None = None,
    comments: Sequence[ReviewComment] = (),
) -> bytes:
    """The PDF of `document` on the official form.

    `marks` (field path → ok / wrong / stale) colours the boxes and goods cells that print those fields green,
    red or amber: the review sheet of #15, whose `comments` follow the form on 审核意见 pages. `tables` are the code tables for names (default: the bundled ones);
    `font` a TrueType file to embed (default: $GUANWU_PRINT_FONT, else WenQuanYi Micro Hei). Raises
    PrintFontMissing when no font can be embedded. Equal inputs give byte-identical PDFs."""
    name = font_name(font)
    names = Names(tables) if tables else Names.default()
    sheet = _sheet(document, numbers or PrintNumbers(), normalise(marks), names, name)
    buffer = io.BytesIO()
    canvas = Canvas(buffer, pagesize=PAGE_SIZE, invariant=1, initialFontName=name, pageCompression=1)
    canvas.setTitle(form.title(document))
    canvas.setAuthor("guanwu")
    pen = Pen(canvas, PAGE_HEIGHT, name)
    pages = _paginate(pen, sheet)
    comment_pages = review_comments.paginate(name, comments, WIDTH, BOTTOM - GRID_TOP - 16)
    total = len(pages) + len(comment_pages)
    for index, lines in enumerate(pages, start=1):
        _draw_page(pen, sheet, lines, index, total)
        canvas.showPage()
    for index, rows in enumerate(comment_pages, start=len(pages) + 1):
        _draw_title(pen, sheet, index, total)
        review_comments.draw(pen, rows, LEFT, GRID_TOP + 16, WIDTH)
        canvas.showPage()
    canvas.save()
    return buffer.getvalue()


def _sheet(
    document: DeclarationDocument,
    numbers: PrintNumbers,
    marks: dict[str, MarkState],
    names: Names,
    font: str,
) -> _Sheet:
    rows = _grown(form.head_rows(document, numbers, names), font)
    placed = [f for row in rows for box in row.boxes for f in box.fields]
    placed += [f for box in form.number_line(document, numbers, names) for f in box.fields]
    placed += [f for box in form.confirmations(document.head) for f in box.fields]
    placed += [f for box in form.signatures(document).values() for f in box.fields]
    legend = _legend(marks, unplaced(marks, placed, printed_attrs()))
    legend_height = 0.0
    if legend:
        lines = min(len(wrap(legend, font, LEGEND_SIZE, WIDTH - 2 * PAD)), 4)
        legend_height = lines * LEGEND_SIZE * LEADING + 2.0
    export = document.head.ie_flag == "E"
    return _Sheet(document, numbers, names, marks, rows, columns(export), legend, legend_height)


def _legend(marks: Mapping[str, MarkState], left: Sequence[tuple[str, MarkState]]) -> str:
    """What the colours mean, and the marks on fields the form has no box for."""
    if not marks:
        return ""
    states = "，".join(f"{_COLOUR_NAMES[s]} = {s.label}" for s in MarkState)
    rest = "；".join(f"{label(path)}（{state.label}）" for path, state in left)
    return f"审核标记：{states}" + (f"。表上无栏目的字段：{rest}" if rest else "")


def _grown(rows: list[Row], font: str) -> list[Row]:
    """Rows as tall as their longest value needs at the normal size, within HEAD_GROWTH for all of them
    together (past that a value shrinks to fit, so the goods keep their room)."""
    spare = HEAD_GROWTH
    grown = []
    for row in rows:
        needed = max(_box_height(box, font) for box in row.boxes)
        height = min(max(row.height, needed), row.height + spare)
        spare -= height - row.height
        grown.append(Row(height, row.boxes))
    return grown


def _box_height(box: Box, font: str) -> float:
    lines = len(wrap(box.value, font, VALUE_SIZE, box.weight * WIDTH - 2 * PAD)) if box.value else 0
    return 2 * PAD + LABEL_SIZE * LEADING + 0.6 + lines * VALUE_SIZE * LEADING


_COLOUR_NAMES = {MarkState.OK: "绿", MarkState.WRONG: "红", MarkState.STALE: "黄"}


def _line_height(pen: Pen, sheet: _Sheet, line: DecList) -> float:
    tallest = MIN_LINE
    for column in sheet.columns:
        text = column.cell(line, sheet.names)
        cell_width = column.weight * WIDTH - 2 * PAD
        needed = len(wrap(text, pen.font, CELL_SIZE, cell_width)) * CELL_SIZE * LEADING + 2 * PAD
        tallest = max(tallest, needed)
    return min(tallest, sheet.goods_bottom - sheet.goods_top)


def _paginate(pen: Pen, sheet: _Sheet) -> list[list[tuple[int, DecList, float]]]:
    """Goods lines per page: (index, line, height), as many as fit; at least one page."""
    room = sheet.goods_bottom - sheet.goods_top
    pages: list[list[tuple[int, DecList, float]]] = [[]]
    used = 0.0
    for index, line in enumerate(sheet.document.goods):
        height = _line_height(pen, sheet, line)
        if pages[-1] and used + height > room:
            pages.append([])
            used = 0.0
        pages[-1].append((index, line, height))
        used += height
    return pages


def _draw_page(
    pen: Pen, sheet: _Sheet, lines: Sequence[tuple[int, DecList, float]], page: int, pages: int
) -> None:
    _draw_title(pen, sheet, page, pages)
    top = GRID_TOP
    for row in sheet.rows:
        _draw_row(pen, sheet, row, top)
        top += row.height
    _draw_goods(pen, sheet, lines, top)
    _draw_footer(pen, sheet)
    pen.rect(LEFT, GRID_TOP, WIDTH, BOTTOM - GRID_TOP, line=1.2)


def _draw_title(pen: Pen, sheet: _Sheet, page: int, pages: int) -> None:
    document = sheet.document
    title = form.title(document)
    pen.text(PAGE_WIDTH / 2, TOP + 14, title, 15, align="center", bold=True)
    subtitle = form.subtitle(document)
    if subtitle:
        pen.text(PAGE_WIDTH / 2 + pen.measure(title, 15) / 2 + 4, TOP + 14, subtitle, 9)
    x = LEFT
    for box in form.number_line(document, sheet.numbers, sheet.names):
        text = f"{box.label}：{box.value}"
        state = state_of(box.fields, sheet.marks)
        text_width = pen.measure(text, 7.5)
        if state is not None:
            pen.rect(x - 1.5, TOP + 23, text_width + 3, 11, state)
        pen.text(x, TOP + 31, text, 7.5)
        x += text_width + 18
    pen.text(RIGHT, TOP + 31, f"页码/页数：{page}/{pages}", 7.5, align="right")


def _draw_row(pen: Pen, sheet: _Sheet, row: Row, top: float) -> None:
    x = LEFT
    for box in row.boxes:
        w = box.weight * WIDTH
        pen.box(x, top, w, row.height, box.label, box.value, state_of(box.fields, sheet.marks))
        x += w


def _draw_goods(pen: Pen, sheet: _Sheet, lines: Sequence[tuple[int, DecList, float]], top: float) -> None:
    x = LEFT
    for column in sheet.columns:
        w = column.weight * WIDTH
        pen.rect(x, top, w, GOODS_HEADER)
        pen.text(x + w / 2, top + GOODS_HEADER / 2 + 2.4, column.label, 7.0, align="center")
        x += w
    marked = goods_marks(sheet.marks)
    top += GOODS_HEADER
    for index, line, height in lines:
        x = LEFT
        for column in sheet.columns:
            w = column.weight * WIDTH
            line_marks = marked.get(index, {})
            state = state_of(column.attrs, line_marks) if line_marks else None
            pen.rect(x, top, w, height, state, line=0.3)
            fitted = fit(
                column.cell(line, sheet.names), pen.font, w - 2 * PAD, height - 2 * PAD, size=CELL_SIZE
            )
            pen.lines(x + PAD, top + PAD, w - 2 * PAD, fitted, column.align)
            x += w
        top += height


def _draw_footer(pen: Pen, sheet: _Sheet) -> None:
    top = BOTTOM - FOOTER
    if sheet.legend:
        height = sheet.legend_height
        fitted = fit(sheet.legend, pen.font, WIDTH - 2 * PAD, height - 1, size=LEGEND_SIZE)
        pen.lines(LEFT + PAD, top - height + 1.5, WIDTH - 2 * PAD, fitted)
    confirmations = form.confirmations(sheet.document.head)
    share = WIDTH / len(confirmations)
    for i, box in enumerate(confirmations):
        _inline(pen, sheet, box, LEFT + i * share, top, share, CONFIRM_ROW)
    _draw_signatures(pen, sheet, top + CONFIRM_ROW)


def _inline(pen: Pen, sheet: _Sheet, box: Box, x: float, top: float, w: float, h: float) -> None:
    pen.inline_box(x, top, w, h, box.label, box.value, state_of(box.fields, sheet.marks))


def _draw_signatures(pen: Pen, sheet: _Sheet, top: float) -> None:
    boxes = form.signatures(sheet.document)
    left, middle = WIDTH * 0.5, WIDTH * 0.28
    x = LEFT
    for key, share in (("declarant", 0.32), ("declarant_no", 0.34), ("phone", 0.34)):
        _inline(pen, sheet, boxes[key], x, top, left * share, SIGN_ROW)
        x += left * share
    _inline(pen, sheet, boxes["agent"], LEFT, top + SIGN_ROW, left, SIGN_ROW)
    x = LEFT + left
    pen.rect(x, top, middle, 2 * SIGN_ROW)
    pen.text(x + PAD, top + 10, "兹申明对以上内容承担如实申报、依法纳税之法律责任", 6.8)
    pen.text(x + middle - PAD - 4, top + 2 * SIGN_ROW - 5, "申报单位（签章）", 7.0, align="right")
    x += middle
    pen.rect(x, top, RIGHT - x, 2 * SIGN_ROW)
    pen.text(x + PAD, top + 10, "海关批注及签章", 7.0)
