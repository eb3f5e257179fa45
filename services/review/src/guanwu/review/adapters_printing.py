"""打印 of the review sheet (F-12) with the customs kernel's printed form (guanwu.customs.printing): the
declaration's pages with the marked boxes coloured, then the review's pages — the task, the decision and
every mark with its comment, who and when — in one PDF, page x/y counted over all of them.

The form's pages are drawn by the kernel's own page steps onto the same canvas the review's pages follow
(reportlab cannot append pages of another PDF, and no PDF library is a dependency).
"""

from __future__ import annotations

import io
from collections.abc import Sequence

from reportlab.pdfgen.canvas import Canvas

from guanwu.contracts.declaration import DeclarationDocument
from guanwu.customs.printing import PrintNumbers
from guanwu.customs.printing import declaration as form_pages
from guanwu.customs.printing.draw import PAD, Pen
from guanwu.customs.printing.fonts import font_name
from guanwu.customs.printing.marks import label, normalise
from guanwu.customs.printing.text import LEADING, fit, wrap
from guanwu.customs.printing.values import Names
from guanwu.review.domain.sheet import ReviewSheet, SheetMark

LEFT, RIGHT = form_pages.LEFT, form_pages.RIGHT
WIDTH = RIGHT - LEFT
TOP, BOTTOM = form_pages.TOP, form_pages.BOTTOM
SIZE = 7.5
HEADER_ROW = 14.0
COLUMNS: Sequence[tuple[str, float]] = (
    ("字段", 0.24),
    ("标记", 0.10),
    ("意见", 0.28),
    ("标记人", 0.08),
    ("标记时间", 0.10),
    ("标记时的值 / 现值", 0.20),
)


def _cells(mark: SheetMark) -> list[str]:
    return [label(mark.field_path), mark.state, mark.comment, mark.marked_by, mark.marked_at, mark.values]


def _row_height(pen: Pen, mark: SheetMark) -> float:
    tallest = max(
        len(wrap(text, pen.font, SIZE, share * WIDTH - 2 * PAD)) if text else 1
        for text, (_, share) in zip(_cells(mark), COLUMNS, strict=True)
    )
    return tallest * SIZE * LEADING + 2 * PAD


def _header_height(sheet: ReviewSheet) -> float:
    return ((len(sheet.header) + 2) // 3) * HEADER_ROW


def _paginate(pen: Pen, sheet: ReviewSheet) -> list[list[tuple[SheetMark, float]]]:
    first_top = TOP + 30 + _header_height(sheet) + 10 + HEADER_ROW
    pages: list[list[tuple[SheetMark, float]]] = [[]]
    top = first_top
    for mark in sheet.lines:
        height = min(_row_height(pen, mark), BOTTOM - first_top)
        if pages[-1] and top + height > BOTTOM:
            pages.append([])
            top = TOP + 30 + HEADER_ROW
        pages[-1].append((mark, height))
        top += height
    return pages


def _draw_header(pen: Pen, sheet: ReviewSheet, top: float) -> float:
    share = WIDTH / 3
    for index, (name, value) in enumerate(sheet.header):
        x = LEFT + (index % 3) * share
        row_top = top + (index // 3) * HEADER_ROW
        pen.inline_box(x, row_top, share, HEADER_ROW, name, value, None)
    return top + _header_height(sheet) + 10


def _draw_table(pen: Pen, rows: Sequence[tuple[SheetMark, float]], top: float) -> None:
    x = LEFT
    for name, share in COLUMNS:
        pen.rect(x, top, share * WIDTH, HEADER_ROW)
        pen.text(x + share * WIDTH / 2, top + HEADER_ROW / 2 + 2.4, name, SIZE, align="center")
        x += share * WIDTH
    top += HEADER_ROW
    for mark, height in rows:
        x = LEFT
        for text, (_, share) in zip(_cells(mark), COLUMNS, strict=True):
            w = share * WIDTH
            pen.rect(x, top, w, height, line=0.3)
            if text:
                pen.lines(
                    x + PAD,
                    top + PAD,
                    w - 2 * PAD,
                    fit(text, pen.font, w - 2 * PAD, height - 2 * PAD, size=SIZE),
                )
            x += w
        top += height


def _draw_review_page(
    pen: Pen, sheet: ReviewSheet, rows: Sequence[tuple[SheetMark, float]], first: bool, page: int, pages: int
) -> None:
    pen.text((LEFT + RIGHT) / 2, TOP + 14, "审核意见单", 15, align="center", bold=True)
    pen.text(RIGHT, TOP + 24, f"页码/页数：{page}/{pages}", 7.5, align="right")
    top = TOP + 30
    if first:
        top = _draw_header(pen, sheet, top)
    if rows or first:
        _draw_table(pen, rows, top)
    if first and not sheet.lines:
        pen.text(LEFT + PAD, top + HEADER_ROW + 12, "（无字段标记）", SIZE)


def render_review_sheet(document: DeclarationDocument, sheet: ReviewSheet, numbers: PrintNumbers) -> bytes:
    """The review sheet as one PDF. Raises PrintFontMissing when no CJK font can be embedded."""
    name = font_name()
    form = form_pages._sheet(document, numbers, normalise(sheet.marks), Names.default(), name)
    buffer = io.BytesIO()
    canvas = Canvas(
        buffer, pagesize=form_pages.PAGE_SIZE, invariant=1, initialFontName=name, pageCompression=1
    )
    canvas.setTitle(f"审核单 {sheet.header[0][1]}")
    canvas.setAuthor("guanwu")
    pen = Pen(canvas, form_pages.PAGE_HEIGHT, name)
    goods_pages = form_pages._paginate(pen, form)
    review_pages = _paginate(pen, sheet)
    total = len(goods_pages) + len(review_pages)
    for index, lines in enumerate(goods_pages, start=1):
        form_pages._draw_page(pen, form, lines, index, total)
        canvas.showPage()
    for offset, rows in enumerate(review_pages):
        _draw_review_page(pen, sheet, rows, offset == 0, len(goods_pages) + offset + 1, total)
        canvas.showPage()
    canvas.save()
    return buffer.getvalue()
